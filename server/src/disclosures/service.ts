// Consents, explicit disclosures by caseworkers, and the client report of the
// client data act (asiakastietolaki 703/2023, 11 §): who processed a client's
// data, to whom it was disclosed and on what basis, normally for two years.
import { randomUUID } from 'node:crypto';
import { accessActionName, accessPurposeName, catalogueName } from '../../../shared/src/disclosures.ts';
import type { ClientReportInput, ClientReportView, ConsentInput, ConsentView, DisclosureExportInput, DisclosureInputBody, EmergencyAccessRow, LogSearchInput, LogSearchRow, ReportLanguage } from '../../../shared/src/disclosures.ts';
import type { Actor } from '../auth/actor.ts';
import { auditScope, canManageConsent, canRunClientReport, canWorkOnClientMatters, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { EXCEPTIONAL_READ_ACTIONS, clientIdOf, lookUpClient, reasonOfPurpose, type Directory } from '../directory/index.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { recordAccess } from './access.ts';
import { catalogueNames } from './legal-bases.ts';
import type { DisclosureRecordRow } from './fhir.ts';
import { recordDisclosure, type DisclosureRecorded } from './record.ts';
import { auditSigner } from './store.ts';

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());
const TWO_YEARS_MS = 2 * 365.25 * 86_400_000;

const consentView = (r: Row): ConsentView => ({
  id: r.id as string,
  givenBy: r.given_by as string,
  method: r.method as string,
  givenAt: iso(r.given_at)!,
  categories: r.categories as string[],
  expiresAt: iso(r.expires_at),
  withdrawnAt: iso(r.withdrawn_at),
});

/** Records a consent the caseworker received; reading the client for it is logged. */
export async function recordConsent(deps: Deps, actor: Actor, body: ConsentInput): Promise<ConsentView> {
  const client = await lookUpClient(deps, actor, { ...body.client, purpose: 'case_handling' });
  const [r] = await deps.db.query(
    `INSERT INTO consents (id, client_id, given_by, method, given_at, categories, expires_at, recorded_by, recorded_organisation_id, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
    [randomUUID(), client.id, body.givenBy, body.method, body.givenAt, body.categories, body.expiresAt ?? null, actor.staffId, actor.organisationId, deps.clock.now()],
  );
  return consentView(r);
}

/** Withdrawal ends a consent from now on; disclosures made before stay lawful and logged. */
export async function withdrawConsent(deps: Deps, actor: Actor, id: string): Promise<ConsentView> {
  require(canWorkOnClientMatters(actor), 'Consents are managed by people who work with clients');
  return deps.db.tx(async (q) => {
    const [c] = await q.query('SELECT * FROM consents WHERE id = $1 FOR UPDATE', [id]);
    // Only the organisation that recorded it manages it; others get the same answer as for none.
    if (!c || !canManageConsent(actor, { recordedOrganisationId: c.recorded_organisation_id as string })) throw notFound('No such consent');
    if (c.withdrawn_at) throw conflict('This consent is already withdrawn');
    const [r] = await q.query('UPDATE consents SET withdrawn_at = $2 WHERE id = $1 RETURNING *', [id, deps.clock.now()]);
    return consentView(r);
  });
}

/** A caseworker shares client data with the named people: refused unless the basis (and consent) allow it. */
export async function discloseExplicitly(deps: Deps, actor: Actor, body: DisclosureInputBody): Promise<DisclosureRecorded> {
  const client = await lookUpClient(deps, actor, { ...body.client, purpose: 'case_handling' });
  const ids = body.recipients.map((r) => r.staffId);
  const directory = await deps.directory.snapshot();
  const found = [...new Set(ids)].flatMap((id) => {
    const s = directory.staff(id);
    return s?.active ? [{ id, organisation_id: s.organisationId }] : [];
  });
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw badRequest(`body.recipients: unknown people ${missing.join(', ')}`, [{ path: 'body.recipients', message: `unknown: ${missing.join(', ')}` }]);
  return deps.db.tx((q) =>
    recordDisclosure(
      q,
      {
        at: deps.clock.now(),
        discloser: { staffId: actor.staffId, organisationId: actor.organisationId },
        recipients: found.map((f) => ({ staffId: f.id, organisationId: f.organisation_id })),
        clientId: client.id,
        categories: body.categories,
        basis: body.basis,
        ...(body.consentId ? { consentId: body.consentId } : {}),
        ...(body.conferenceId ? { conferenceId: body.conferenceId } : {}),
      },
      auditSigner(deps),
    ),
  );
}

// An auditor's reports, searches and exports cover their own root organisation
// (auditScope): access events whose actor belongs to it, and disclosures whose
// discloser or a recipient belongs to it. $n is the ids of the root
// organisation and its units (ownOrganisations).
const inRoot = (column: string, n: number) => `${column} = ANY($${n}::text[])`;
const ownOrganisations = (directory: Directory, actor: Actor) => directory.organisationAndUnits(auditScope(actor).rootOrganisationId);
const accessInRoot = (n: number) => inRoot('actor_organisation_id', n);
const disclosureInRoot = (n: number) =>
  `(${inRoot('discloser_organisation_id', n)} OR EXISTS (SELECT 1 FROM jsonb_array_elements(recipients) AS r WHERE ${inRoot("r->>'organisationId'", n)}))`;

/** The 11 § report: auditors only, of their own organisation's processing; running it is itself written to the access log. */
export async function clientReport(deps: Deps, actor: Actor, input: ClientReportInput): Promise<ClientReportView> {
  require(canRunClientReport(actor), 'Only an auditor can run a client report');
  const directory = await deps.directory.snapshot();
  const own = ownOrganisations(directory, actor);
  const { db } = deps;
  const clientId = await clientIdOf(deps, input.client);
  const now = deps.clock.now();
  const to = input.to ? new Date(input.to) : now;
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - TWO_YEARS_MS);
  const view: ClientReportView = { period: { from: from.toISOString(), to: to.toISOString() }, generatedAt: now.toISOString(), accesses: [], disclosures: [] };
  if (!clientId) return view;
  return db.tx(async (q) => {
    const people = personLookup(directory);
    const accesses = await q.query<{ at: Date; actor_id: string; action: string; purpose: string }>(
      `SELECT at, actor_id, action, purpose FROM client_access_events WHERE client_id = $1 AND at >= $2 AND at < $3 AND ${accessInRoot(4)} ORDER BY at, id`,
      [clientId, from, to, own],
    );
    const disclosures = await q.query<{ at: Date; discloser_id: string; recipients: { staffId?: string; organisationId: string }[] | string; categories: string[]; basis: string; consent_id: string | null }>(
      `SELECT at, discloser_id, recipients, categories, basis, consent_id FROM disclosures WHERE client_id = $1 AND at >= $2 AND at < $3 AND ${disclosureInRoot(4)} ORDER BY at, chain_seq`,
      [clientId, from, to, own],
    );
    const lang = input.language;
    const names = await catalogueNames(q);
    for (const a of accesses)
      view.accesses.push({ at: iso(a.at)!, actor: people(a.actor_id), action: a.action, actionName: accessActionName(a.action, lang), purpose: a.purpose, purposeName: accessPurposeName(a.purpose, lang) });
    for (const d of disclosures) {
      view.disclosures.push({
        at: iso(d.at)!,
        discloser: people(d.discloser_id),
        recipients: recipientsOf(people, d.recipients),
        categories: d.categories,
        categoryNames: d.categories.map((c) => catalogueName(c, names.categories.get(c), lang)),
        basis: d.basis,
        basisName: catalogueName(d.basis, names.bases.get(d.basis), lang),
        consentId: d.consent_id,
      });
    }
    // A report with nothing in scope shows nothing of the client and is not logged: it looks the
    // same for a code that is nobody's client, so it does not tell whether one is a client elsewhere.
    if (view.accesses.length || view.disclosures.length)
      await recordAccess(q, { actorId: actor.staffId, actorOrganisationId: actor.organisationId, clientId, action: 'client.report', purpose: 'audit', at: now }, auditSigner(deps));
    return view;
  });
}

const SEARCH_LIMIT = 500;

/** The auditor's log search; a search by client is itself written to the access log. */
export async function searchLogs(deps: Deps, actor: Actor, input: LogSearchInput): Promise<LogSearchRow[]> {
  require(canRunClientReport(actor), 'Only an auditor can search the logs');
  const directory = await deps.directory.snapshot();
  const own = ownOrganisations(directory, actor);
  const { db } = deps;
  const clientId = input.client ? await clientIdOf(deps, input.client) : undefined;
  if (input.client && !clientId) return [];
  const now = deps.clock.now();
  const to = input.to ? new Date(input.to) : new Date(now.getTime() + 1);
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - TWO_YEARS_MS);
  return db.tx(async (q) => {
    const people = personLookup(directory);
    const rows: LogSearchRow[] = [];
    if (input.log === 'access') {
      const found = await q.query<{ at: Date; actor_id: string; client_id: string; action: string; purpose: string }>(
        `SELECT at, actor_id, client_id, action, purpose FROM client_access_events
          WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR client_id = $3) AND ($4::text IS NULL OR actor_id = $4) AND ($5::text IS NULL OR actor_organisation_id = $5)
            AND ${accessInRoot(6)}
          ORDER BY at DESC, id DESC LIMIT ${SEARCH_LIMIT}`,
        [from, to, clientId ?? null, input.staffId ?? null, input.organisationId ?? null, own],
      );
      for (const r of found) rows.push({ at: iso(r.at)!, clientId: r.client_id, person: people(r.actor_id), action: r.action, purpose: r.purpose });
    } else {
      const found = await q.query<{ at: Date; discloser_id: string; client_id: string; recipients: { staffId?: string; organisationId: string }[] | string; categories: string[]; basis: string }>(
        `SELECT at, discloser_id, client_id, recipients, categories, basis FROM disclosures
          WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR client_id = $3)
            AND ($4::text IS NULL OR discloser_id = $4 OR recipients @> jsonb_build_array(jsonb_build_object('staffId', $4::text)))
            AND ($5::text IS NULL OR discloser_organisation_id = $5 OR recipients @> jsonb_build_array(jsonb_build_object('organisationId', $5::text)))
            AND ${disclosureInRoot(6)}
          ORDER BY at DESC, chain_seq DESC LIMIT ${SEARCH_LIMIT}`,
        [from, to, clientId ?? null, input.staffId ?? null, input.organisationId ?? null, own],
      );
      for (const r of found)
        rows.push({ at: iso(r.at)!, clientId: r.client_id, person: people(r.discloser_id), recipients: recipientsOf(people, r.recipients), categories: r.categories, basis: r.basis });
    }
    if (clientId && rows.length) await recordAccess(q, { actorId: actor.staffId, actorOrganisationId: actor.organisationId, clientId, action: 'log.search', purpose: 'audit', at: now }, auditSigner(deps));
    return rows;
  });
}

/**
 * The exceptional reads (emergency reads, and admins' rule verifications with a
 * real client) by the staff of the auditor's own root organisation in a period
 * (default: the last two years), newest first, with each reader's reason.
 */
export async function listEmergencyAccess(deps: Deps, actor: Actor, query: { from?: string; to?: string }): Promise<EmergencyAccessRow[]> {
  require(canRunClientReport(actor), 'Only an auditor lists emergency reads');
  const to = query.to ? new Date(query.to) : deps.clock.now();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - TWO_YEARS_MS);
  const directory = await deps.directory.snapshot();
  return deps.db.tx(async (q) => {
    const people = personLookup(directory);
    const found = await q.query<{ at: Date; actor_id: string; client_id: string; action: string; purpose: string }>(
      `SELECT at, actor_id, client_id, action, purpose FROM client_access_events
        WHERE action = ANY($1::text[]) AND ${accessInRoot(2)} AND at >= $3 AND at <= $4
        ORDER BY at DESC, id DESC LIMIT ${SEARCH_LIMIT}`,
      [EXCEPTIONAL_READ_ACTIONS, ownOrganisations(directory, actor), from, to],
    );
    const rows: EmergencyAccessRow[] = [];
    for (const r of found)
      rows.push({ at: iso(r.at)!, clientId: r.client_id, reader: people(r.actor_id), action: r.action, reason: reasonOfPurpose(r.purpose) });
    return rows;
  });
}

type RecipientRef = { staffId?: string; organisationId: string };

/** A disclosure's recipients column (jsonb; text on drivers that do not parse it). */
function recipientList(raw: RecipientRef[] | string): RecipientRef[] {
  return typeof raw === 'string' ? (JSON.parse(raw) as RecipientRef[]) : raw;
}

/** Recipients as the reports show them. */
function recipientsOf(people: ReturnType<typeof personLookup>, raw: RecipientRef[] | string) {
  return recipientList(raw).map((r) => people(r.staffId ?? '', r.organisationId));
}

/** A person as the reports show one (organisation names in both languages); without a person, the organisation alone. */
function personLookup(directory: Directory) {
  return (staffId: string, organisationId?: string): ClientReportView['accesses'][number]['actor'] => {
    const s = staffId ? directory.staff(staffId) : undefined;
    // Someone the directory does not know shows as their id, with no organisation name.
    const named = s ? s.organisationId : staffId ? undefined : organisationId;
    return {
      staffId,
      displayName: s?.displayName ?? staffId,
      organisationId: s?.organisationId ?? organisationId ?? '',
      organisationNameFi: (named && directory.organisationName(named, 'fi')) ?? '',
      organisationNameSv: (named && directory.organisationName(named, 'sv')) ?? '',
    };
  };
}

// ---- rendering ----

type Person = ClientReportView['accesses'][number]['actor'];
const orgName = (p: Person, language: ReportLanguage) => (language === 'sv' ? p.organisationNameSv : p.organisationNameFi);

const LABELS = {
  fi: { title: 'Asiakastietojen käsittely ja luovutukset', period: 'Ajanjakso', accesses: 'Käsittelyt', disclosures: 'Luovutukset', at: 'Aika', who: 'Käsittelijä', organisation: 'Organisaatio', action: 'Toimenpide', purpose: 'Käyttötarkoitus', discloser: 'Luovuttaja', recipients: 'Vastaanottajat', categories: 'Tietoryhmät', basis: 'Peruste', none: 'Ei merkintöjä' },
  sv: { title: 'Behandling och utlämnande av klientuppgifter', period: 'Period', accesses: 'Behandlingar', disclosures: 'Utlämnanden', at: 'Tid', who: 'Behandlare', organisation: 'Organisation', action: 'Åtgärd', purpose: 'Ändamål', discloser: 'Utlämnare', recipients: 'Mottagare', categories: 'Uppgiftsgrupper', basis: 'Grund', none: 'Inga anteckningar' },
  en: { title: 'Processing and disclosures of client data', period: 'Period', accesses: 'Processing', disclosures: 'Disclosures', at: 'Time', who: 'Processed by', organisation: 'Organisation', action: 'Action', purpose: 'Purpose', discloser: 'Disclosed by', recipients: 'Recipients', categories: 'Data categories', basis: 'Basis', none: 'No entries' },
} as const;

const csvCell = (v: string) => (/[",\n;]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The report as CSV: names in the report's language (the codes stay in the JSON report). */
export function reportCsv(r: ClientReportView, language: ReportLanguage): string {
  const l = LABELS[language];
  const lines = [[l.at, 'kind', l.who, l.organisation, l.action, l.purpose, l.recipients, l.categories, l.basis].map(csvCell).join(',')];
  for (const a of r.accesses) lines.push([a.at, 'access', a.actor.displayName, orgName(a.actor, language), a.actionName, a.purposeName, '', '', ''].map(csvCell).join(','));
  for (const d of r.disclosures)
    lines.push(
      [d.at, 'disclosure', d.discloser.displayName, orgName(d.discloser, language), '', '', d.recipients.map((p) => `${p.displayName} (${orgName(p, language)})`).join('; '), d.categoryNames.join('; '), d.basisName]
        .map(csvCell)
        .join(','),
    );
  return `${lines.join('\n')}\n`;
}

const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function reportHtml(r: ClientReportView, language: ReportLanguage): string {
  const l = LABELS[language];
  const table = (head: string[], rows: string[][]) =>
    rows.length
      ? `<table><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
      : `<p>${esc(l.none)}</p>`;
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${esc(l.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;margin-bottom:2rem}th,td{border:1px solid #555;padding:.3rem .5rem;text-align:left;vertical-align:top}@media print{body{margin:0}}</style></head>
<body><h1>${esc(l.title)}</h1><p>${esc(l.period)}: ${esc(r.period.from.slice(0, 10))} – ${esc(r.period.to.slice(0, 10))}</p>
<h2>${esc(l.accesses)}</h2>${table([l.at, l.who, l.organisation, l.action, l.purpose], r.accesses.map((a) => [a.at, a.actor.displayName, orgName(a.actor, language), a.actionName, a.purposeName]))}
<h2>${esc(l.disclosures)}</h2>${table(
    [l.at, l.discloser, l.recipients, l.categories, l.basis],
    r.disclosures.map((d) => [d.at, `${d.discloser.displayName} (${orgName(d.discloser, language)})`, d.recipients.map((p) => `${p.displayName} (${orgName(p, language)})`).join(', '), d.categoryNames.join(', '), d.basisName]),
  )}
</body></html>
`;
}

/** The disclosure log for a period (and one client, when given): auditors only, their own organisation's; a client export is logged as an access. */
export async function exportDisclosures(deps: Deps, actor: Actor, input: DisclosureExportInput): Promise<DisclosureRecordRow[]> {
  require(canRunClientReport(actor), 'Only an auditor can export the disclosure log');
  const directory = await deps.directory.snapshot();
  const own = ownOrganisations(directory, actor);
  const { db } = deps;
  const clientId = input.client ? await clientIdOf(deps, input.client) : undefined;
  if (input.client && !clientId) return [];
  return db.tx(async (q) => {
    const rows = await q.query<DisclosureRecordRow>(
      `SELECT id, at, discloser_id, discloser_organisation_id, recipients, client_id, categories, basis, consent_id, chain_seq::int AS chain_seq
         FROM disclosures WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR client_id = $3) AND ${disclosureInRoot(4)} ORDER BY chain_seq`,
      [new Date(input.from), new Date(input.to), clientId ?? null, own],
    );
    if (clientId && rows.length)
      await recordAccess(q, { actorId: actor.staffId, actorOrganisationId: actor.organisationId, clientId, action: 'client.export', purpose: 'audit', at: deps.clock.now() }, auditSigner(deps));
    return rows.map((r) => ({ ...r, recipients: recipientList(r.recipients) }));
  });
}
