// On-call schedules over REST: save, who is on call now / at T (hand-off at
// 16:00 Helsinki, an override), bad input naming the field, and who may read
// or change a schedule.
import { expect } from 'chai';
import { apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { apiCaller } from '../../../tests/helpers/api.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';

describe('on-call schedules REST (PGlite)', function () {
  let rinki: TestRinki;
  let f: OrgFixture;
  const tokens: Record<string, string> = {};
  const call = apiCaller(() => rinki, tokens);
  const definition = () => ({
    layers: [{ name: 'Päivystys', priority: 1, rotation: 'daily', handoffTime: '16:00', start: '2026-11-16', participants: [f.staff.countyAOnCall, f.staff.countyAWorker] }],
    overrides: [{ staffId: f.staff.countyAContact, start: '2026-11-20T10:00:00Z', end: '2026-11-20T14:00:00Z', reason: 'vaihto' }],
  });
  const onCallAt = async (staffId: string, at: string) => call<{ onCall: { staffId: string; source: string } | null }>(staffId, 'GET', `/api/urgent/schedules/county-a-oncall/on-call?at=${encodeURIComponent(at)}`);

  before(async () => {
    rinki = await startTestRinki();
    f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
    for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
  });
  after(() => rinki.cleanup());

  it('saves a schedule and answers who is on call at a time, across a hand-off and an override', async () => {
    const saved = await call(f.staff.countyAAdmin, 'PUT', '/api/urgent/schedules/county-a-oncall', { organisationId: f.orgs.countyA, name: 'A päivystys', definition: definition() });
    expect(saved.status, JSON.stringify(saved.body)).to.equal(200);
    // 16 Nov 16:00 Helsinki (14:00 UTC) starts the first shift; the next begins 17 Nov 16:00.
    expect((await onCallAt(f.staff.countyAWorker, '2026-11-17T13:59:00Z')).body.onCall?.staffId).to.equal(f.staff.countyAOnCall);
    expect((await onCallAt(f.staff.countyAWorker, '2026-11-17T14:00:00Z')).body.onCall?.staffId).to.equal(f.staff.countyAWorker);
    const override = await onCallAt(f.staff.countyAWorker, '2026-11-20T12:00:00Z');
    expect(override.body.onCall).to.deep.include({ staffId: f.staff.countyAContact, source: 'override' });
    expect((await onCallAt(f.staff.countyAWorker, '2026-11-10T12:00:00Z')).body.onCall).to.equal(null);
  });

  it('refuses a bad schedule naming the field, and keeps the saved one', async () => {
    const bad = definition();
    (bad.layers[0] as { participants: string[] }).participants = ['nobody'];
    const unknown = await call(f.staff.countyAAdmin, 'PUT', '/api/urgent/schedules/county-a-oncall', { organisationId: f.orgs.countyA, name: 'x', definition: bad });
    expect(unknown.status).to.equal(400);
    expect(JSON.stringify(unknown.body)).to.contain('definition.layers.0.participants.0');
    const badTime = definition();
    badTime.layers[0].handoffTime = '25:00';
    expect((await call(f.staff.countyAAdmin, 'PUT', '/api/urgent/schedules/county-a-oncall', { organisationId: f.orgs.countyA, name: 'x', definition: badTime })).status).to.equal(400);
    expect((await onCallAt(f.staff.countyAWorker, '2026-11-17T13:59:00Z')).body.onCall?.staffId).to.equal(f.staff.countyAOnCall);
  });

  it('lets only the organisation’s admin change it, and its own people or on-call staff read it', async () => {
    const other = await call(f.staff.countyBAdmin, 'PUT', '/api/urgent/schedules/county-a-oncall', { organisationId: f.orgs.countyB, name: 'taken', definition: { layers: [{ name: 'x', priority: 1, rotation: 'daily', handoffTime: '16:00', start: '2026-11-16', participants: [f.staff.countyBWorker] }] } });
    expect(other.status).to.equal(403);
    expect((await call(f.staff.countyAWorker, 'PUT', '/api/urgent/schedules/county-a-oncall', { organisationId: f.orgs.countyA, name: 'x', definition: definition() })).status).to.equal(403);
    expect((await onCallAt(f.staff.countyBWorker, '2026-11-17T13:59:00Z')).status).to.equal(404);
    expect((await onCallAt(f.staff.kelaWorker, '2026-11-17T13:59:00Z')).status).to.equal(404);
    await rinki.deps.db.query(`INSERT INTO staff_roles (staff_id, role, organisation_id) VALUES ($1, 'on_call', $2)`, [f.staff.kelaWorker, f.orgs.kelaSouth]);
    expect((await onCallAt(f.staff.kelaWorker, '2026-11-17T13:59:00Z')).status).to.equal(200);
  });
});
