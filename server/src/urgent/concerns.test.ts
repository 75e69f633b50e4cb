// The concern-notification feedback loop on both stores: the sender sees each
// status live, a reminder follows when no status arrives within the working-day
// limit (counted over a weekend), bad input and who may do what.
import { expect } from 'chai';
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import type { ConcernView } from '../../../shared/src/urgent.ts';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { ManualClock, apiCaller } from '../../../tests/helpers/api.ts';
import { connectSocket, nextEvent, type ClientSocket } from '../../../tests/helpers/realtime.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';

/** Thursday 17 December 2026, 10:00 in Helsinki. */
const THURSDAY = Date.parse('2026-12-17T08:00:00Z');

for (const store of STORE_KINDS) {
  describe(`concern-notification feedback on ${store}`, function () {
    let rinki: TestRinki;
    let f: OrgFixture;
    let clock: ManualClock;
    const tokens: Record<string, string> = {};
    const open: ClientSocket[] = [];
    const call = apiCaller<ConcernView>(() => rinki, tokens);
    const socketOf = async (staffId: string) => {
      const s = await connectSocket(rinki.url, { token: tokens[staffId] });
      open.push(s);
      return s;
    };
    const send = () => call(f.staff.kelaHandler, 'POST', '/api/concerns', { client: { hetu: f.clients!.a.hetu } });
    const count = async (table: string) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

    before(async () => {
      clock = new ManualClock(THURSDAY);
      rinki = await startTestRinki({ store, clock });
      f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
      for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
    });
    afterEach(() => open.splice(0).forEach((s) => s.close()));
    after(() => rinki.cleanup());

    it('shows the sender each status the county gives, live: not reached, taken charge by a named worker, closed', async () => {
      const sender = await socketOf(f.staff.kelaHandler);
      const sent = await send();
      expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
      expect(sent.body).to.deep.include({ status: 'received', toOrganisationId: f.orgs.countyA });
      // Three working days from Thursday: Friday, Monday, Tuesday.
      expect(sent.body.statusDueAt).to.equal('2026-12-22T08:00:00.000Z');
      const id = sent.body.id;
      for (const [body, status] of [
        [{ status: 'client_not_reached' }, 'client_not_reached'],
        [{ status: 'taken_charge', responsibleWorkerId: f.staff.countyAWorker }, 'taken_charge'],
        [{ status: 'closed' }, 'closed'],
      ] as const) {
        const live = nextEvent<ConcernView>(sender, 'concern:status', (v) => v.id === id && v.status === status);
        const res = await call(f.staff.countyAContact, 'POST', `/api/concerns/${id}/status`, body);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect((await live).status).to.equal(status);
      }
      const final = await call(f.staff.kelaHandler, 'GET', `/api/concerns/${id}`);
      expect(final.body.responsibleWorker?.staffId).to.equal(f.staff.countyAWorker);
      expect(final.body.history.map((h) => h.status)).to.deep.equal(['received', 'client_not_reached', 'taken_charge', 'closed']);
      expect(final.body.statusDueAt).to.equal(null);
      expect((await call<ConcernView[]>(f.staff.countyAWorker, 'GET', '/api/concerns?view=received')).body.map((c) => c.id)).to.include(id);
    });

    it('names the sender with their organisation and the client by the Kela application, never by the identity code', async () => {
      const byCode = await send();
      expect(byCode.body.sender).to.deep.equal({ staffId: f.staff.kelaHandler, displayName: 'Heikki Käsittelijä', organisationNameFi: 'Testi etelä', organisationNameSv: 'Test syd' });
      // Sent by identity code: the client's pending application is the reference both sides quote.
      expect(byCode.body.clientReference).to.equal(f.applications.clientA);
      const byApplication = await call(f.staff.kelaHandler, 'POST', '/api/concerns', { client: { applicationId: f.applications.clientA } });
      expect(byApplication.body.clientReference).to.equal(f.applications.clientA);
      const received = await call<ConcernView[]>(f.staff.countyAContact, 'GET', '/api/concerns?view=received');
      const seen = received.body.find((c) => c.id === byCode.body.id)!;
      expect(seen).to.deep.include({ clientReference: f.applications.clientA });
      expect(JSON.stringify(received.body)).not.to.contain(f.clients!.a.hetu);
      for (const c of [byCode.body, byApplication.body]) await call(f.staff.countyAContact, 'POST', `/api/concerns/${c.id}/status`, { status: 'closed' });
    });

    it('reminds the county and the sender when no status arrives within the working-day limit', async () => {
      const sent = await send();
      const county = await socketOf(f.staff.countyAWorker);
      const sender = await socketOf(f.staff.kelaHandler);
      const toCounty = nextEvent<ConcernView>(county, 'concern:reminder', (v) => v.id === sent.body.id);
      const toSender = nextEvent<ConcernView>(sender, 'concern:reminder', (v) => v.id === sent.body.id);
      clock.t = Date.parse(sent.body.statusDueAt!);
      await rinki.timers.tick();
      expect((await toCounty).status).to.equal('received');
      expect((await toSender).id).to.equal(sent.body.id);
      clock.t = THURSDAY;
    });

    it('refuses bad input and out-of-order statuses, writing nothing', async () => {
      const sent = await send();
      const id = sent.body.id;
      const before = { concerns: await count('concern_notifications'), events: await count('concern_status_events') };
      const cases: [unknown, number, string][] = [
        [{ status: 'taken_charge' }, 400, 'responsibleWorkerId'],
        [{ status: 'taken_charge', responsibleWorkerId: f.staff.countyBWorker }, 400, 'responsibleWorkerId'],
        [{ status: 'received' }, 400, 'status'],
        [{ status: 'closed', note: 'free text' }, 400, 'note'],
      ];
      for (const [body, status, field] of cases) {
        const res = await call(f.staff.countyAContact, 'POST', `/api/concerns/${id}/status`, body);
        expect(res.status, JSON.stringify(body)).to.equal(status);
        expect(JSON.stringify(res.body)).to.contain(field);
      }
      await call(f.staff.countyAContact, 'POST', `/api/concerns/${id}/status`, { status: 'closed' });
      expect((await call(f.staff.countyAContact, 'POST', `/api/concerns/${id}/status`, { status: 'client_reached' })).status).to.equal(409);
      expect((await call(f.staff.kelaHandler, 'POST', '/api/concerns', { client: { hetu: fictionalHetu('1970-01-01', 66) } })).status).to.equal(404);
      expect({ concerns: await count('concern_notifications'), events: await count('concern_status_events') }).to.deep.equal({ concerns: before.concerns, events: before.events + 1 });
    });

    it('keeps a concern between the sender’s organisation and the receiving county', async () => {
      const sent = await send();
      const id = sent.body.id;
      expect((await call(f.staff.countyBWorker, 'GET', `/api/concerns/${id}`)).status).to.equal(404);
      expect((await call(f.staff.countyBWorker, 'POST', `/api/concerns/${id}/status`, { status: 'closed' })).status).to.equal(404);
      expect((await call(f.staff.kelaHandler, 'POST', `/api/concerns/${id}/status`, { status: 'closed' })).status).to.equal(403);
      expect((await call<ConcernView[]>(f.staff.countyBWorker, 'GET', '/api/concerns?view=received')).body.map((c) => c.id)).not.to.include(id);
      expect((await call(f.staff.countyBWorker, 'POST', '/api/concerns', { client: { hetu: f.clients!.a.hetu } })).status).to.equal(404);
      expect((await call(f.staff.kelaHandler, 'GET', `/api/concerns/${id}`)).body.status).to.equal('received');
    });
  });
}
