// Callback requests on both stores: create, lists, claim (the owner is let
// into the conference holding the note), not reached, done, cancel; the
// reminder and the overdue escalation to the team's supervisor by durable
// timer with an injected clock; bad input and who may do what.
import { expect } from 'chai';
import type { CallbackView } from '../../../shared/src/callbacks.ts';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { ManualClock, apiCaller, eventually } from '../../../tests/helpers/api.ts';
import { connectSocket, nextEvent, type ClientSocket } from '../../../tests/helpers/realtime.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';

const T0 = Date.parse('2026-11-18T08:00:00Z');

for (const store of STORE_KINDS) {
  describe(`callbacks on ${store}`, function () {
    let rinki: TestRinki;
    let f: OrgFixture;
    let clock: ManualClock;
    const tokens: Record<string, string> = {};
    const open: ClientSocket[] = [];

    const call = apiCaller<CallbackView>(() => rinki, tokens);
    const count = async (table: string) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    const socketOf = async (staffId: string) => {
      const s = await connectSocket(rinki.url, { token: tokens[staffId] });
      open.push(s);
      return s;
    };
    const create = (staffId: string, extra: Record<string, unknown> = {}) =>
      call(staffId, 'POST', '/api/callbacks', {
        target: { teamId: f.teams.kelaSouth },
        client: { hetu: f.clients!.a.hetu },
        requestType: 'lisaselvityspyynto',
        dueAt: new Date(clock.t + 2 * 3_600_000).toISOString(),
        ...extra,
      });

    before(async () => {
      clock = new ManualClock(T0);
      rinki = await startTestRinki({ store, clock });
      f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
      for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
    });
    afterEach(() => open.splice(0).forEach((s) => s.close()));
    after(() => rinki.cleanup());

    it('goes open → claimed → not reached → done; the owner is let into the conference; everyone concerned sees it live', async () => {
      const team = await socketOf(f.staff.kelaWorker);
      const announced = nextEvent<CallbackView>(team, 'callback:changed');
      const created = await create(f.staff.countyAWorker);
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.body).to.deep.include({ state: 'open', reason: 'direct', attempts: 0 });
      expect(created.body.channel).to.deep.equal({ kind: 'conference' });
      const live = await announced;
      expect(live.id).to.equal(created.body.id);
      expect(live.roomId).to.match(/^!/);
      const id = created.body.id;

      const teamList = await call<CallbackView[]>(f.staff.kelaHandler, 'GET', '/api/callbacks?view=team');
      expect(teamList.body.map((c) => c.id)).to.include(id);
      const createdList = await call<CallbackView[]>(f.staff.countyAWorker, 'GET', '/api/callbacks?view=created');
      expect(createdList.body.map((c) => c.id)).to.include(id);

      const claimed = await call(f.staff.kelaHandler, 'POST', `/api/callbacks/${id}/claim`);
      expect(claimed.status, JSON.stringify(claimed.body)).to.equal(200);
      expect(claimed.body.owner?.staffId).to.equal(f.staff.kelaHandler);
      const members = await rinki.deps.db.query<{ staff_id: string; membership: string }>('SELECT staff_id, membership FROM matrix_memberships WHERE room_id = $1', [claimed.body.roomId]);
      expect(members.map((m) => [m.staff_id, m.membership])).to.deep.include.members([
        [f.staff.countyAWorker, 'join'],
        [f.staff.kelaHandler, 'invite'],
      ]);
      expect((await call(f.staff.kelaWorker, 'POST', `/api/callbacks/${id}/claim`)).status).to.equal(409);
      const mine = await call<CallbackView[]>(f.staff.kelaHandler, 'GET', '/api/callbacks?view=mine');
      expect(mine.body.map((c) => c.id)).to.include(id);

      const attempt = await call(f.staff.kelaHandler, 'POST', `/api/callbacks/${id}/not-reached`);
      expect(attempt.body).to.deep.include({ state: 'claimed', attempts: 1 });
      const done = await call(f.staff.kelaHandler, 'POST', `/api/callbacks/${id}/done`);
      expect(done.body.state).to.equal('done');
      expect(done.body.events.map((e) => e.kind)).to.deep.equal(['created', 'claimed', 'not_reached', 'done']);
      expect((await call(f.staff.countyAWorker, 'POST', `/api/callbacks/${id}/cancel`)).status).to.equal(409);
    });

    it('reminds before the due time and escalates an overdue callback to the team’s supervisor', async () => {
      const created = await create(f.staff.countyAWorker, { target: { teamId: f.teams.kelaSouth }, dueAt: new Date(clock.t + 3_600_000).toISOString() });
      const team = await socketOf(f.staff.kelaWorker);
      const supervisor = await socketOf(f.staff.kelaSupervisor);
      const reminder = nextEvent<CallbackView>(team, 'callback:reminder', (c) => c.id === created.body.id);
      clock.advance(45 * 60_000);
      await rinki.timers.tick();
      expect((await reminder).id).to.equal(created.body.id);
      const overdue = nextEvent<CallbackView>(supervisor, 'callback:overdue', (c) => c.id === created.body.id);
      clock.advance(15 * 60_000);
      await rinki.timers.tick();
      const escalated = await overdue;
      expect(escalated.overdue).to.equal(true);
      const seen = await eventually(async () => {
        const v = (await call(f.staff.countyAWorker, 'GET', `/api/callbacks/${created.body.id}`)).body;
        return v.events.some((e) => e.kind === 'escalated') && v;
      }, 'the escalation');
      expect(seen.events.map((e) => e.kind)).to.include.members(['reminded', 'escalated']);
      // A cancelled callback neither reminds nor escalates.
      const later = await create(f.staff.countyAWorker, { dueAt: new Date(clock.t + 3_600_000).toISOString() });
      expect((await call(f.staff.countyAWorker, 'POST', `/api/callbacks/${later.body.id}/cancel`)).body.state).to.equal('cancelled');
      clock.advance(2 * 3_600_000);
      await rinki.timers.tick();
      const after = (await call(f.staff.countyAWorker, 'GET', `/api/callbacks/${later.body.id}`)).body;
      expect(after.events.map((e) => e.kind)).to.deep.equal(['created', 'cancelled']);
    });

    it('refuses bad input with a clear 400 (or 404 for an unknown client) and writes nothing', async () => {
      const before = await count('callbacks');
      for (const [body, path] of [
        [{ target: { teamId: 'no-such-team' } }, 'body.target.teamId'],
        [{ target: { staffId: 'nobody' } }, 'body.target.staffId'],
        [{ requestType: 'chat' }, 'requestType'],
        [{ dueAt: new Date(clock.t - 1000).toISOString() }, 'body.dueAt'],
        [{ channel: { kind: 'phone', phone: 'call me' } }, 'channel'],
        [{ windows: [{ from: '2026-11-19T10:00:00Z', to: '2026-11-19T09:00:00Z' }] }, 'windows'],
        [{ note: 'free text about the client' }, 'note'],
      ] as const) {
        const res = await create(f.staff.countyAWorker, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(JSON.stringify(res.body), JSON.stringify(body)).to.contain(path);
      }
      const unknownClient = await create(f.staff.countyAWorker, { client: { applicationId: 'no-such' } });
      expect(unknownClient.status).to.equal(404);
      expect(await count('callbacks')).to.equal(before);
    });

    it('keeps a callback to its parties: others neither see, claim, complete nor cancel it', async () => {
      const created = await create(f.staff.countyAWorker);
      const id = created.body.id;
      // County B's worker and a Kela worker of another team: not a party.
      for (const other of [f.staff.countyBWorker, f.staff.kelaSwedish]) {
        expect((await call(other, 'GET', `/api/callbacks/${id}`)).status).to.equal(404);
        expect((await call(other, 'POST', `/api/callbacks/${id}/claim`)).status).to.equal(404);
        expect((await call(other, 'POST', `/api/callbacks/${id}/cancel`)).status).to.equal(404);
        expect((await call<CallbackView[]>(other, 'GET', '/api/callbacks?view=team')).body.map((c) => c.id)).not.to.include(id);
      }
      // The requester cannot claim their own team-addressed callback; a team member cannot cancel it.
      expect((await call(f.staff.countyAWorker, 'POST', `/api/callbacks/${id}/claim`)).status).to.equal(403);
      expect((await call(f.staff.kelaWorker, 'POST', `/api/callbacks/${id}/cancel`)).status).to.equal(403);
      await call(f.staff.kelaWorker, 'POST', `/api/callbacks/${id}/claim`);
      // Only the owner completes it.
      expect((await call(f.staff.kelaHandler, 'POST', `/api/callbacks/${id}/done`)).status).to.equal(403);
      expect((await call(f.staff.countyAWorker, 'GET', `/api/callbacks/${id}`)).body.state).to.equal('claimed');
      // A county B worker cannot ask for a callback about county A's client.
      expect((await create(f.staff.countyBWorker)).status).to.equal(404);
      expect((await fetch(`${rinki.url}/api/callbacks`)).status).to.equal(401);
    });

    it('a callback about a turvakielto client locates them nowhere; it lets the addressed team read the record for the callback, without location', async () => {
      // County B's worker is the client's named worker: a task relation to ask for a callback.
      await rinki.deps.db.query(`INSERT INTO client_named_workers (client_id, staff_id, kind) VALUES ($1, $2, 'omatyontekija') ON CONFLICT DO NOTHING`, [f.clients!.b.id, f.staff.countyBWorker]);
      const lookup = (purpose: string) => call(f.staff.kelaSwedish, 'POST', '/api/clients/lookup', { hetu: f.clients!.b.hetu, purpose });
      expect((await lookup('callback')).status).to.equal(404);
      const created = await create(f.staff.countyBWorker, { target: { teamId: f.teams.kelaWestSwedish }, client: { hetu: f.clients!.b.hetu } });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const seen = await call<CallbackView[]>(f.staff.kelaSwedish, 'GET', '/api/callbacks?view=team');
      const view = seen.body.find((c) => c.id === created.body.id);
      expect(view).to.not.equal(undefined);
      for (const text of [JSON.stringify(view), JSON.stringify(created.body)]) for (const where of [f.municipalities.b1, 'Bekylä', 'Bby', `"${f.orgs.countyB}"`, 'Test B']) expect(text).not.to.contain(where);
      // Addressed to their team: read for the callback (not for anything else), and still without municipality or county.
      const record = await lookup('callback');
      expect(record.status).to.equal(200);
      expect(record.body).to.deep.include({ municipality: null, county: null });
      expect((await lookup('routing')).status).to.equal(404);
      await call(f.staff.countyBWorker, 'POST', `/api/callbacks/${created.body.id}/cancel`);
    });
  });
}
