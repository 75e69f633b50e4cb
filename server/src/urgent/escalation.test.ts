// Escalation of urgent items with an injected clock (no real waiting):
// through two levels and a loop to the supervisors' alert; acknowledgement at
// level 1 stops it; a restart mid-escalation continues at the right level;
// a policy with bad parts is refused.
import { expect } from 'chai';
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import type { RuleSet } from '../../../shared/src/routing.ts';
import type { RingRequestView } from '../../../shared/src/ringing.ts';
import type { UrgentItemView } from '../../../shared/src/urgent.ts';
import { apiTokenFor, startTestRinki, tempDir, type TestRinki } from '../../../tests/helpers/env.ts';
import { ManualClock, apiCaller } from '../../../tests/helpers/api.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';

const T0 = Date.parse('2026-11-18T08:00:00Z');
const MIN = 60_000;

describe('urgent escalation (PGlite, injected clock)', function () {
  let rinki: TestRinki;
  let f: OrgFixture;
  let clock: ManualClock;
  const dataDir = tempDir();
  const tokens: Record<string, string> = {};

  const start = async () => {
    rinki = await startTestRinki({ clock, env: { DATA_DIR: dataDir } });
    for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
  };
  const call = apiCaller(() => rinki, tokens);
  /** Escalation events of the item, oldest first, as [kind, level, loop, recipients]. */
  const events = async (itemId: string) =>
    (
      await rinki.deps.db.query<{ kind: string; level: number | null; loop: number | null; recipients: string[] }>(
        `SELECT e.kind, e.level, e.loop, e.recipients FROM escalation_events e JOIN escalations x ON x.id = e.escalation_id
          WHERE x.subject_id = $1 ORDER BY e.id`,
        [itemId],
      )
    ).map((e) => [e.kind, e.level, e.loop, [...e.recipients].sort()]);
  const urgentItem = async (): Promise<string> => {
    const started = await call<RingRequestView>(f.staff.kelaHandler, 'POST', '/api/ringing/requests', {
      client: { hetu: f.clients!.a.hetu }, request: { type: 'kiireellinen', urgency: 'urgent', criteria: ['no_housing_tonight'] }, basis: 'totul_18',
    });
    expect(started.body.state, JSON.stringify(started.body)).to.equal('urgent_queue');
    const [row] = await rinki.deps.db.query<{ id: string }>('SELECT id FROM urgent_items WHERE routing_request_id = $1', [started.body.requestId]);
    return row.id;
  };
  const step = async (minutes: number) => {
    clock.advance(minutes * MIN);
    await rinki.timers.tick();
  };

  before(async () => {
    clock = new ManualClock(T0);
    rinki = await startTestRinki({ clock, env: { DATA_DIR: dataDir } });
    f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
    await rinki.deps.db.query(`INSERT INTO staff_roles (staff_id, role, organisation_id) VALUES ($1, 'supervisor', $2)`, [f.staff.countyAAdmin, f.orgs.countyA]);
    for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
    const rules: RuleSet = { region: f.orgs.countyA, filters: [{ id: 'urgent', name: 'Kiireelliset', match: { urgency: 'urgent' }, steps: [], final: { action: 'urgent_queue' } }] };
    const draft = await call<{ version: number }>(f.staff.countyAAdmin, 'POST', `/api/routing/regions/${f.orgs.countyA}/rule-sets`, { body: rules });
    await call(f.staff.countyAAdmin, 'POST', `/api/routing/regions/${f.orgs.countyA}/rule-sets/${draft.body.version}/publish`, {});
    const policy = await call(f.staff.countyAAdmin, 'PUT', `/api/urgent/regions/${f.orgs.countyA}/escalation-policy`, {
      levels: [
        { targets: [{ staffId: f.staff.countyAOnCall }], delayMinutes: 5 },
        { targets: [{ teamId: f.teams.countyA }], delayMinutes: 10 },
      ],
      loops: 1,
    });
    expect(policy.status, JSON.stringify(policy.body)).to.equal(200);
  });
  after(() => rinki.cleanup());

  it('escalates through two levels and a loop, then alerts the supervisors', async () => {
    const item = await urgentItem();
    await step(0);
    const team = [f.staff.countyAContact, f.staff.countyAOnCall, f.staff.countyAWorker].sort();
    expect(await events(item)).to.deep.equal([['started', null, null, []], ['notified', 0, 0, [f.staff.countyAOnCall]]]);
    await step(4);
    expect(await events(item)).to.have.length(2); // level 1 waits its 5 minutes
    await step(1);
    expect((await events(item)).at(-1)).to.deep.equal(['notified', 1, 0, team]);
    const view = (await call<UrgentItemView[]>(f.staff.countyAOnCall, 'GET', `/api/urgent/regions/${f.orgs.countyA}/queue`)).body.find((i) => i.id === item)!;
    expect(view.escalationLevel).to.equal(2);
    await step(10);
    expect((await events(item)).at(-1)).to.deep.equal(['notified', 0, 1, [f.staff.countyAOnCall]]);
    await step(5);
    expect((await events(item)).at(-1)).to.deep.equal(['notified', 1, 1, team]);
    await step(10);
    expect((await events(item)).at(-1)).to.deep.equal(['supervisor_alert', null, null, [f.staff.countyAAdmin]]);
    await step(60);
    expect(await events(item)).to.have.length(6);
  });

  it('stops when someone acknowledges at level 1', async () => {
    const item = await urgentItem();
    await step(0);
    const claimed = await call(f.staff.countyAOnCall, 'POST', `/api/urgent/items/${item}/claim`);
    expect(claimed.status).to.equal(200);
    await step(30);
    expect((await events(item)).map((e) => e[0])).to.deep.equal(['started', 'notified', 'acknowledged']);
  });

  it('continues at the right level after a restart', async () => {
    const item = await urgentItem();
    await step(0);
    await rinki.close();
    await start();
    await step(5);
    expect((await events(item)).map((e) => [e[0], e[1]])).to.deep.equal([
      ['started', null],
      ['notified', 0],
      ['notified', 1],
    ]);
  });

  it('refuses a policy with bad parts, naming them, and keeps the one in force', async () => {
    const before = await rinki.deps.db.query('SELECT definition FROM escalation_policies');
    for (const [body, path] of [
      [{ levels: [{ targets: [{ staffId: f.staff.countyAOnCall }], delayMinutes: -5 }] }, 'delayMinutes'],
      [{ levels: [] }, 'levels'],
      [{ levels: [{ targets: [{ teamId: 'no-such-team' }], delayMinutes: 5 }] }, 'body.levels.0.targets.0'],
      [{ levels: [{ targets: [{ scheduleId: 'no-such-schedule' }], delayMinutes: 5 }] }, 'body.levels.0.targets.0'],
    ] as const) {
      const res = await call(f.staff.countyAAdmin, 'PUT', `/api/urgent/regions/${f.orgs.countyA}/escalation-policy`, body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(JSON.stringify(res.body)).to.contain(path);
    }
    expect((await call(f.staff.countyBAdmin, 'PUT', `/api/urgent/regions/${f.orgs.countyA}/escalation-policy`, { levels: [{ targets: [{ staffId: f.staff.countyBWorker }], delayMinutes: 5 }] })).status).to.equal(403);
    expect(await rinki.deps.db.query('SELECT definition FROM escalation_policies')).to.deep.equal(before);
    // An unknown client is still a 404 for an urgent request.
    const res = await call(f.staff.kelaHandler, 'POST', '/api/ringing/requests', {
      client: { hetu: fictionalHetu('1970-01-01', 55) }, request: { type: 'kiireellinen', urgency: 'urgent', criteria: ['no_housing_tonight'] }, basis: 'totul_18',
    });
    expect(res.status).to.equal(404);
  });
});
