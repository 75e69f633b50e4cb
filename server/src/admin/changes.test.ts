// The console's server side outside routing: the change history, the
// auditor's log search and chain check, on-call calendars and the escalation
// policy read — happy paths, bad input and who may not.
import { expect } from 'chai';
import { ManualClock, apiCaller } from '../../../tests/helpers/api.ts';
import { apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';

describe('admin changes, log search and calendars (REST)', () => {
  let rinki: TestRinki;
  let f: OrgFixture;
  const tokens: Record<string, string> = {};
  const call = apiCaller(() => rinki, tokens);

  before(async () => {
    rinki = await startTestRinki({ store: 'postgres', clock: new ManualClock(Date.parse('2026-11-18T08:00:00Z')) });
    f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
    for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
  });
  after(() => rinki?.cleanup());

  it('records an admin change with the change itself and shows it to that organisation’s admins only', async () => {
    const absence = await call(f.staff.countyAAdmin, 'POST', '/api/absences', { staffId: f.staff.countyAWorker, startsAt: '2026-11-20T00:00:00Z', endsAt: '2026-11-27T00:00:00Z', standInId: f.staff.countyAContact });
    expect(absence.status).to.equal(201);
    const mine = await call<{ kind: string; target: string; action: string; actorId: string }[]>(f.staff.countyAAdmin, 'GET', `/api/admin/changes?organisationId=${f.orgs.countyA}`);
    expect(mine.status).to.equal(200);
    expect(mine.body[0]).to.include({ kind: 'absence', target: f.staff.countyAWorker, action: 'created', actorId: f.staff.countyAAdmin });
    expect((await call(f.staff.countyBAdmin, 'GET', `/api/admin/changes?organisationId=${f.orgs.countyA}`)).status).to.equal(403);
    expect((await call(f.staff.countyAWorker, 'GET', `/api/admin/changes?organisationId=${f.orgs.countyA}`)).status).to.equal(403);
    expect((await call(f.staff.countyAAdmin, 'GET', '/api/admin/changes?organisationId=no-such-org')).status).to.equal(400);
    // A refused change writes no history.
    const before = (await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM admin_changes'))[0].n;
    expect((await call(f.staff.countyBAdmin, 'POST', '/api/absences', { staffId: f.staff.countyAWorker, startsAt: '2026-11-20T00:00:00Z', endsAt: '2026-11-21T00:00:00Z' })).status).to.equal(403);
    expect((await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM admin_changes'))[0].n).to.equal(before);
  });

  it('lets the auditor search the logs by client, person and organisation, and logs a search by client', async () => {
    const lookup = await call(f.staff.kelaHandler, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'case_handling' });
    expect(lookup.status).to.equal(200);
    const byClient = await call<{ person: { staffId: string }; action: string }[]>(f.staff.auditor, 'POST', '/api/disclosures/logs/search', { log: 'access', client: { hetu: f.clients!.a.hetu } });
    expect(byClient.status).to.equal(200);
    expect(byClient.body.map((r) => r.person.staffId)).to.include(f.staff.kelaHandler);
    const byPerson = await call<unknown[]>(f.staff.auditor, 'POST', '/api/disclosures/logs/search', { log: 'access', staffId: f.staff.kelaHandler });
    expect(byPerson.body.length).to.be.at.least(1);
    const otherOrg = await call<unknown[]>(f.staff.auditor, 'POST', '/api/disclosures/logs/search', { log: 'access', organisationId: f.orgs.countyB });
    expect(otherOrg.body).to.deep.equal([]);
    const searches = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM client_access_events WHERE action = 'log.search' AND actor_id = $1`, [f.staff.auditor]);
    expect(searches[0].n).to.equal(1);
    expect((await call(f.staff.kelaHandler, 'POST', '/api/disclosures/logs/search', { log: 'access' })).status).to.equal(403);
    expect((await call(f.staff.auditor, 'POST', '/api/disclosures/logs/search', { log: 'nothing' })).status).to.equal(400);
    expect((await call(f.staff.auditor, 'POST', '/api/disclosures/logs/search', { log: 'access', from: '2026-11-10T00:00:00Z', to: '2026-11-01T00:00:00Z' })).status).to.equal(400);
  });

  it('tells the auditor whether each chain verifies', async () => {
    const ok = await call<{ ok: boolean; entries: number }>(f.staff.auditor, 'GET', '/api/disclosures/logs/access/verify');
    expect(ok.status).to.equal(200);
    expect(ok.body.ok).to.equal(true);
    expect(ok.body.entries).to.be.at.least(1);
    expect((await call(f.staff.kelaHandler, 'GET', '/api/disclosures/logs/access/verify')).status).to.equal(403);
    expect((await call(f.staff.auditor, 'GET', '/api/disclosures/logs/other/verify')).status).to.equal(400);
  });

  it('lists schedules and lays out their calendar for readers; other counties get nothing', async () => {
    const definition = { layers: [{ name: 'viikko', priority: 1, rotation: 'weekly', handoffTime: '08:00', start: '2026-11-02', participants: [f.staff.countyAOnCall, f.staff.countyAWorker] }] };
    expect((await call(f.staff.countyAAdmin, 'PUT', '/api/urgent/schedules/county-a-rota', { organisationId: f.orgs.countyA, name: 'Rota', definition })).status).to.equal(200);
    const list = await call<{ id: string }[]>(f.staff.countyAWorker, 'GET', `/api/urgent/schedules?organisationId=${f.orgs.countyA}`);
    expect(list.body.map((s) => s.id)).to.deep.equal(['county-a-rota']);
    const calendar = await call<{ staffId: string; start: string; end: string }[]>(f.staff.countyAWorker, 'GET', '/api/urgent/schedules/county-a-rota/calendar?days=14');
    expect(calendar.status).to.equal(200);
    // Weekly from 2 Nov: the week of the 16th is the first participant's again, then the second's, then the first's.
    expect(calendar.body.map((s) => s.staffId)).to.deep.equal([f.staff.countyAOnCall, f.staff.countyAWorker, f.staff.countyAOnCall]);
    expect((await call(f.staff.countyBWorker, 'GET', '/api/urgent/schedules/county-a-rota/calendar')).status).to.equal(404);
    expect((await call(f.staff.countyAWorker, 'GET', '/api/urgent/schedules/county-a-rota/calendar?days=500')).status).to.equal(400);
  });

  it('reads a region’s escalation policy for its admins; 404 without one', async () => {
    expect((await call(f.staff.countyAAdmin, 'GET', `/api/urgent/regions/${f.orgs.countyA}/escalation-policy`)).status).to.equal(404);
    const policy = { levels: [{ targets: [{ teamId: f.teams.countyA }], delayMinutes: 5 }], loops: 0 };
    expect((await call(f.staff.countyAAdmin, 'PUT', `/api/urgent/regions/${f.orgs.countyA}/escalation-policy`, policy)).status).to.equal(200);
    const read = await call(f.staff.countyAAdmin, 'GET', `/api/urgent/regions/${f.orgs.countyA}/escalation-policy`);
    expect(read.body).to.deep.equal(policy);
    expect((await call(f.staff.countyBAdmin, 'GET', `/api/urgent/regions/${f.orgs.countyA}/escalation-policy`)).status).to.equal(403);
  });
});
