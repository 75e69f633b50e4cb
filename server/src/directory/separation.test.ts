// The trust boundary between organisations on the demo directory: the import
// stays within the importer's scope, roles follow the separation of duties,
// and an auditor sees their own organisation's processing only.
import { expect } from 'chai';
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import type { ClientReportView } from '../../../shared/src/disclosures.ts';
import { apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { apiCaller } from '../../../tests/helpers/api.ts';
import { hashHetu } from './client-id.ts';
import { DEMO_CLIENTS } from './demo-data.ts';
import * as repo from './repository.ts';

const [eksoteClient, keusoteClient, pohjanmaaClient] = DEMO_CLIENTS;
const LAPPEENRANTA = eksoteClient.municipalityCode; // an Eksote municipality
const CENTRAL_NON_DISCLOSURE_TEAM = 'kela-lantinen-turvakielto';

describe('trust boundary on the demo directory', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  const tokens: Record<string, string> = {};
  const call = apiCaller(() => rinki, tokens);
  const people = ['eksote.admin', 'eksote.sosiaalityontekija', 'keusote.admin', 'kela.admin', 'kela.kasittelija', 'auditor', 'pohjanmaa-granskare', 'pohjanmaa.socialarbetare', 'pohjanmaa.admin', 'eksote-3'];

  before(async () => {
    rinki = await startTestRinki({ store: 'pglite', env: { DEMO_DATA: 'true' } });
    for (const id of people) tokens[id] = await apiTokenFor(rinki, id);
  });
  after(() => rinki.cleanup());

  const importCsv = async (staffId: string, kind: string, csv: string, dryRun = false) => {
    const res = await fetch(`${rinki.url}/api/directory/import?format=csv&kind=${kind}&dryRun=${dryRun}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[staffId]}`, 'content-type': 'text/csv' },
      body: csv,
    });
    return { status: res.status, body: (await res.json()) as { ok: boolean; counts: Record<string, unknown>; issues: { line: number; path: string; message: string }[] } };
  };
  const clientRow = async (hetu: string) => {
    const id = await repo.clientIdByHetuHash(rinki.deps.db, await hashHetu(rinki.deps.keys.clientIdKey, hetu));
    const [c] = await rinki.deps.db.query<{ id: string; municipality_code: string; non_disclosure: boolean; language: string }>('SELECT id, municipality_code, non_disclosure, language FROM clients WHERE id = $1', [id]);
    const workers = (await repo.namedWorkers(rinki.deps.db, id!)).map((w) => w.staffId);
    return { ...c, workers };
  };
  const accessEvents = (clientId: string) =>
    rinki.deps.db.query<{ actor_id: string; action: string; purpose: string }>('SELECT actor_id, action, purpose FROM client_access_events WHERE client_id = $1 ORDER BY id', [clientId]);

  describe('import of clients', () => {
    it('refuses a client another county holds, row by row with the reason, and changes nothing', async () => {
      const before = await clientRow(keusoteClient.hetu);
      const csv = `hetu,municipalityCode,nonDisclosure\n${keusoteClient.hetu},${LAPPEENRANTA},false\n`;
      const res = await importCsv('eksote.admin', 'clients', csv);
      expect(res.status).to.equal(400);
      expect(res.body.issues).to.have.length(1);
      expect(res.body.issues[0]).to.include({ line: 2, path: 'hetu' });
      expect(res.body.issues[0].message).to.match(/another county/);
      expect(await clientRow(keusoteClient.hetu)).to.deep.equal(before);
      // The attempt itself is in the access log, in the importer's name.
      expect((await accessEvents(before.id)).at(-1)).to.include({ actor_id: 'eksote.admin', action: 'client.import.refused', purpose: 'directory_import' });
    });

    it('answers a dry run the same for a client of another county as for a new code', async () => {
      const elsewhere = await importCsv('eksote.admin', 'clients', `hetu,municipalityCode\n${keusoteClient.hetu},${LAPPEENRANTA}\n`, true);
      const fresh = await importCsv('eksote.admin', 'clients', `hetu,municipalityCode\n${fictionalHetu('1970-07-07', 77)},${LAPPEENRANTA}\n`, true);
      expect(elsewhere.status).to.equal(200);
      expect(elsewhere.body).to.deep.equal(fresh.body);
      // Nor does it tell an own client from a new code.
      const own = await importCsv('eksote.admin', 'clients', `hetu,municipalityCode\n${eksoteClient.hetu},${LAPPEENRANTA}\n`, true);
      expect(own.body).to.deep.equal(fresh.body);
    });

    it('keeps the stored non-disclosure and named workers a row leaves out, and logs every client it touches', async () => {
      const before = await clientRow(eksoteClient.hetu);
      expect(before.workers).to.include(eksoteClient.namedWorker);
      await rinki.deps.db.query('UPDATE clients SET non_disclosure = true WHERE id = $1', [before.id]);
      const res = await importCsv('eksote.admin', 'clients', `hetu,municipalityCode,language\n${eksoteClient.hetu},${LAPPEENRANTA},sv\n`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const after = await clientRow(eksoteClient.hetu);
      expect(after).to.deep.include({ non_disclosure: true, language: 'sv', workers: before.workers });
      expect((await accessEvents(before.id)).at(-1)).to.include({ actor_id: 'eksote.admin', action: 'client.import', purpose: 'directory_import' });
      // Said explicitly, the row does clear them.
      const clear = JSON.stringify({ clients: [{ hetu: eksoteClient.hetu, municipalityCode: LAPPEENRANTA, nonDisclosure: false, namedWorkers: [] }] });
      const res2 = await fetch(`${rinki.url}/api/directory/import?format=json`, { method: 'POST', headers: { authorization: `Bearer ${tokens['eksote.admin']}`, 'content-type': 'application/json' }, body: clear });
      expect(res2.status).to.equal(200);
      expect(await clientRow(eksoteClient.hetu)).to.deep.include({ non_disclosure: false, workers: [] });
    });
  });

  describe('import of staff', () => {
    it('refuses a county admin placing their people in Kela’s central non-disclosure team', async () => {
      const csv = `id,organisationId,displayName,roles,teamIds\neksote-3,eksote,Eksote Kolme,caseworker,${CENTRAL_NON_DISCLOSURE_TEAM}\n`;
      const res = await importCsv('eksote.admin', 'staff', csv);
      expect(res.status).to.equal(400);
      expect(res.body.issues[0]).to.include({ line: 2, path: 'teamIds.0' });
      expect((await repo.getStaff(rinki.deps.db, 'eksote-3'))!.teamIds).not.to.include(CENTRAL_NON_DISCLOSURE_TEAM);
      // The REST API refuses the same change.
      const person = (await repo.getStaff(rinki.deps.db, 'eksote-3'))!;
      const { id: _id, ...update } = { ...person, titleFi: undefined, titleSv: undefined, email: undefined, teamIds: [...person.teamIds, CENTRAL_NON_DISCLOSURE_TEAM] };
      expect((await call('eksote.admin', 'PUT', '/api/staff/eksote-3', JSON.parse(JSON.stringify(update)))).status).to.equal(403);
    });

    it('refuses an import granting its own importer a role, admin and auditor together, or a password on an auditor account', async () => {
      const self = await importCsv('eksote.admin', 'staff', 'id,organisationId,displayName,roles\neksote.admin,eksote,Eetu Ylläpitäjä,admin;auditor\n');
      expect(self.status).to.equal(400);
      expect(self.body.issues.map((i) => i.path)).to.include('roles');
      const password = await importCsv('eksote.admin', 'staff', 'id,organisationId,displayName,username,password,roles\neksote-new-auditor,eksote,Uusi Tarkastaja,eksote.tarkastaja,salasana-123,auditor\n');
      expect(password.status).to.equal(400);
      expect(password.body.issues.map((i) => i.path)).to.deep.equal(['password']);
      expect(await repo.getStaff(rinki.deps.db, 'eksote-new-auditor')).to.equal(undefined);
    });
  });

  describe('roles', () => {
    const put = (by: string, id: string, roles: { role: string; organisationId: string }[]) =>
      repo.getStaff(rinki.deps.db, id).then((p) => {
        const { id: _id, titleFi, titleSv, email, ...rest } = p!;
        return call<{ message?: string; roles?: unknown }>(by, 'PUT', `/api/staff/${id}`, { ...rest, ...(titleFi ? { titleFi } : {}), ...(titleSv ? { titleSv } : {}), ...(email ? { email } : {}), roles });
      });

    it('refuses an admin granting themselves the auditor role, in plain words', async () => {
      const res = await put('eksote.admin', 'eksote.admin', [{ role: 'admin', organisationId: 'eksote' }, { role: 'auditor', organisationId: 'eksote' }]);
      expect(res.status).to.equal(403);
      expect(res.body.message).to.match(/your own roles/);
      expect((await repo.getStaff(rinki.deps.db, 'eksote.admin'))!.roles.map((g) => g.role)).to.deep.equal(['admin']);
    });

    it('lets the county’s root admin grant and revoke auditor to someone else, never together with admin, and records each in the change history', async () => {
      const both = await put('eksote.admin', 'eksote-3', [{ role: 'admin', organisationId: 'eksote' }, { role: 'auditor', organisationId: 'eksote' }]);
      expect(both.status).to.equal(400);
      expect(both.body.message).to.match(/admin and auditor/);
      const granted = await put('eksote.admin', 'eksote-3', [{ role: 'auditor', organisationId: 'eksote' }]);
      expect(granted.status, JSON.stringify(granted.body)).to.equal(200);
      const history = await rinki.deps.db.query<{ action: string; details: { role: string } }>(`SELECT action, details FROM admin_changes WHERE kind = 'role' AND target = 'eksote-3' ORDER BY id`);
      expect(history.map((h) => [h.action, h.details.role])).to.deep.equal([
        ['granted', 'auditor'],
        ['revoked', 'caseworker'],
      ]);
      expect((await put('eksote.admin', 'eksote-3', [{ role: 'caseworker', organisationId: 'eksote' }])).status).to.equal(200);
    });

    it('refuses an admin granting roles in another organisation', async () => {
      const res = await put('eksote.admin', 'eksote-3', [{ role: 'caseworker', organisationId: 'eksote' }, { role: 'caseworker', organisationId: 'keusote' }]);
      expect(res.status).to.equal(403);
    });
  });

  describe('auditor scope', () => {
    it('shows each auditor their own organisation’s reads of a client only', async () => {
      // Each reader has a task relation to the client: the county's named worker, Kela's handler of a pending application.
      const { id: clientId } = await clientRow(pohjanmaaClient.hetu);
      await rinki.deps.db.query(`INSERT INTO client_named_workers (client_id, staff_id, kind) VALUES ($1, 'pohjanmaa.socialarbetare', 'omatyontekija') ON CONFLICT DO NOTHING`, [clientId]);
      await rinki.deps.db.query(`INSERT INTO kela_applications (id, client_id, status, handler_id, submitted_at) VALUES ('KELA-TEST-SCOPE', $1, 'pending', 'kela.kasittelija', now())`, [clientId]);
      for (const reader of ['pohjanmaa.socialarbetare', 'kela.kasittelija']) {
        const read = await call(reader, 'POST', '/api/clients/lookup', { hetu: pohjanmaaClient.hetu, purpose: 'case_handling' });
        expect(read.status, reader).to.equal(200);
      }
      const readers = async (auditor: string) => {
        const report = await call<ClientReportView>(auditor, 'POST', '/api/disclosures/client-report', { client: { hetu: pohjanmaaClient.hetu } });
        expect(report.status).to.equal(200);
        return new Set(report.body.accesses.filter((a) => a.action === 'client.read').map((a) => a.actor.staffId));
      };
      expect([...(await readers('auditor'))]).to.deep.equal(['kela.kasittelija']);
      expect([...(await readers('pohjanmaa-granskare'))]).to.deep.equal(['pohjanmaa.socialarbetare']);
      const search = await call<{ person: { organisationId: string } }[]>('pohjanmaa-granskare', 'POST', '/api/disclosures/logs/search', { log: 'access' });
      expect(search.status).to.equal(200);
      expect(search.body.length).to.be.greaterThan(0);
      expect(search.body.every((r) => r.person.organisationId === 'pohjanmaa')).to.equal(true);
    });
  });
});
