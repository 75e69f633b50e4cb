// Consents, disclosures and the client report on both stores: each refusal
// rule, a scripted scenario the report must list exactly (and nothing of other
// clients), the report formats, bad input and who may do what.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { ClientReportView, ConsentView } from '../../../shared/src/disclosures.ts';
import { REPO_ROOT, STORE_KINDS, apiTokenFor, startTestRinki, tempDir, type TestRinki } from '../../../tests/helpers/env.ts';
import { ManualClock, apiCaller } from '../../../tests/helpers/api.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';
import { upsertStaff } from '../directory/repository.ts';
import { parseExport, verifyExport } from './export.ts';
import { recordDisclosure } from './record.ts';
import { auditSigner } from './store.ts';

const T0 = Date.parse('2026-11-18T08:00:00Z');
const COUNTY_B_AUDITOR = 'county-b-auditor';
const DAY = 86_400_000;

for (const store of STORE_KINDS) {
  describe(`disclosures and the client report on ${store}`, function () {
    let rinki: TestRinki;
    let f: OrgFixture;
    let clock: ManualClock;
    const tokens: Record<string, string> = {};

    const call = apiCaller(() => rinki, tokens);
    const count = async (sql: string) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`))[0].n;
    const writes = async () => ({ consents: await count('consents'), disclosures: await count('disclosures'), chain: await count(`audit_log_entries WHERE log = 'disclosure'`) });
    const consent = (staffId: string, extra: Record<string, unknown> = {}) =>
      call<ConsentView>(staffId, 'POST', '/api/consents', {
        client: { hetu: f.clients!.a.hetu },
        givenBy: 'client',
        method: 'written',
        givenAt: new Date(clock.t - DAY).toISOString(),
        categories: ['identity', 'income_assets'],
        expiresAt: new Date(clock.t + 30 * DAY).toISOString(),
        ...extra,
      });
    const disclose = (staffId: string, extra: Record<string, unknown> = {}) =>
      call<{ error?: string; message?: string; disclosureId?: string }>(staffId, 'POST', '/api/disclosures', {
        client: { hetu: f.clients!.a.hetu },
        recipients: [{ staffId: f.staff.kelaHandler }],
        categories: ['income_assets'],
        basis: 'totul_18',
        ...extra,
      });

    before(async () => {
      clock = new ManualClock(T0);
      rinki = await startTestRinki({ store, clock });
      f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
      // County B's own auditor: each controller audits its own staff.
      await upsertStaff(rinki.deps.db, { id: COUNTY_B_AUDITOR, organisationId: f.orgs.countyB, displayName: 'Bea Tarkastaja', languages: ['fi'], segments: [], active: true, roles: [{ role: 'auditor', organisationId: f.orgs.countyB }], teamIds: [] });
      // County B's worker works with client B (a task relation: named worker), as county A's worker with client A.
      await rinki.deps.db.query(`INSERT INTO client_named_workers (client_id, staff_id, kind) VALUES ($1, $2, 'omatyontekija')`, [f.clients!.b.id, f.staff.countyBWorker]);
      for (const id of [...Object.values(f.staff), COUNTY_B_AUDITOR]) tokens[id] = await apiTokenFor(rinki, id);
    });
    after(() => rinki.cleanup());

    it('lists the legal bases in force and what each allows', async () => {
      const res = await call<{ bases: { code: string; requiresConsent: boolean; allows: string[] }[]; categories: { code: string }[] }>(f.staff.countyAWorker, 'GET', '/api/legal-bases');
      expect(res.body.bases.find((b) => b.code === 'shl_35')).to.deep.include({ requiresConsent: false, allows: ['identity'] });
      expect(res.body.bases.find((b) => b.code === 'consent_written')?.requiresConsent).to.equal(true);
      expect(res.body.categories.map((c) => c.code)).to.include('income_assets');
    });

    it('lets Kela’s administrators change a basis from an effective date on; disclosures follow the rule in force', async () => {
      const from = new Date(clock.t + DAY).toISOString();
      const body = { requiresConsent: false, allows: ['identity', 'housing'], nameFi: 'Sosiaalihuoltolaki 35 §', nameSv: 'Socialvårdslagen 35 §', effectiveFrom: from };
      expect((await call(f.staff.countyAAdmin, 'PUT', '/api/legal-bases/shl_35', body)).status).to.equal(403);
      expect((await call(f.staff.kelaAdmin, 'PUT', '/api/legal-bases/shl_35', { ...body, allows: ['shoe_size'] })).status).to.equal(400);
      const saved = await call(f.staff.kelaAdmin, 'PUT', '/api/legal-bases/shl_35', body);
      expect(saved.status, JSON.stringify(saved.body)).to.equal(200);
      expect((await disclose(f.staff.countyAWorker, { basis: 'shl_35', categories: ['housing'] })).status).to.equal(422);
      clock.advance(2 * DAY);
      expect((await disclose(f.staff.countyAWorker, { basis: 'shl_35', categories: ['housing'] })).status).to.equal(201);
      const then = await call<{ bases: { code: string; allows: string[] }[] }>(f.staff.countyAWorker, 'GET', `/api/legal-bases?at=${encodeURIComponent(new Date(clock.t - 3 * DAY).toISOString())}`);
      expect(then.body.bases.find((b) => b.code === 'shl_35')?.allows).to.deep.equal(['identity']);
    });

    it('records a disclosure the basis allows, and refuses one it does not, writing nothing', async () => {
      const ok = await disclose(f.staff.countyAWorker);
      expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
      const before = await writes();
      const refusals: [Record<string, unknown>, string][] = [
        [{ basis: 'shl_35', categories: ['income_assets'] }, 'category_not_allowed'],
        [{ basis: 'totul_18', categories: ['health'] }, 'category_not_allowed'],
        [{ basis: 'consent_oral' }, 'consent_missing'],
      ];
      for (const [body, reason] of refusals) {
        const res = await disclose(f.staff.countyAWorker, body);
        expect(res.status, JSON.stringify(body)).to.equal(422);
        expect(res.body.error).to.equal('disclosure_refused');
        expect(res.body.message).to.contain(reason);
      }
      expect(await writes()).to.deep.equal(before);
    });

    it('checks the consent: its client, scope, expiry and withdrawal', async () => {
      const c = await consent(f.staff.countyAWorker);
      expect(c.status, JSON.stringify(c.body)).to.equal(201);
      const withConsent = (extra: Record<string, unknown> = {}) => disclose(f.staff.countyAWorker, { basis: 'consent_written', consentId: c.body.id, ...extra });
      expect((await withConsent()).status).to.equal(201);
      const before = await writes();
      expect((await withConsent({ categories: ['health'] })).body.message).to.contain('consent_scope');
      expect((await withConsent({ client: { hetu: f.clients!.b.hetu }, recipients: [{ staffId: f.staff.countyBWorker }] })).status).to.equal(404);
      // Another client's consent never covers this one.
      const other = await call(f.staff.countyBWorker, 'POST', '/api/disclosures', {
        client: { hetu: f.clients!.b.hetu }, recipients: [{ staffId: f.staff.kelaHandler }], categories: ['identity'], basis: 'consent_written', consentId: c.body.id,
      });
      expect(other.status).to.equal(422);
      expect((other.body as { message: string }).message).to.contain('consent_missing');
      // Expired.
      const short = await consent(f.staff.countyAWorker, { expiresAt: new Date(clock.t + 60_000).toISOString() });
      clock.advance(120_000);
      expect((await disclose(f.staff.countyAWorker, { basis: 'consent_written', consentId: short.body.id })).body.message).to.contain('consent_expired');
      // Withdrawn (only by the organisation that recorded it).
      expect((await call(f.staff.kelaWorker, 'POST', `/api/consents/${c.body.id}/withdraw`)).status).to.equal(404);
      const withdrawn = await call<ConsentView>(f.staff.countyAWorker, 'POST', `/api/consents/${c.body.id}/withdraw`);
      expect(withdrawn.body.withdrawnAt).to.be.a('string');
      expect((await withConsent()).body.message).to.contain('consent_withdrawn');
      expect(await count('disclosures')).to.equal(before.disclosures);
    });

    it('refuses bad input with a clear 400 and writes nothing', async () => {
      const before = await writes();
      const cases: [() => Promise<{ status: number; body: unknown }>, string][] = [
        [() => disclose(f.staff.countyAWorker, { basis: 'because_i_said_so' }), 'basis'],
        [() => disclose(f.staff.countyAWorker, { categories: ['shoe_size'] }), 'categories'],
        [() => disclose(f.staff.countyAWorker, { recipients: [{ staffId: 'nobody' }] }), 'recipients'],
        [() => disclose(f.staff.countyAWorker, { client: { hetu: '131052-308U' } }), 'hetu'],
        [() => consent(f.staff.countyAWorker, { expiresAt: new Date(clock.t - 2 * DAY).toISOString() }), 'expiresAt'],
        [() => consent(f.staff.countyAWorker, { categories: [] }), 'categories'],
        [() => consent(f.staff.countyAWorker, { method: 'telepathy' }), 'method'],
      ];
      for (const [run, field] of cases) {
        const res = await run();
        expect(res.status, field).to.equal(400);
        expect(JSON.stringify(res.body), field).to.contain(field);
      }
      expect(await writes()).to.deep.equal(before);
    });

    it('answers the 11 § report for exactly one client: its accesses and disclosures, in JSON, CSV and HTML; the run itself is logged', async () => {
      // A scripted scenario on client B: a read, a routing accept's identity disclosure, a shared statement.
      const from = new Date(clock.t).toISOString();
      clock.advance(1000);
      await call(f.staff.countyBWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.b.hetu, purpose: 'case_handling' });
      await rinki.deps.db.tx((q) =>
        recordDisclosure(
          q,
          {
            at: clock.now(),
            discloser: { staffId: f.staff.countyBWorker, organisationId: f.orgs.countyB },
            recipients: [{ staffId: f.staff.kelaSwedish, organisationId: f.orgs.kelaWest }],
            clientId: f.clients!.b.id,
            categories: ['identity'],
            basis: 'totul_18',
            routingRequestId: 'scripted',
          },
          auditSigner(rinki.deps),
        ),
      );
      const shared = await call(f.staff.countyBWorker, 'POST', '/api/disclosures', {
        client: { hetu: f.clients!.b.hetu }, recipients: [{ staffId: f.staff.kelaSwedish }], categories: ['statement'], basis: 'totul_15_statement',
      });
      expect(shared.status, JSON.stringify(shared.body)).to.equal(201);
      clock.advance(1000);
      const to = new Date(clock.t).toISOString();

      const report = await call<ClientReportView>(COUNTY_B_AUDITOR, 'POST', '/api/disclosures/client-report', { client: { hetu: f.clients!.b.hetu }, from, to });
      expect(report.status, JSON.stringify(report.body)).to.equal(200);
      expect(report.body.disclosures.map((d) => [d.basis, d.categories, d.recipients.map((r) => r.staffId)])).to.deep.equal([
        ['totul_18', ['identity'], [f.staff.kelaSwedish]],
        ['totul_15_statement', ['statement'], [f.staff.kelaSwedish]],
      ]);
      // The lookup and the read behind the shared statement, both by county B's worker; nothing of client A.
      expect(report.body.accesses.map((a) => [a.actor.staffId, a.purpose])).to.deep.equal([
        [f.staff.countyBWorker, 'case_handling'],
        [f.staff.countyBWorker, 'case_handling'],
      ]);
      expect(report.body.accesses.every((a) => a.actor.organisationId === f.orgs.countyB)).to.equal(true);

      // Kela's auditor answers for Kela: the disclosures to Kela's handler, none of county B's reads.
      const kela = await call<ClientReportView>(f.staff.auditor, 'POST', '/api/disclosures/client-report', { client: { hetu: f.clients!.b.hetu }, from, to });
      expect(kela.body.disclosures).to.have.length(2);
      expect(kela.body.accesses).to.deep.equal([]);

      const again = await call<ClientReportView>(COUNTY_B_AUDITOR, 'POST', '/api/disclosures/client-report', { client: { hetu: f.clients!.b.hetu }, from, to: new Date(clock.t + 1000).toISOString() });
      expect(again.body.accesses.map((a) => a.action)).to.include('client.report');
      // Every code with its readable name in the report's language (Finnish by default).
      expect(again.body.accesses.map((a) => [a.actionName, a.purposeName])).to.deep.include.members([
        ['Asiakastietojen luku', 'Asian käsittely'],
        ['Asiakasraportin laadinta', 'Valvonta'],
      ]);
      expect(report.body.disclosures.map((d) => [d.basisName, d.categoryNames])).to.deep.equal([
        ['Toimeentulotukilaki 18 §', ['Henkilöllisyys ja asian vireilläolo']],
        ['Toimeentulotukilaki 15 §, lausunto', ['Lausunto']],
      ]);

      const csv = await call<string>(f.staff.auditor, 'POST', '/api/disclosures/client-report', { client: { hetu: f.clients!.b.hetu }, from, to, format: 'csv', language: 'sv' });
      expect(csv.type).to.contain('text/csv');
      expect(csv.body.split('\n')[0]).to.contain('Mottagare');
      // Names, in Swedish, organisations too; not the codes.
      expect(csv.body).to.contain('Lagen om utkomststöd 15 §, utlåtande').and.to.contain('Utlåtande').and.to.contain('Test väst');
      expect(csv.body).not.to.contain('totul_15_statement');
      const html = await call<string>(f.staff.auditor, 'POST', '/api/disclosures/client-report', { client: { hetu: f.clients!.b.hetu }, from, to, format: 'html', language: 'en' });
      expect(html.type).to.contain('text/html');
      expect(html.body).to.contain('<h2>Disclosures</h2>');
      expect(html.body).to.contain('Social Assistance Act, section 15, statement').and.to.contain('Identity and that a matter is pending');
      expect(html.body).not.to.contain(f.clients!.b.hetu);
    });

    it('exports the disclosure log as FHIR AuditEvents (IHE BALP) or CSV, for a period or one client; auditors only', async () => {
      const from = new Date(clock.t - 30 * DAY).toISOString();
      const to = new Date(clock.t + DAY).toISOString();
      const bundle = await call<{ resourceType: string; entry: { resource: Record<string, unknown> & { type: { code: string }; meta: { profile: string[] }; purposeOfEvent: { coding: { code: string }[] }[]; entity: { what: { identifier: { value: string } } }[] } }[] }>(
        f.staff.auditor, 'POST', '/api/disclosures/export', { client: { hetu: f.clients!.b.hetu }, from, to },
      );
      expect(bundle.status, JSON.stringify(bundle.body)).to.equal(200);
      expect(bundle.type).to.contain('application/fhir+json');
      expect(bundle.body.resourceType).to.equal('Bundle');
      const events = bundle.body.entry.map((e) => e.resource);
      expect(events).to.have.length(2);
      for (const e of events) {
        expect(e.resourceType).to.equal('AuditEvent');
        expect(e.meta.profile[0]).to.contain('PrivacyDisclosure.Source');
        expect(e.type.code).to.equal('110106');
        expect(e.entity[0].what.identifier.value).to.equal(f.clients!.b.id);
      }
      expect(events.map((e) => e.purposeOfEvent[0].coding[0].code)).to.deep.equal(['totul_18', 'totul_15_statement']);
      expect(JSON.stringify(bundle.body)).not.to.contain(f.clients!.b.hetu);
      const all = await call<string>(f.staff.auditor, 'POST', '/api/disclosures/export', { from, to, format: 'csv' });
      expect(all.type).to.contain('text/csv');
      // Kela's auditor: the disclosures Kela's people made or received, not those between others.
      const kelaOrgs = `(SELECT id FROM organisations WHERE COALESCE(parent_id, id) = '${f.orgs.kela}')`;
      const kelaDisclosures = await count(`disclosures WHERE discloser_organisation_id IN ${kelaOrgs} OR EXISTS (SELECT 1 FROM jsonb_array_elements(recipients) r WHERE r->>'organisationId' IN ${kelaOrgs})`);
      expect(all.body.trim().split('\n').length - 1).to.equal(kelaDisclosures);
      expect(kelaDisclosures).to.be.greaterThan(0);
      expect((await call(f.staff.auditor, 'POST', '/api/disclosures/export', { from: to, to: from })).status).to.equal(400);
      expect((await call(f.staff.countyBWorker, 'POST', '/api/disclosures/export', { from, to })).status).to.equal(403);
    });

    it('exports each log’s chain for offline verification with the public key alone, other organisations’ entries sealed (auditors)', async () => {
      const res = await call<string>(f.staff.auditor, 'GET', '/api/disclosures/logs/access/export');
      expect(res.status).to.equal(200);
      const parsed = parseExport(res.body);
      expect(parsed.entries.length + parsed.sealed.length).to.equal(await count(`audit_log_entries WHERE log = 'access'`));
      expect(parsed.sealed.length).to.be.greaterThan(0);
      // Only Kela's people's accesses are shown in full.
      const kelaOrgs = new Set<string>([f.orgs.kela, f.orgs.kelaSouth, f.orgs.kelaWest]);
      expect(parsed.entries.every((e) => kelaOrgs.has((e.entry as { actorOrganisationId: string }).actorOrganisationId))).to.equal(true);
      expect(res.body).not.to.contain(f.orgs.countyB);
      const result = await verifyExport(parsed, Buffer.from(parsed.header.publicKey, 'base64'));
      expect(result.ok, JSON.stringify(result)).to.equal(true);
      // An entry shown in full and edited is caught, as is a sealed one moved out of the chain.
      const edited = res.body.replace(/"purpose":"audit"/, '"purpose":"other"');
      expect(edited).not.to.equal(res.body);
      expect((await verifyExport(parseExport(edited), Buffer.from(parsed.header.publicKey, 'base64'))).ok).to.equal(false);
      const dropped = res.body.split('\n').filter((l, i, all) => i !== all.findIndex((x) => x.startsWith('{"type":"sealed"'))).join('\n');
      expect((await verifyExport(parseExport(dropped), Buffer.from(parsed.header.publicKey, 'base64'))).ok).to.equal(false);
      // The auditor's download verifies offline with `npm run audit:verify` and the public key alone.
      const file = path.join(tempDir(), 'access.jsonl');
      fs.writeFileSync(file, res.body);
      const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/src/disclosures/verify-cli.ts'), file, '--public-key', parsed.header.publicKey], { cwd: REPO_ROOT, env: { ...process.env, AUDIT_SIGNING_KEY: '' } });
      expect(cli.stdout).to.match(/access: ok/i);
      const verify = await call<{ ok: boolean; entries: number }>(f.staff.auditor, 'GET', '/api/disclosures/logs/access/verify');
      expect(verify.body).to.deep.include({ ok: true, entries: parsed.entries.length });
      expect((await call(f.staff.countyAWorker, 'GET', '/api/disclosures/logs/access/export')).status).to.equal(403);
      expect((await call(f.staff.auditor, 'GET', '/api/disclosures/logs/secrets/export')).status).to.equal(400);
    });

    it('lets only auditors run the report, and keeps other organisations’ clients out of reach', async () => {
      for (const who of [f.staff.countyAWorker, f.staff.kelaHandler, f.staff.countyAAdmin]) {
        expect((await call(who, 'POST', '/api/disclosures/client-report', { client: { hetu: f.clients!.a.hetu } })).status, who).to.equal(403);
      }
      // Nobody's client, or a client with nothing in the auditor's scope: the same empty report, not logged.
      const events = () => count('client_access_events');
      const before0 = await events();
      const none = await call<ClientReportView>(f.staff.auditor, 'POST', '/api/disclosures/client-report', { client: { applicationId: 'no-such' } });
      const elsewhere = await call<ClientReportView>(COUNTY_B_AUDITOR, 'POST', '/api/disclosures/client-report', { client: { hetu: f.clients!.a.hetu } });
      expect(none.status).to.equal(200);
      expect([none.body.accesses, none.body.disclosures, elsewhere.body.accesses, elsewhere.body.disclosures]).to.deep.equal([[], [], [], []]);
      expect(await events()).to.equal(before0);
      const before = await writes();
      // County B's worker can neither record a consent nor a disclosure about county A's client.
      expect((await consent(f.staff.countyBWorker)).status).to.equal(404);
      expect((await disclose(f.staff.countyBWorker)).status).to.equal(404);
      expect(await writes()).to.deep.equal(before);
      expect((await fetch(`${rinki.url}/api/legal-bases`)).status).to.equal(401);
    });
  });
}
