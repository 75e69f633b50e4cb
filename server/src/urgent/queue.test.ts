// The urgent queue on both stores: an urgent request whose rule ends in the
// urgent queue lands in the county's queue, which the on-call staff of the
// county and of Kela see live; claim, assess (not urgent notifies the
// requesting organisation), hand over, resolve; SLA states by injected clock;
// criteria per region; bad input and who may see the queue.
import { expect } from 'chai';
import type { RuleSet } from '../../../shared/src/routing.ts';
import type { RingRequestView } from '../../../shared/src/ringing.ts';
import type { UrgentItemView } from '../../../shared/src/urgent.ts';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { ManualClock, apiCaller } from '../../../tests/helpers/api.ts';
import { connectSocket, emitWithAck, nextEvent, type ClientSocket } from '../../../tests/helpers/realtime.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';

const T0 = Date.parse('2026-11-18T08:00:00Z');

for (const store of STORE_KINDS) {
  describe(`urgent queue on ${store}`, function () {
    let rinki: TestRinki;
    let f: OrgFixture;
    let clock: ManualClock;
    const tokens: Record<string, string> = {};
    const open: ClientSocket[] = [];
    let kelaOnCall: string;

    const call = apiCaller<UrgentItemView>(() => rinki, tokens);
    const socketOf = async (staffId: string) => {
      const s = await connectSocket(rinki.url, { token: tokens[staffId] });
      open.push(s);
      return s;
    };
    const count = async (table: string) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    const queue = () => `/api/urgent/regions/${f.orgs.countyA}/queue`;
    const urgentRequest = (criteria: string[] = ['no_food_or_medicine']) =>
      call<RingRequestView>(f.staff.kelaHandler, 'POST', '/api/ringing/requests', {
        client: { hetu: f.clients!.a.hetu },
        request: { type: 'kiireellinen', urgency: 'urgent', criteria },
        basis: 'totul_18',
      });

    before(async () => {
      clock = new ManualClock(T0);
      rinki = await startTestRinki({ store, clock });
      f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
      kelaOnCall = f.staff.kelaWorker;
      // Kela's on-call worker, and a county B worker on call for county B only.
      await rinki.deps.db.query(`INSERT INTO staff_roles (staff_id, role, organisation_id) VALUES ($1, 'on_call', $2), ($3, 'on_call', $4)`, [
        kelaOnCall, f.orgs.kelaSouth, f.staff.countyBWorker, f.orgs.countyB,
      ]);
      for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
      const rules: RuleSet = {
        region: f.orgs.countyA,
        filters: [{ id: 'urgent', name: 'Kiireelliset päivystykseen', match: { urgency: 'urgent' }, steps: [], final: { action: 'urgent_queue' } }],
      };
      const draft = await call<{ version: number }>(f.staff.countyAAdmin, 'POST', `/api/routing/regions/${f.orgs.countyA}/rule-sets`, { body: rules });
      await call(f.staff.countyAAdmin, 'POST', `/api/routing/regions/${f.orgs.countyA}/rule-sets/${draft.body.version}/publish`, {});
    });
    afterEach(() => open.splice(0).forEach((s) => s.close()));
    after(() => rinki.cleanup());

    it('queues an urgent request for both sides’ on-call staff; claim, assess not urgent (the requester’s organisation hears it), resolve', async () => {
      const countyOnCall = await socketOf(f.staff.countyAOnCall);
      const sub = await emitWithAck<{ ok: boolean; items: UrgentItemView[] }>(countyOnCall, 'urgent:subscribe', { region: f.orgs.countyA });
      expect(sub.ok).to.equal(true);
      const queued = nextEvent<UrgentItemView>(countyOnCall, 'urgent:changed');
      const requesterOrg = await socketOf(f.staff.kelaSupervisor);
      const notice = nextEvent<{ assessment: string; criteria: string[] }>(requesterOrg, 'urgent:assessed');

      const started = await urgentRequest();
      expect(started.status, JSON.stringify(started.body)).to.equal(201);
      expect(started.body.state).to.equal('urgent_queue');
      const item = await queued;
      expect(item).to.deep.include({ state: 'waiting', criteria: ['no_food_or_medicine'], routingRequestId: started.body.requestId });
      expect(item.sla.acknowledge.state).to.equal('ok');

      for (const who of [f.staff.countyAOnCall, kelaOnCall]) {
        const list = await call<UrgentItemView[]>(who, 'GET', queue());
        expect(list.status).to.equal(200);
        expect(list.body.map((i) => i.id)).to.include(item.id);
      }
      clock.advance(16 * 60_000);
      expect((await call<UrgentItemView[]>(kelaOnCall, 'GET', queue())).body.find((i) => i.id === item.id)!.sla.acknowledge.state).to.equal('breached');

      const claimed = await call(kelaOnCall, 'POST', `/api/urgent/items/${item.id}/claim`);
      expect(claimed.status).to.equal(200);
      expect(claimed.body.owner?.staffId).to.equal(kelaOnCall);
      expect(claimed.body.sla.acknowledge.state).to.equal('met');
      expect((await call(f.staff.countyAOnCall, 'POST', `/api/urgent/items/${item.id}/claim`)).status).to.equal(409);

      const assessed = await call(kelaOnCall, 'POST', `/api/urgent/items/${item.id}/assess`, { assessment: 'not_urgent', criteria: ['no_food_or_medicine'] });
      expect(assessed.status, JSON.stringify(assessed.body)).to.equal(200);
      expect(assessed.body).to.deep.include({ assessment: 'not_urgent', assessmentCriteria: ['no_food_or_medicine'] });
      expect(await notice).to.deep.include({ assessment: 'not_urgent', criteria: ['no_food_or_medicine'] });

      const handed = await call(kelaOnCall, 'POST', `/api/urgent/items/${item.id}/hand-over`, { toStaffId: f.staff.countyAOnCall });
      expect(handed.body.owner?.staffId).to.equal(f.staff.countyAOnCall);
      expect((await call(kelaOnCall, 'POST', `/api/urgent/items/${item.id}/resolve`)).status).to.equal(409);
      const resolved = await call(f.staff.countyAOnCall, 'POST', `/api/urgent/items/${item.id}/resolve`);
      expect(resolved.body.state).to.equal('resolved');
      expect((await call<UrgentItemView[]>(kelaOnCall, 'GET', queue())).body.map((i) => i.id)).not.to.include(item.id);
    });

    it('lets a region’s admin set its own criteria, which urgent requests then must cite', async () => {
      const set = await call(f.staff.countyAAdmin, 'PUT', `/api/urgent/regions/${f.orgs.countyA}/criteria`, {
        criteria: [{ code: 'no_food_today', nameFi: 'Ei ruokaa tänään', nameSv: 'Ingen mat i dag' }],
      });
      expect(set.status, JSON.stringify(set.body)).to.equal(200);
      try {
        expect((await urgentRequest(['no_food_or_medicine'])).status).to.equal(400);
        expect((await urgentRequest(['no_food_today'])).status).to.equal(201);
      } finally {
        await rinki.deps.db.query(`DELETE FROM urgency_criteria WHERE region = $1`, [f.orgs.countyA]);
      }
      const other = await call(f.staff.countyBAdmin, 'PUT', `/api/urgent/regions/${f.orgs.countyA}/criteria`, {
        criteria: [{ code: 'x', nameFi: 'x', nameSv: 'x' }],
      });
      expect(other.status).to.equal(403);
      expect(await count(`urgency_criteria WHERE region = '${f.orgs.countyA}'`)).to.equal(0);
    });

    it('refuses bad input clearly and writes nothing', async () => {
      const before = { items: await count('urgent_items'), events: await count('urgent_item_events') };
      const unknown = await urgentRequest(['bored']);
      expect(unknown.status).to.equal(400);
      expect(JSON.stringify(unknown.body)).to.contain('request.criteria');
      // Codes the browser shows in the user's words.
      expect(unknown.body).to.include({ error: 'unknown_criteria' });
      const none = await urgentRequest([]);
      expect(none.status).to.equal(400);
      expect(none.body).to.include({ error: 'criteria_required' });
      const started = await urgentRequest();
      const [item] = (await call<UrgentItemView[]>(kelaOnCall, 'GET', queue())).body.filter((i) => i.routingRequestId === started.body.requestId);
      await call(kelaOnCall, 'POST', `/api/urgent/items/${item.id}/claim`);
      const mark = { items: await count('urgent_items'), events: await count('urgent_item_events') };
      expect(mark.items).to.equal(before.items + 1);
      for (const body of [{ assessment: 'maybe', criteria: ['no_food_or_medicine'] }, { assessment: 'urgent', criteria: [] }, { assessment: 'urgent', criteria: ['bored'] }]) {
        expect((await call(kelaOnCall, 'POST', `/api/urgent/items/${item.id}/assess`, body)).status, JSON.stringify(body)).to.equal(400);
      }
      expect((await call(kelaOnCall, 'POST', `/api/urgent/items/${item.id}/hand-over`, { toStaffId: f.staff.countyAWorker })).status).to.equal(400);
      const badCriteria = await call(f.staff.countyAAdmin, 'PUT', `/api/urgent/regions/${f.orgs.countyA}/criteria`, { criteria: [{ code: 'Not A Code', nameFi: 'x', nameSv: 'x' }] });
      expect(badCriteria.status).to.equal(400);
      expect({ items: await count('urgent_items'), events: await count('urgent_item_events') }).to.deep.equal(mark);
      expect(await count(`urgency_criteria WHERE region = '${f.orgs.countyA}'`)).to.equal(0);
    });

    it('shows the queue to on-call staff only, and never another county’s', async () => {
      const started = await urgentRequest();
      const [item] = (await call<UrgentItemView[]>(kelaOnCall, 'GET', queue())).body.filter((i) => i.routingRequestId === started.body.requestId);
      // A caseworker who is not on call, and county B's on-call worker.
      for (const who of [f.staff.countyAWorker, f.staff.countyBWorker]) {
        expect((await call(who, 'GET', queue())).status).to.equal(404);
        expect((await call(who, 'POST', `/api/urgent/items/${item.id}/claim`)).status).to.equal(404);
      }
      const s = await socketOf(f.staff.countyBWorker);
      const refused = await emitWithAck<{ ok: boolean; status: number }>(s, 'urgent:subscribe', { region: f.orgs.countyA });
      expect(refused).to.include({ ok: false, status: 404 });
      expect((await fetch(`${rinki.url}${queue()}`)).status).to.equal(401);
    });
  });
}
