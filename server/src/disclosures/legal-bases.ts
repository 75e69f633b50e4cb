// Legal bases and data categories in force: which basis allows which
// categories of client data, from which date. Admins change them by adding a
// version with its effective date; a disclosure is judged by the version in
// force when it is made. Rinki ships the set in shared/src/disclosures.ts.
import { DATA_CATEGORIES, LEGAL_BASES, SHIPPED_NAMES, type DisclosureRefusal, type LegalBasis } from '../../../shared/src/disclosures.ts';
import type { Actor } from '../auth/actor.ts';
import { canAdministerLegalBases, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { badRequest } from '../http/errors.ts';
import type { Db, Queryable } from '../store/db.ts';
import { recordChange } from '../admin/changes.ts';

const SHIPPED_FROM = new Date('2024-01-01T00:00:00Z');

/** Installs the shipped set once; later edits are never overwritten. */
export async function seedLegalBases(db: Db): Promise<void> {
  await db.tx(async (q) => {
    for (const code of DATA_CATEGORIES) {
      const { fi, sv } = SHIPPED_NAMES[code];
      await q.query('INSERT INTO data_categories (code, name_fi, name_sv) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING', [code, fi, sv]);
    }
    if ((await q.query('SELECT 1 FROM legal_bases LIMIT 1')).length) return;
    for (const code of Object.keys(LEGAL_BASES) as LegalBasis[]) {
      const rule = LEGAL_BASES[code];
      const { fi, sv } = SHIPPED_NAMES[code];
      await q.query('INSERT INTO legal_bases (code, effective_from, requires_consent, allows, name_fi, name_sv) VALUES ($1, $2, $3, $4, $5, $6)', [
        code, SHIPPED_FROM, rule.consent, [...rule.allows], fi, sv,
      ]);
    }
  });
}

export interface BasisInForce {
  code: string;
  requiresConsent: boolean;
  allows: string[];
  nameFi: string;
  nameSv: string;
  effectiveFrom: string;
}

const SELECT_IN_FORCE = `SELECT DISTINCT ON (code) code, requires_consent, allows, name_fi, name_sv, effective_from
  FROM legal_bases WHERE effective_from <= $1`;

export async function basesInForce(q: Queryable, at: Date): Promise<BasisInForce[]> {
  const rows = await q.query<{ code: string; requires_consent: boolean; allows: string[]; name_fi: string; name_sv: string; effective_from: Date }>(
    `${SELECT_IN_FORCE} ORDER BY code, effective_from DESC`,
    [at],
  );
  return rows.map((r) => ({ code: r.code, requiresConsent: r.requires_consent, allows: r.allows, nameFi: r.name_fi, nameSv: r.name_sv, effectiveFrom: new Date(r.effective_from).toISOString() }));
}

/** The stored names of every legal basis (its latest version) and data category, by code. */
export async function catalogueNames(q: Queryable): Promise<{ bases: Map<string, { nameFi: string; nameSv: string }>; categories: Map<string, { nameFi: string; nameSv: string }> }> {
  const bases = await q.query<{ code: string; name_fi: string; name_sv: string }>('SELECT DISTINCT ON (code) code, name_fi, name_sv FROM legal_bases ORDER BY code, effective_from DESC');
  const categories = await q.query<{ code: string; name_fi: string; name_sv: string }>('SELECT code, name_fi, name_sv FROM data_categories');
  const byCode = (rows: { code: string; name_fi: string; name_sv: string }[]) => new Map(rows.map((r) => [r.code, { nameFi: r.name_fi, nameSv: r.name_sv }]));
  return { bases: byCode(bases), categories: byCode(categories) };
}

/**
 * Judges a disclosure by the rules in force at `at`: unknown codes are bad
 * input (400); a basis that does not allow a category, or a consent basis
 * without a consent, is a refusal (the reason and the categories).
 */
export async function judgeDisclosure(
  q: Queryable,
  d: { basis: string; categories: string[]; hasConsent: boolean; at: Date },
): Promise<{ reason: DisclosureRefusal; categories?: string[] } | undefined> {
  const [rule] = await q.query<{ requires_consent: boolean; allows: string[] }>(`${SELECT_IN_FORCE} AND code = $2 ORDER BY code, effective_from DESC`, [d.at, d.basis]);
  if (!rule) throw badRequest(`basis: unknown legal basis ${d.basis}`, [{ path: 'basis', message: 'unknown legal basis' }]);
  const known = new Set((await q.query<{ code: string }>('SELECT code FROM data_categories WHERE code = ANY($1::text[])', [d.categories])).map((r) => r.code));
  const unknown = d.categories.filter((c) => !known.has(c));
  if (unknown.length) throw badRequest(`categories: unknown data categories ${unknown.join(', ')}`, [{ path: 'categories', message: `unknown: ${unknown.join(', ')}` }]);
  const denied = d.categories.filter((c) => !rule.allows.includes(c));
  if (denied.length) return { reason: 'category_not_allowed', categories: denied };
  if (rule.requires_consent && !d.hasConsent) return { reason: 'consent_missing' };
  return undefined;
}

/** Adds a version of a basis from its effective date on (a national rule: Kela's admins). */
export async function saveLegalBasis(
  deps: Deps,
  actor: Actor,
  code: string,
  input: { requiresConsent: boolean; allows: string[]; nameFi: string; nameSv: string; effectiveFrom?: string },
): Promise<BasisInForce> {
  require(canAdministerLegalBases(actor), 'Only a national administrator can change the legal bases');
  const from = input.effectiveFrom ? new Date(input.effectiveFrom) : deps.clock.now();
  return deps.db.tx(async (q) => {
    const known = new Set((await q.query<{ code: string }>('SELECT code FROM data_categories WHERE code = ANY($1::text[])', [input.allows])).map((r) => r.code));
    const unknown = input.allows.filter((c) => !known.has(c));
    if (unknown.length) throw badRequest(`body.allows: unknown data categories ${unknown.join(', ')}`, [{ path: 'body.allows', message: `unknown: ${unknown.join(', ')}` }]);
    await q.query(
      `INSERT INTO legal_bases (code, effective_from, requires_consent, allows, name_fi, name_sv, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (code, effective_from) DO UPDATE SET requires_consent = EXCLUDED.requires_consent, allows = EXCLUDED.allows,
         name_fi = EXCLUDED.name_fi, name_sv = EXCLUDED.name_sv, changed_by = EXCLUDED.changed_by, changed_at = now()`,
      [code, from, input.requiresConsent, [...new Set(input.allows)], input.nameFi, input.nameSv, actor.staffId],
    );
    await recordChange(q, actor, deps.clock.now(), { organisationId: actor.rootOrganisationId, kind: 'legal_basis', target: code, action: 'updated', details: { ...input, effectiveFrom: from.toISOString() } });
    deps.log.info({ staffId: actor.staffId, code, effectiveFrom: from.toISOString() }, 'legal basis changed');
    return { code, requiresConsent: input.requiresConsent, allows: [...new Set(input.allows)], nameFi: input.nameFi, nameSv: input.nameSv, effectiveFrom: from.toISOString() };
  });
}

export async function saveDataCategory(deps: Deps, actor: Actor, code: string, input: { nameFi: string; nameSv: string }): Promise<{ code: string; nameFi: string; nameSv: string }> {
  require(canAdministerLegalBases(actor), 'Only a national administrator can change the data categories');
  await deps.db.tx(async (q) => {
    await q.query(
      'INSERT INTO data_categories (code, name_fi, name_sv) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE SET name_fi = EXCLUDED.name_fi, name_sv = EXCLUDED.name_sv',
      [code, input.nameFi, input.nameSv],
    );
    await recordChange(q, actor, deps.clock.now(), { organisationId: actor.rootOrganisationId, kind: 'data_category', target: code, action: 'updated', details: input });
  });
  return { code, ...input };
}
