import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import { REDACTED_PATHS } from '../log.ts';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { dumpDatabaseText, makeOrgFixture, type OrgFixture } from './fixtures.ts';

const wrongCheck = (hetu: string) => hetu.slice(0, 10) + (hetu.endsWith('0') ? '1' : '0');

for (const store of STORE_KINDS) {
  describe(`directory REST API on ${store}`, function () {
    let rinki: TestRinki;
    let f: OrgFixture;
    let logs = '';
    const tokens: Record<string, string> = {};

    before(async () => {
      const sink = new Writable({
        write(chunk, _enc, cb) {
          logs += chunk.toString();
          cb();
        },
      });
      const log = pino({ level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
      rinki = await startTestRinki({ store, log, env: { IMPORT_LIMIT_BYTES: '200000' } });
      f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
      for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
    });
    after(() => rinki.cleanup());

    const call = async (staffId: string | null, method: string, path: string, body?: unknown, raw?: { text: string; type: string }) => {
      const headers: Record<string, string> = {};
      if (staffId) headers.authorization = `Bearer ${tokens[staffId]}`;
      let payload: string | undefined;
      if (raw) {
        headers['content-type'] = raw.type;
        payload = raw.text;
      } else if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const res = await fetch(`${rinki.url}${path}`, { method, headers, body: payload });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const accessEvents = () => rinki.deps.db.query<Record<string, unknown>>('SELECT * FROM client_access_events ORDER BY id');
    const count = async (table: string) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

    describe('client lookup', () => {
      it('returns the record to a caseworker of the client’s county and logs the read', async () => {
        const before = (await accessEvents()).length;
        const res = await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'case_handling' });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.include({ id: f.clients!.a.id, language: 'fi', nonDisclosure: false });
        expect(res.body.county).to.deep.equal({ id: f.orgs.countyA, nameFi: 'Testi A hyvinvointialue', nameSv: 'Test A välfärdsområde' });
        expect(res.body.municipality.code).to.equal(f.municipalities.a1);
        expect(res.body.namedWorkers.map((w: { staffId: string }) => w.staffId)).to.deep.equal([f.staff.countyAWorker]);
        expect(res.body.pendingApplications).to.have.length(1);
        expect(res.body.pendingApplications[0].handler).to.include({ staffId: f.staff.kelaHandler, organisationId: f.orgs.kelaSouth });
        expect(res.body.openConcernNotifications).to.deep.equal([]);
        const events = await accessEvents();
        expect(events).to.have.length(before + 1);
        expect(events.at(-1)).to.include({
          actor_id: f.staff.countyAWorker,
          actor_organisation_id: f.orgs.countyA,
          client_id: f.clients!.a.id,
          action: 'client.read',
          purpose: 'case_handling',
        });
      });

      it('finds a client by Kela application id for its handler, and for no other Kela worker', async () => {
        const res = await call(f.staff.kelaHandler, 'POST', '/api/clients/lookup', { applicationId: f.applications.clientA, purpose: 'routing' });
        expect(res.status).to.equal(200);
        expect(res.body.id).to.equal(f.clients!.a.id);
        expect((await accessEvents()).at(-1)).to.include({ actor_id: f.staff.kelaHandler, action: 'client.read', purpose: 'routing' });
        const other = await call(f.staff.kelaSwedish, 'POST', '/api/clients/lookup', { applicationId: f.applications.clientA, purpose: 'routing' });
        expect(other.status).to.equal(404);
        expect((await accessEvents()).at(-1)).to.include({ actor_id: f.staff.kelaSwedish, action: 'client.read.refused', purpose: 'routing' });
      });

      it('marks a non-disclosure client and returns no address data, municipality or county', async () => {
        await rinki.deps.db.query(`INSERT INTO client_named_workers (client_id, staff_id, kind) VALUES ($1, $2, 'omatyontekija') ON CONFLICT DO NOTHING`, [f.clients!.b.id, f.staff.countyBWorker]);
        const res = await call(f.staff.countyBWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.b.hetu, purpose: 'case_handling' });
        expect(res.status).to.equal(200);
        expect(res.body.nonDisclosure).to.equal(true);
        expect(res.body).to.deep.include({ municipality: null, county: null });
        expect(JSON.stringify(res.body)).not.to.match(/address|osoite|street|postal|Bekylä|Bby/i);
      });

      it('rejects an invalid henkilötunnus with 400 naming hetu', async () => {
        const bad = wrongCheck(f.clients!.a.hetu);
        const res = await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: bad, purpose: 'routing' });
        expect(res.status).to.equal(400);
        expect(res.body.issues[0].path).to.equal('body.hetu');
        expect(res.body.message).to.match(/hetu/);
      });

      it('answers 404 for an unknown client and logs no read', async () => {
        const before = (await accessEvents()).length;
        const res = await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: fictionalHetu('1970-07-07', 50), purpose: 'routing' });
        expect(res.status).to.equal(404);
        expect(await accessEvents()).to.have.length(before);
      });

      it('rejects malformed JSON, unknown fields, a missing purpose, and both identifiers at once', async () => {
        expect((await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', '{"hetu": ')).status).to.equal(400);
        const unknown = await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'routing', name: 'x' });
        expect(unknown.status).to.equal(400);
        expect(JSON.stringify(unknown.body)).to.contain('name');
        const noPurpose = await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu });
        expect(noPurpose.status).to.equal(400);
        expect(noPurpose.body.issues.map((i: { path: string }) => i.path)).to.include('body.purpose');
        const both = await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, applicationId: 'x', purpose: 'routing' });
        expect(both.status).to.equal(400);
      });

      it('refuses an oversized body with 413', async () => {
        const res = await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: 'x'.repeat(1_100_000), purpose: 'routing' });
        expect(res.status).to.equal(413);
      });

      it('answers 404 to a caseworker of another county, as if the client did not exist, and logs the refused read', async () => {
        const before = (await accessEvents()).length;
        const res = await call(f.staff.countyBWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'case_handling' });
        expect(res.status).to.equal(404);
        const missing = await call(f.staff.countyBWorker, 'POST', '/api/clients/lookup', { hetu: fictionalHetu('1970-07-07', 50), purpose: 'case_handling' });
        expect(res.body).to.deep.equal(missing.body);
        const byApp = await call(f.staff.countyBWorker, 'POST', '/api/clients/lookup', { applicationId: f.applications.clientA, purpose: 'case_handling' });
        expect(byApp.status).to.equal(404);
        const events = await accessEvents();
        expect(events).to.have.length(before + 2);
        for (const e of events.slice(-2)) expect(e).to.include({ actor_id: f.staff.countyBWorker, client_id: f.clients!.a.id, action: 'client.read.refused' });
      });

      it('refuses an admin-only user with 403, whatever the purpose', async () => {
        for (const purpose of ['case_handling', 'emergency']) {
          const res = await call(f.staff.kelaAdmin, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose, reason: 'Tarkistus ylläpidon tehtävässä, ei asiakastyötä' });
          expect(res.status, purpose).to.equal(403);
        }
      });

      it('refuses an auditor-only user with 403', async () => {
        const res = await call(f.staff.auditor, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'audit' });
        expect(res.status).to.equal(403);
      });

      it('requires sign-in', async () => {
        expect((await call(null, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'routing' })).status).to.equal(401);
      });

      it('has no endpoint that lists clients', async () => {
        for (const path of ['/api/clients', `/api/clients/${f.clients!.a.id}`, `/api/clients/lookup?hetu=${f.clients!.a.hetu}`]) {
          const res = await call(f.staff.kelaAdmin, 'GET', path);
          expect(res.status, path).to.equal(404);
        }
        const doc = await (await fetch(`${rinki.url}/api/openapi.json`)).json();
        expect(Object.keys(doc.paths).filter((p: string) => p.startsWith('/api/clients'))).to.deep.equal(['/api/clients/lookup']);
      });
    });

    describe('directory reads', () => {
      it('lists organisations, municipalities and teams to any signed-in person', async () => {
        const orgs = await call(f.staff.countyBWorker, 'GET', '/api/organisations');
        expect(orgs.status).to.equal(200);
        expect(orgs.body.map((o: { id: string }) => o.id)).to.include.members(Object.values(f.orgs));
        expect((await call(f.staff.countyBWorker, 'GET', `/api/organisations/${f.orgs.kelaSouth}`)).body.parentId).to.equal(f.orgs.kela);
        expect((await call(f.staff.countyBWorker, 'GET', '/api/organisations/nope')).status).to.equal(404);
        const munis = await call(f.staff.countyBWorker, 'GET', '/api/municipalities');
        expect(munis.body.map((m: { code: string }) => m.code)).to.include.members(Object.values(f.municipalities));
        const m = await call(f.staff.countyBWorker, 'GET', `/api/municipalities/${f.municipalities.a1}`);
        expect(m.body.contacts.map((c: { staffId: string }) => c.staffId)).to.include(f.staff.kelaLiaison);
        const teams = await call(f.staff.countyBWorker, 'GET', `/api/teams?organisationId=${f.orgs.countyA}`);
        expect(teams.body.map((t: { id: string }) => t.id)).to.deep.equal([f.teams.countyA]);
        expect((await call(f.staff.countyBWorker, 'GET', `/api/teams?bogus=1`)).status).to.equal(400);
        expect((await call(null, 'GET', '/api/organisations')).status).to.equal(401);
      });

      it('shows people without password hashes; username and phone only to admins and oneself', async () => {
        const list = await call(f.staff.countyBWorker, 'GET', `/api/staff?teamId=${f.teams.kelaSouth}`);
        expect(list.status).to.equal(200);
        expect(list.body.map((s: { id: string }) => s.id)).to.include(f.staff.kelaWorker);
        expect(JSON.stringify(list.body)).not.to.match(/password|argon/i);
        const other = await call(f.staff.countyBWorker, 'GET', `/api/staff/${f.staff.countyAWorker}`);
        expect(other.body).to.include({ displayName: 'Anna Sosiaalityöntekijä', organisationId: f.orgs.countyA });
        expect(other.body).not.to.have.property('username');
        const asAdmin = await call(f.staff.countyAAdmin, 'GET', `/api/staff/${f.staff.countyAWorker}`);
        expect(asAdmin.body).to.have.property('username');
        expect((await call(f.staff.countyBWorker, 'GET', '/api/staff/nobody')).status).to.equal(404);
      });
    });

    describe('directory changes', () => {
      const team = (id: string, organisationId: string) => ({
        id,
        organisationId,
        nameFi: 'Uusi tiimi',
        nameSv: 'Nytt team',
        languages: ['fi'],
        hours: { mon: [['08:00', '16:00']] },
      });

      it('lets an admin create, replace and delete a team of their organisation', async () => {
        const created = await call(f.staff.countyAAdmin, 'POST', '/api/teams', team('a-new', f.orgs.countyA));
        expect(created.status).to.equal(201);
        expect(created.body).to.include({ id: 'a-new', organisationId: f.orgs.countyA, closedOnHolidays: true });
        expect((await call(f.staff.countyAAdmin, 'POST', '/api/teams', team('a-new', f.orgs.countyA))).status).to.equal(409);
        const { id: _id, ...update } = { ...team('a-new', f.orgs.countyA), nameFi: 'Nimetty' };
        const put = await call(f.staff.countyAAdmin, 'PUT', '/api/teams/a-new', update);
        expect(put.status).to.equal(200);
        expect(put.body.nameFi).to.equal('Nimetty');
        expect((await call(f.staff.countyAAdmin, 'DELETE', '/api/teams/a-new')).status).to.equal(204);
        expect((await call(f.staff.countyAAdmin, 'GET', '/api/teams/a-new')).status).to.equal(404);
      });

      it('lets a Kela admin at the root create a team in a district', async () => {
        const res = await call(f.staff.kelaAdmin, 'POST', '/api/teams', team('kela-new', f.orgs.kelaWest));
        expect(res.status).to.equal(201);
      });

      it('refuses a non-admin creating a team (403, nothing written)', async () => {
        const before = await count('teams');
        const res = await call(f.staff.countyAWorker, 'POST', '/api/teams', team('x-team', f.orgs.countyA));
        expect(res.status).to.equal(403);
        expect(await count('teams')).to.equal(before);
      });

      it('refuses an admin of county A changing county B’s team', async () => {
        const { id: _id, ...update } = team(f.teams.countyB, f.orgs.countyB);
        const res = await call(f.staff.countyAAdmin, 'PUT', `/api/teams/${f.teams.countyB}`, update);
        expect(res.status).to.equal(403);
        const moved = await call(f.staff.countyAAdmin, 'PUT', `/api/teams/${f.teams.countyB}`, { ...update, organisationId: f.orgs.countyA });
        expect(moved.status).to.equal(403);
        expect((await call(f.staff.countyAAdmin, 'DELETE', `/api/teams/${f.teams.countyB}`)).status).to.equal(403);
        expect((await call(f.staff.countyAAdmin, 'POST', '/api/teams', team('b-x', f.orgs.countyB))).status).to.equal(403);
        const unchanged = await call(f.staff.countyBWorker, 'GET', `/api/teams/${f.teams.countyB}`);
        expect(unchanged.body.nameFi).to.equal('B aikuissosiaalityö');
      });

      it('validates team bodies: unknown field, bad hours, unknown organisation', async () => {
        expect((await call(f.staff.countyAAdmin, 'POST', '/api/teams', { ...team('t1', f.orgs.countyA), colour: 'red' })).status).to.equal(400);
        const hours = await call(f.staff.countyAAdmin, 'POST', '/api/teams', { ...team('t1', f.orgs.countyA), hours: { mon: [['16:00', '08:00']] } });
        expect(hours.status).to.equal(400);
        expect(hours.body.issues[0].path).to.match(/^body\.hours\.mon/);
        const org = await call(f.staff.countyAAdmin, 'POST', '/api/teams', team('t1', 'nope'));
        expect(org.status).to.equal(400);
        expect(org.body.message).to.match(/organisationId/);
        // What the database cannot hold is refused at the door, as a 400 rather than a failed insert.
        const before = await count('teams');
        for (const nameFi of ['a\u0000b', '\ud800']) {
          const res = await call(f.staff.countyAAdmin, 'POST', '/api/teams', { ...team('t1', f.orgs.countyA), nameFi });
          expect(res.status, JSON.stringify(nameFi)).to.equal(400);
          expect(res.body.message).to.match(/U\+0000 or an unpaired surrogate/);
        }
        expect(await count('teams')).to.equal(before);
      });

      it('lets an admin add staff only with roles and teams of their own organisation', async () => {
        const person = { id: 'a-new-worker', organisationId: f.orgs.countyA, displayName: 'Uusi Työntekijä', roles: [{ role: 'caseworker', organisationId: f.orgs.countyA }], teamIds: [f.teams.countyA] };
        const ok = await call(f.staff.countyAAdmin, 'POST', '/api/staff', person);
        expect(ok.status).to.equal(201);
        expect(ok.body.teamIds).to.deep.equal([f.teams.countyA]);
        const foreignRole = await call(f.staff.countyAAdmin, 'POST', '/api/staff', { ...person, id: 'a-2', roles: [{ role: 'admin', organisationId: f.orgs.countyB }] });
        expect(foreignRole.status).to.equal(403);
        const foreignTeam = await call(f.staff.countyAAdmin, 'POST', '/api/staff', { ...person, id: 'a-3', teamIds: [f.teams.countyB] });
        expect(foreignTeam.status).to.equal(403);
        expect((await call(f.staff.countyAWorker, 'POST', '/api/staff', { ...person, id: 'a-4' })).status).to.equal(403);
        expect((await call(f.staff.countyBAdmin, 'DELETE', '/api/staff/a-new-worker')).status).to.equal(403);
        expect((await call(f.staff.countyAAdmin, 'DELETE', '/api/staff/a-new-worker')).status).to.equal(204);
        expect((await call(f.staff.countyAAdmin, 'GET', '/api/staff/a-new-worker')).body.active).to.equal(false);
      });

      it('keeps the separation of duties: no own roles, admin and auditor from the root admin only, each change in the history', async () => {
        const roles = (id: string) => rinki.deps.db.query<{ role: string; organisation_id: string }>('SELECT role, organisation_id FROM staff_roles WHERE staff_id = $1 ORDER BY role', [id]);
        const putRoles = async (by: string, id: string, grants: { role: string; organisationId: string }[]) => {
          const p = (await call(by, 'GET', `/api/staff/${id}`)).body;
          return call(by, 'PUT', `/api/staff/${id}`, { organisationId: p.organisationId, displayName: p.displayName, languages: p.languages, teamIds: p.teamIds, roles: grants });
        };
        // Kela's root admin makes the supervisor an admin of the southern district.
        const made = await putRoles(f.staff.kelaAdmin, f.staff.kelaSupervisor, [{ role: 'supervisor', organisationId: f.orgs.kelaSouth }, { role: 'admin', organisationId: f.orgs.kelaSouth }]);
        expect(made.status, JSON.stringify(made.body)).to.equal(200);
        // A district admin grants working roles in the district, but not admin or auditor, and nothing of their own.
        const admin = await putRoles(f.staff.kelaSupervisor, f.staff.kelaWorker, [{ role: 'caseworker', organisationId: f.orgs.kelaSouth }, { role: 'admin', organisationId: f.orgs.kelaSouth }]);
        expect(admin.status).to.equal(403);
        expect(admin.body.message).to.match(/Only an admin at the root of kela may grant the admin role/);
        expect((await putRoles(f.staff.kelaSupervisor, f.staff.kelaWorker, [{ role: 'caseworker', organisationId: f.orgs.kelaSouth }, { role: 'on_call', organisationId: f.orgs.kelaSouth }])).status).to.equal(200);
        const own = await putRoles(f.staff.kelaSupervisor, f.staff.kelaSupervisor, [{ role: 'admin', organisationId: f.orgs.kelaSouth }]);
        expect(own.status).to.equal(403);
        expect(own.body.message).to.match(/your own roles/);
        // Nobody holds admin and auditor in one root organisation, not even at different units of it.
        const both = await putRoles(f.staff.kelaAdmin, f.staff.kelaSupervisor, [{ role: 'admin', organisationId: f.orgs.kelaSouth }, { role: 'auditor', organisationId: f.orgs.kela }]);
        expect(both.status).to.equal(400);
        expect((await roles(f.staff.kelaSupervisor)).map((r) => r.role)).to.deep.equal(['admin', 'supervisor']);
        // The root admin revokes it again; each grant and revocation is a row of the change history.
        expect((await putRoles(f.staff.kelaAdmin, f.staff.kelaSupervisor, [{ role: 'supervisor', organisationId: f.orgs.kelaSouth }])).status).to.equal(200);
        const history = await call(f.staff.kelaAdmin, 'GET', `/api/admin/changes?organisationId=${f.orgs.kelaSouth}`);
        const roleRows = history.body.filter((c: { kind: string }) => c.kind === 'role').map((c: { target: string; action: string; actorId: string; details: { role: string } }) => [c.actorId, c.target, c.action, c.details.role]);
        expect(roleRows).to.deep.include.members([
          [f.staff.kelaAdmin, f.staff.kelaSupervisor, 'granted', 'admin'],
          [f.staff.kelaSupervisor, f.staff.kelaWorker, 'granted', 'on_call'],
          [f.staff.kelaAdmin, f.staff.kelaSupervisor, 'revoked', 'admin'],
        ]);
        // Deactivating someone revokes their roles, by the same rules: not oneself.
        expect((await call(f.staff.countyAAdmin, 'DELETE', `/api/staff/${f.staff.countyAAdmin}`)).status).to.equal(403);
        expect((await call(f.staff.kelaAdmin, 'PUT', `/api/staff/${f.staff.kelaWorker}`, { organisationId: f.orgs.kelaSouth, displayName: 'Kaisa Kelalainen', teamIds: [f.teams.kelaSouth], roles: [{ role: 'caseworker', organisationId: f.orgs.kelaSouth }] })).status).to.equal(200);
      });

      it('takes a stand-in only from the absent person’s own organisation', async () => {
        const body = { staffId: f.staff.kelaHandler, startsAt: '2026-04-01T00:00:00Z', endsAt: '2026-04-10T00:00:00Z', standInId: f.staff.countyAWorker };
        const res = await call(f.staff.kelaAdmin, 'POST', '/api/absences', body);
        expect(res.status).to.equal(400);
        expect(res.body.issues[0].path).to.equal('body.standInId');
        expect((await call(f.staff.kelaAdmin, 'POST', '/api/absences', { ...body, standInId: f.staff.kelaSwedish })).status).to.equal(201);
      });

      it('records absences with a stand-in (admins only)', async () => {
        const body = { staffId: f.staff.kelaHandler, startsAt: '2026-03-01T00:00:00Z', endsAt: '2026-03-10T00:00:00Z', standInId: f.staff.kelaWorker, reason: 'leave' };
        expect((await call(f.staff.kelaWorker, 'POST', '/api/absences', body)).status).to.equal(403);
        expect((await call(f.staff.countyAAdmin, 'POST', '/api/absences', body)).status).to.equal(403);
        const bad = await call(f.staff.kelaAdmin, 'POST', '/api/absences', { ...body, endsAt: '2026-02-01T00:00:00Z' });
        expect(bad.status).to.equal(400);
        expect(bad.body.issues[0].path).to.equal('body.endsAt');
        const before = await count('absences');
        const foreign = await call(f.staff.kelaAdmin, 'POST', '/api/absences', { ...body, standInId: f.staff.countyAWorker });
        expect(foreign.status).to.equal(400);
        expect(foreign.body.issues[0].path).to.equal('body.standInId');
        expect(await count('absences')).to.equal(before);
        const res = await call(f.staff.kelaAdmin, 'POST', '/api/absences', body);
        expect(res.status).to.equal(201);
        // Kela's districts are one organisation: a stand-in of another district is fine.
        const otherDistrict = await call(f.staff.kelaAdmin, 'POST', '/api/absences', { ...body, standInId: f.staff.kelaSwedish });
        expect(otherDistrict.status).to.equal(201);
        expect((await call(f.staff.kelaAdmin, 'DELETE', `/api/absences/${otherDistrict.body.id}`)).status).to.equal(204);
        const list = await call(f.staff.kelaHandler, 'GET', `/api/staff/${f.staff.kelaHandler}/absences`);
        expect(list.body.map((a: { id: string }) => a.id)).to.include(res.body.id);
        expect((await call(f.staff.countyBWorker, 'GET', `/api/staff/${f.staff.kelaHandler}/absences`)).status).to.equal(403);
        expect((await call(f.staff.kelaAdmin, 'DELETE', `/api/absences/${res.body.id}`)).status).to.equal(204);
      });

      it('assigns municipality contacts by admins of the person’s organisation', async () => {
        const path = `/api/municipalities/${f.municipalities.b1}/contacts`;
        expect((await call(f.staff.countyAAdmin, 'POST', path, { staffId: f.staff.countyBWorker, kind: 'contact' })).status).to.equal(403);
        expect((await call(f.staff.countyBAdmin, 'POST', path, { staffId: f.staff.countyBWorker, kind: 'contact' })).status).to.equal(204);
        const m = await call(f.staff.kelaWorker, 'GET', `/api/municipalities/${f.municipalities.b1}`);
        expect(m.body.contacts).to.deep.equal([{ staffId: f.staff.countyBWorker, displayName: 'Bertta Sosiaaliohjaaja', kind: 'contact' }]);
        expect((await call(f.staff.countyBAdmin, 'DELETE', `${path}/${f.staff.countyBWorker}/contact`)).status).to.equal(204);
        expect((await call(f.staff.countyBAdmin, 'DELETE', `${path}/${f.staff.countyBWorker}/contact`)).status).to.equal(404);
      });
    });

    describe('import over REST', () => {
      const post = (staffId: string, query: string, text: string, type = 'text/csv') =>
        call(staffId, 'POST', `/api/directory/import?${query}`, undefined, { text, type });

      it('reports every bad row with line and field and writes nothing', async () => {
        const good = fictionalHetu('1981-01-01', 10);
        const badCheck = wrongCheck(fictionalHetu('1982-02-02', 11));
        const csv = [
          'hetu,municipalityCode,language,nonDisclosure',
          `${good},${f.municipalities.a1},fi,false`,
          `${badCheck},${f.municipalities.a1},fi,false`,
          `${fictionalHetu('1983-03-03', 12)},999,fi,false`,
        ].join('\n');
        const before = await count('clients');
        const res = await post(f.staff.countyAAdmin, 'format=csv&kind=clients', csv);
        expect(res.status).to.equal(400);
        expect(res.body.issues).to.deep.equal([
          { kind: 'clients', line: 3, path: 'hetu', message: 'check character' },
          { kind: 'clients', line: 4, path: 'municipalityCode', message: 'unknown municipality 999' },
        ]);
        expect(await count('clients')).to.equal(before);
      });

      it('imports a fixed file, reimports idempotently, and dry-runs without writing', async () => {
        const csv = [
          'hetu,municipalityCode,language,nonDisclosure,namedWorkers',
          `${fictionalHetu('1981-01-01', 10)},${f.municipalities.a1},fi,false,${f.staff.countyAWorker}:omatyontekija`,
          `${fictionalHetu('1983-03-03', 12)},${f.municipalities.a2},sv,true,`,
        ].join('\n');
        const before = await count('clients');
        const dry = await post(f.staff.countyAAdmin, 'format=csv&kind=clients&dryRun=true', csv);
        expect(dry.status).to.equal(200);
        // An admin's dry run does not say which codes are clients already.
        expect(dry.body).to.deep.include({ dryRun: true, ok: true, counts: { clients: { checked: 2 } } });
        expect(await count('clients')).to.equal(before);
        const first = await post(f.staff.countyAAdmin, 'format=csv&kind=clients', csv);
        expect(first.body.counts).to.deep.equal({ clients: { created: 2, updated: 0 } });
        expect(await count('clients')).to.equal(before + 2);
        const workers = await count('client_named_workers');
        const again = await post(f.staff.countyAAdmin, 'format=csv&kind=clients', csv);
        expect(again.body.counts).to.deep.equal({ clients: { created: 0, updated: 2 } });
        expect(await count('clients')).to.equal(before + 2);
        expect(await count('client_named_workers')).to.equal(workers);
      });

      it('keeps an admin to rows of their own organisation', async () => {
        const csv = `hetu,municipalityCode\n${fictionalHetu('1984-04-04', 13)},${f.municipalities.b1}\n`;
        const res = await post(f.staff.countyAAdmin, 'format=csv&kind=clients', csv);
        expect(res.status).to.equal(400);
        expect(res.body.issues[0]).to.include({ line: 2, path: 'municipalityCode' });
        const teams = JSON.stringify({ teams: [{ id: 'b-sneaky', organisationId: f.orgs.countyB, nameFi: 'x', nameSv: 'x' }] });
        const t = await post(f.staff.countyAAdmin, 'format=json', teams, 'application/json');
        expect(t.status).to.equal(400);
        expect(t.body.issues[0]).to.include({ kind: 'teams', line: 1, path: 'organisationId' });
      });

      it('refuses a file holding U+0000 with 400 and writes nothing', async () => {
        const before = await count('teams');
        const teams = JSON.stringify({ teams: [{ id: 'a-nul', organisationId: f.orgs.countyA, nameFi: 'a\u0000b', nameSv: 'x' }] });
        const res = await post(f.staff.countyAAdmin, 'format=json', teams, 'application/json');
        expect(res.status).to.equal(400);
        expect(res.body.message).to.match(/U\+0000/);
        expect(await count('teams')).to.equal(before);
      });

      it('refuses non-admins, malformed JSON, empty bodies and files over the limit', async () => {
        expect((await post(f.staff.countyAWorker, 'format=csv&kind=clients', 'hetu\n')).status).to.equal(403);
        const bad = await post(f.staff.countyAAdmin, 'format=json', '{"teams": [', 'application/json');
        expect(bad.status).to.equal(400);
        expect(bad.body.issues[0].message).to.match(/malformed JSON/);
        expect((await post(f.staff.countyAAdmin, 'format=json', '', 'application/json')).status).to.equal(400);
        expect((await post(f.staff.countyAAdmin, 'format=csv&kind=clients', 'x'.repeat(250_000))).status).to.equal(413);
        expect((await post(f.staff.countyAAdmin, 'format=xml', '<a/>')).status).to.equal(400);
      });
    });

    // Last: after every other test has written and logged what it does.
    describe('privacy', () => {
    it('never stores or logs a henkilötunnus in clear', async () => {
      const dump = await dumpDatabaseText(rinki.deps.db);
      expect(dump.length).to.be.greaterThan(1000);
      for (const hetu of [f.clients!.a.hetu, f.clients!.b.hetu, fictionalHetu('1981-01-01', 10)]) {
        expect(dump, 'database').not.to.contain(hetu);
        expect(dump, 'database').not.to.contain(hetu.toLowerCase());
        expect(logs, 'logs').not.to.contain(hetu);
      }
      expect(logs).not.to.contain(wrongCheck(f.clients!.a.hetu));
      expect(logs).to.contain('client lookup found nothing'); // the logs were captured
    });
    });
  });
}
