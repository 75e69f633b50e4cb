// The ring lifecycle end to end over REST and Socket.IO, on both stores:
// who rings first and why, declines and timeouts moving the ring on, the first
// accept opening the conference and recording the identity disclosure, the
// final actions, rule changes, bad input and permissions.
import { expect } from 'chai';
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import type { RuleSet } from '../../../shared/src/routing.ts';
import type { ClosedTeamsView, RingOfferView, RingRequestView } from '../../../shared/src/ringing.ts';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { ManualClock, apiCaller, eventually } from '../../../tests/helpers/api.ts';
import { connectSocket, emitWithAck, nextEvent, type ClientSocket } from '../../../tests/helpers/realtime.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';
import { createAbsence } from '../directory/repository.ts';

/** Wednesday 18 November 2026, 10:00 in Helsinki: the fixture's teams are open. */
const OPEN_AT = Date.parse('2026-11-18T08:00:00Z');

for (const store of STORE_KINDS) {
  describe(`ringing on ${store}`, function () {
    let rinki: TestRinki;
    let f: OrgFixture;
    let clock: ManualClock;
    const tokens: Record<string, string> = {};
    const sockets: Record<string, ClientSocket> = {};

    const call = apiCaller(() => rinki, tokens);
    const count = async (table: string) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    const online = async (...staffIds: string[]) => {
      for (const id of staffIds) sockets[id] ??= await connectSocket(rinki.url, { token: tokens[id] });
    };
    const offline = (...staffIds: string[]) => {
      for (const id of staffIds) {
        sockets[id]?.close();
        delete sockets[id];
      }
    };
    const publish = async (rules: RuleSet) => {
      const admin = rules.region === f.orgs.countyA ? f.staff.countyAAdmin : f.staff.countyBAdmin;
      const draft = await call<{ version: number }>(admin, 'POST', `/api/routing/regions/${rules.region}/rule-sets`, { body: rules });
      expect(draft.status, JSON.stringify(draft.body)).to.equal(201);
      const done = await call(admin, 'POST', `/api/routing/regions/${rules.region}/rule-sets/${draft.body.version}/publish`, {});
      expect(done.status, JSON.stringify(done.body)).to.equal(200);
      return draft.body.version;
    };
    const startFor = (staffId: string, hetu: string, extra: Record<string, unknown> = {}) =>
      call<RingRequestView>(staffId, 'POST', '/api/ringing/requests', {
        client: { hetu },
        request: { type: 'konsultaatio', urgency: 'normal' },
        basis: 'totul_18',
        ...extra,
      });
    const offersOf = async (staffId: string) => (await call<RingOfferView[]>(staffId, 'GET', '/api/ringing/offers')).body;
    const stateOf = async (staffId: string, requestId: string) => (await call<RingRequestView>(staffId, 'GET', `/api/ringing/requests/${requestId}`)).body;

    /** County A: the application's handler first, then Kela's southern team; urgent requests are refused. */
    const countyARules = (secondTeam: string): RuleSet => ({
      region: f.orgs.countyA,
      filters: [
        {
          id: 'urgent', name: 'Kiireelliset', match: { urgency: 'urgent' }, steps: [],
          final: { action: 'refuse', reason: { fi: 'Kiireelliset Kelan palvelunumeroon.', sv: 'Brådskande till FPA:s servicenummer.', en: 'Urgent cases go to Kela’s service line.' } },
        },
        {
          id: 'main', name: 'Hakemus ja tiimi', match: {},
          steps: [
            { id: 'handler', select: { relation: 'application_handler' }, strategy: 'serial', ringTimeoutSeconds: 30 },
            { id: 'named', select: { relation: 'named_worker' }, strategy: 'serial', ringTimeoutSeconds: 30 },
            { id: 'team', select: { team: secondTeam }, strategy: 'simultaneous', ringTimeoutSeconds: 60 },
          ],
          final: { action: 'callback', dueWorkingDays: 1, ownerTeamId: secondTeam },
        },
      ],
    });
    /** County B: non-disclosure clients only through the central Swedish-language team. */
    const countyBRules = (): RuleSet => ({
      region: f.orgs.countyB,
      filters: [
        {
          id: 'turvakielto', name: 'Turvakielto', match: { nonDisclosure: true },
          steps: [{ id: 'central', select: { team: f.teams.kelaWestSwedish }, strategy: 'simultaneous', ringTimeoutSeconds: 60, constraints: { language: 'client' } }],
          final: { action: 'callback', dueHours: 4, ownerTeamId: f.teams.kelaWestSwedish },
        },
      ],
    });

    before(async () => {
      clock = new ManualClock(OPEN_AT);
      rinki = await startTestRinki({ store, clock });
      f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
      for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
      await publish(countyARules(f.teams.kelaSouth));
      await publish(countyBRules());
    });
    afterEach(() => offline(...Object.keys(sockets)));
    after(() => rinki.cleanup());

    it('rings the handler of the pending application first; the first accept opens the conference and records the identity disclosure', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler, f.staff.kelaWorker);
      const offered = nextEvent<RingOfferView>(sockets[f.staff.kelaHandler], 'ring:offer');
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      expect(started.status, JSON.stringify(started.body)).to.equal(201);
      expect(started.body.state).to.equal('ringing');
      expect(started.body.ringing.map((r) => r.staffId)).to.deep.equal([f.staff.kelaHandler]);
      const step = started.body.explanation.find((e) => e.kind === 'step');
      expect(step?.step?.stepId).to.equal('handler');

      const offer = await offered;
      expect(offer.requester.staffId).to.equal(f.staff.countyAWorker);
      expect(offer.municipality?.code).to.equal(f.municipalities.a1);
      expect(offer).not.to.have.property('client');
      expect(await offersOf(f.staff.kelaWorker)).to.deep.equal([]);

      const progress = nextEvent<RingRequestView>(sockets[f.staff.countyAWorker], 'ring:progress', (v) => v.state === 'accepted');
      const accepted = await call<RingRequestView>(f.staff.kelaHandler, 'POST', `/api/ringing/offers/${offer.offerId}/accept`);
      expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
      expect(accepted.body.acceptedBy?.staffId).to.equal(f.staff.kelaHandler);
      expect(accepted.body.roomId).to.match(/^!/);
      expect((await progress).roomId).to.equal(accepted.body.roomId);

      // Both are in the room: the requester joined, the accepter invited (with access granted across organisations).
      const members = await rinki.deps.db.query<{ staff_id: string; membership: string }>(
        'SELECT staff_id, membership FROM matrix_memberships WHERE room_id = $1 ORDER BY staff_id',
        [accepted.body.roomId],
      );
      expect(members.map((m) => [m.staff_id, m.membership])).to.deep.include.members([
        [f.staff.countyAWorker, 'join'],
        [f.staff.kelaHandler, 'invite'],
      ]);
      const disclosures = await rinki.deps.db.query<{ entry: Record<string, unknown> }>(`SELECT entry_text::jsonb AS entry FROM audit_log_entries WHERE log = 'disclosure'`);
      const mine = disclosures.map((d) => d.entry).filter((e) => e.routingRequestId === started.body.requestId);
      expect(mine).to.have.length(1);
      expect(mine[0]).to.include({ clientId: f.clients!.a.id, basis: 'totul_18' });
      expect(mine[0].categories).to.deep.equal(['identity']);

      // A second accept finds it taken.
      const again = await call(f.staff.kelaHandler, 'POST', `/api/ringing/offers/${offer.offerId}/accept`);
      expect(again.status).to.equal(409);
    });

    it('moves on when the handler declines, and rings the whole team of the next step at once', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler, f.staff.kelaWorker, f.staff.kelaLiaison);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      const [offer] = await offersOf(f.staff.kelaHandler);
      expect(offer.requestId).to.equal(started.body.requestId);
      // The named worker (county A's own worker) is the requester, so that step is skipped at once.
      const teamRings = nextEvent<RingOfferView>(sockets[f.staff.kelaWorker], 'ring:offer');
      expect((await call(f.staff.kelaHandler, 'POST', `/api/ringing/offers/${offer.offerId}/decline`, { reason: 'not_my_client' })).status).to.equal(200);
      await teamRings;
      const view = await stateOf(f.staff.countyAWorker, started.body.requestId);
      expect(view.ringing.map((r) => r.staffId).sort()).to.deep.equal([f.staff.kelaLiaison, f.staff.kelaWorker].sort());
      const kinds = view.explanation.map((e) => e.kind);
      expect(kinds).to.include.members(['declined', 'step', 'offered']);
      const named = view.explanation.find((e) => e.step?.stepId === 'named');
      expect(named?.step?.skipped).to.equal(true);
      // The team's offers are withdrawn when one of them accepts.
      const [teamOffer] = await offersOf(f.staff.kelaLiaison);
      const withdrawn = nextEvent<{ state: string }>(sockets[f.staff.kelaWorker], 'ring:offer-ended');
      expect((await call(f.staff.kelaLiaison, 'POST', `/api/ringing/offers/${teamOffer.offerId}/accept`)).status).to.equal(200);
      expect((await withdrawn).state).to.equal('withdrawn');
      expect(await offersOf(f.staff.kelaWorker)).to.deep.equal([]);
    });

    it('stops ringing someone who goes offline or away, and moves on at once without waiting for the timeout', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler, f.staff.kelaWorker, f.staff.kelaLiaison);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      expect(started.body.ringing.map((r) => r.staffId)).to.deep.equal([f.staff.kelaHandler]);
      const teamRings = nextEvent<RingOfferView>(sockets[f.staff.kelaWorker], 'ring:offer');
      // The handler closes the app while it rings: the team rings next, with no clock moved.
      offline(f.staff.kelaHandler);
      await teamRings;
      const view = await stateOf(f.staff.countyAWorker, started.body.requestId);
      expect(view.ringing.map((r) => r.staffId).sort()).to.deep.equal([f.staff.kelaLiaison, f.staff.kelaWorker].sort());
      expect(view.explanation.find((e) => e.kind === 'withdrawn')).to.deep.include({ staffId: f.staff.kelaHandler, reason: 'offline' });
      // One of the team sets "away": only the other still rings.
      expect((await call(f.staff.kelaWorker, 'PUT', '/api/presence/me', { status: 'away' })).status).to.be.oneOf([200, 204]);
      await eventually(async () => (await offersOf(f.staff.kelaWorker)).length === 0, 'the worker who went away stops ringing');
      expect((await offersOf(f.staff.kelaLiaison)).map((o) => o.requestId)).to.deep.equal([started.body.requestId]);
      expect((await call(f.staff.kelaWorker, 'PUT', '/api/presence/me', { status: 'available' })).status).to.be.oneOf([200, 204]);
      expect((await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${started.body.requestId}/cancel`, {})).status).to.equal(200);
    });

    it('rings the next step when the ring times out (durable timer), and ends with a callback when nobody answers', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler, f.staff.kelaWorker);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      expect(started.body.ringing.map((r) => r.staffId)).to.deep.equal([f.staff.kelaHandler]);
      clock.advance(30_000);
      await rinki.timers.tick();
      const teamStep = await eventually(async () => {
        const v = await stateOf(f.staff.countyAWorker, started.body.requestId);
        return v.ringing.some((r) => r.staffId === f.staff.kelaWorker) && v;
      }, 'the team step');
      expect(teamStep.explanation.some((e) => e.kind === 'expired')).to.equal(true);
      clock.advance(60_000);
      await rinki.timers.tick();
      const ended = await eventually(async () => {
        const v = await stateOf(f.staff.countyAWorker, started.body.requestId);
        return v.state !== 'ringing' && v;
      }, 'the final action');
      expect(ended.state).to.equal('callback');
      expect(ended.final?.action).to.equal('callback');
      expect(ended.final?.ownerTeamId).to.equal(f.teams.kelaSouth);
      expect(ended.final?.dueAt).to.be.a('string');
      expect(await offersOf(f.staff.kelaWorker)).to.deep.equal([]);
      // The callback request is there for the owner team, due when the rule says.
      expect(ended.callbackId).to.be.a('string');
      const cb = await call<{ state: string; target: { teamId: string }; dueAt: string; reason: string }>(f.staff.kelaWorker, 'GET', `/api/callbacks/${ended.callbackId}`);
      expect(cb.body).to.deep.include({ state: 'open', reason: 'steps_exhausted', dueAt: ended.final?.dueAt });
      expect(cb.body.target.teamId).to.equal(f.teams.kelaSouth);
    });

    it('nobody available: ends with the final action at once, without ringing anyone', async () => {
      await online(f.staff.countyAWorker);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      expect(started.status).to.equal(201);
      expect(started.body.state).to.equal('callback');
      expect(started.body.ringing).to.deep.equal([]);
      const reasons = started.body.explanation.filter((e) => e.kind === 'step').map((e) => e.step!.excluded.map((x) => x.reason)).flat();
      expect(reasons).to.include('offline');
    });

    it('asked to, says that the counterpart is closed and when it opens, and starts nothing; by default leaves the callback', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler, f.staff.kelaWorker);
      const open = clock.t;
      // Wednesday 07:00 in Helsinki, before the teams open (earlier than the other tests' requests, which list newest first).
      clock.t = Date.parse('2026-11-18T05:00:00Z');
      try {
        const before = await count('routing_requests');
        const asked = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { whenClosed: 'ask' });
        expect(asked.status, JSON.stringify(asked.body)).to.equal(409);
        const answer = asked.body as unknown as { error: string; closed: ClosedTeamsView };
        expect(answer.error).to.equal('team_closed');
        expect(answer.closed).to.deep.equal({
          teams: [{ teamId: f.teams.kelaSouth, nameFi: 'Etelä tiimi', nameSv: 'Syd team', organisationNameFi: 'Testi etelä', organisationNameSv: 'Test syd', opensAt: '2026-11-18T06:00:00.000Z' }],
          // County A's rules refuse urgent requests.
          urgentQueue: false,
        });
        expect(await count('routing_requests')).to.equal(before);
        expect(await offersOf(f.staff.kelaHandler)).to.deep.equal([]);

        const left = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
        expect(left.status).to.equal(201);
        expect(left.body.state).to.equal('callback');
      } finally {
        clock.t = open;
      }
    });

    it('a named worker on leave: the stand-in rings instead', async () => {
      await rinki.deps.db.tx((q) =>
        createAbsence(q, {
          staffId: f.staff.countyAWorker,
          startsAt: new Date(OPEN_AT - 86_400_000).toISOString(),
          endsAt: new Date(OPEN_AT + 86_400_000 * 30).toISOString(),
          standInId: f.staff.countyAContact,
          reason: 'leave',
        }),
      );
      try {
        await online(f.staff.kelaWorker, f.staff.countyAContact, f.staff.countyAWorker);
        // Kela's worker asks: the handler step skips (the handler is offline), the named worker is on leave.
        const started = await startFor(f.staff.kelaWorker, f.clients!.a.hetu);
        expect(started.body.ringing.map((r) => r.staffId)).to.deep.equal([f.staff.countyAContact]);
        const [offer] = await offersOf(f.staff.countyAContact);
        expect(offer.requestId).to.equal(started.body.requestId);
        const named = started.body.explanation.find((e) => e.step?.stepId === 'named')!;
        expect(named.step!.candidates[0].standInFor?.staffId).to.equal(f.staff.countyAWorker);
        await call(f.staff.kelaWorker, 'POST', `/api/ringing/requests/${started.body.requestId}/cancel`);
      } finally {
        await rinki.deps.db.query('DELETE FROM absences WHERE staff_id = $1', [f.staff.countyAWorker]);
      }
    });

    it('a non-disclosure client rings only the central Swedish-language team, and the offer shows no municipality', async () => {
      // The requester needs a task relation to the client: here, its named worker.
      await rinki.deps.db.query(`INSERT INTO client_named_workers (client_id, staff_id, kind) VALUES ($1, $2, 'omatyontekija') ON CONFLICT DO NOTHING`, [f.clients!.b.id, f.staff.countyBWorker]);
      await online(f.staff.countyBWorker, f.staff.kelaSwedish, f.staff.kelaWorker);
      const offered = nextEvent<RingOfferView>(sockets[f.staff.kelaSwedish], 'ring:offer');
      const started = await startFor(f.staff.countyBWorker, f.clients!.b.hetu);
      expect(started.status, JSON.stringify(started.body)).to.equal(201);
      expect(started.body.ringing.map((r) => r.staffId)).to.deep.equal([f.staff.kelaSwedish]);
      const offer = await offered;
      expect(offer).not.to.have.property('municipality');
      // Nothing in the offer or in the requester's view locates the client: no municipality, county or county's region.
      // (The requester is who they are: their own organisation is the one thing left.)
      const { requester: _r1, ...offerRest } = offer;
      const { requester: _r2, ...viewRest } = started.body;
      expect(viewRest.ruleSet.region).to.equal(null);
      for (const text of [JSON.stringify(offerRest), JSON.stringify(viewRest)]) for (const where of [f.municipalities.b1, 'Bekylä', 'Bby', f.orgs.countyB]) expect(text).not.to.contain(where);
      expect(await offersOf(f.staff.kelaWorker)).to.deep.equal([]);
      await call(f.staff.countyBWorker, 'POST', `/api/ringing/requests/${started.body.requestId}/cancel`);
    });

    it('a region whose rule refuses urgent requests answers with its reason', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { request: { type: 'kiireellinen', urgency: 'urgent', criteria: ['no_food_or_medicine'] } });
      expect(started.body.state).to.equal('refused');
      expect(started.body.final?.reason?.en).to.equal('Urgent cases go to Kela’s service line.');
      expect(await offersOf(f.staff.kelaHandler)).to.deep.equal([]);
    });

    it('a published change affects the next request, not one already ringing; a rollback restores the previous routing', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler, f.staff.kelaWorker, f.staff.kelaSwedish);
      const first = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      const before = await call<{ versions: { version: number; status: string }[] }>(f.staff.countyAAdmin, 'GET', `/api/routing/regions/${f.orgs.countyA}/rule-sets`);
      const previous = before.body.versions.find((v) => v.status === 'published')!.version;
      await publish(countyARules(f.teams.kelaWestSwedish));

      // The request already ringing keeps its rule set: after the handler declines, Kela's southern team rings.
      const [offer] = await offersOf(f.staff.kelaHandler);
      await call(f.staff.kelaHandler, 'POST', `/api/ringing/offers/${offer.offerId}/decline`, { reason: 'busy_with_client' });
      const firstNow = await eventually(async () => {
        const v = await stateOf(f.staff.countyAWorker, first.body.requestId);
        return v.ringing.length > 0 && v.ringing[0].staffId !== f.staff.kelaHandler && v;
      }, 'the next step');
      expect(firstNow.ringing.map((r) => r.staffId)).to.include(f.staff.kelaWorker);
      await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${first.body.requestId}/cancel`);

      // The next request follows the new rules: the Swedish team after the handler.
      const second = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      expect(second.body.ruleSet.version).to.be.greaterThan(first.body.ruleSet.version!);
      const [offer2] = await offersOf(f.staff.kelaHandler);
      await call(f.staff.kelaHandler, 'POST', `/api/ringing/offers/${offer2.offerId}/decline`, { reason: 'busy_with_client' });
      const secondNow = await eventually(async () => {
        const v = await stateOf(f.staff.countyAWorker, second.body.requestId);
        return v.ringing.length > 0 && v.ringing[0].staffId !== f.staff.kelaHandler && v;
      }, 'the next step');
      expect(secondNow.ringing.map((r) => r.staffId)).to.deep.equal([f.staff.kelaSwedish]);
      await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${second.body.requestId}/cancel`);

      const rolled = await call(f.staff.countyAAdmin, 'POST', `/api/routing/regions/${f.orgs.countyA}/rollback`, { version: previous });
      expect(rolled.status, JSON.stringify(rolled.body)).to.equal(200);
      const third = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      const [offer3] = await offersOf(f.staff.kelaHandler);
      await call(f.staff.kelaHandler, 'POST', `/api/ringing/offers/${offer3.offerId}/decline`, { reason: 'busy_with_client' });
      const thirdNow = await eventually(async () => {
        const v = await stateOf(f.staff.countyAWorker, third.body.requestId);
        return v.ringing.length > 0 && v.ringing[0].staffId !== f.staff.kelaHandler && v;
      }, 'the next step');
      expect(thirdNow.ringing.map((r) => r.staffId)).to.include(f.staff.kelaWorker);
      await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${third.body.requestId}/cancel`);
    });

    it('works over Socket.IO too: request, offer, accept', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler);
      const offered = nextEvent<RingOfferView>(sockets[f.staff.kelaHandler], 'ring:offer');
      const ack = await emitWithAck<{ ok: boolean; result: RingRequestView }>(sockets[f.staff.countyAWorker], 'ring:request', {
        client: { applicationId: f.applications.clientA },
        request: { type: 'lausuntopyynto', urgency: 'normal' },
        basis: 'totul_15_statement',
      });
      expect(ack.ok).to.equal(true);
      const offer = await offered;
      const accepted = await emitWithAck<{ ok: boolean; result: RingRequestView }>(sockets[f.staff.kelaHandler], 'ring:accept', { offerId: offer.offerId });
      expect(accepted.ok).to.equal(true);
      expect(accepted.result.state).to.equal('accepted');
      const bad = await emitWithAck<{ ok: boolean; status: number }>(sockets[f.staff.kelaHandler], 'ring:accept', { offerId: 'nope' });
      expect(bad).to.include({ ok: false, status: 400 });
    });

    it('the requester may stop waiting and leave a callback request for the owner team', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      const ended = nextEvent<{ state: string }>(sockets[f.staff.kelaHandler], 'ring:offer-ended');
      const left = await call<RingRequestView>(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${started.body.requestId}/leave-callback`, {
        channel: { kind: 'phone', phone: '+358 40 123 4567' },
        windows: [{ from: '2026-11-19T07:00:00Z', to: '2026-11-19T09:00:00Z' }],
      });
      expect(left.status, JSON.stringify(left.body)).to.equal(200);
      expect(left.body.state).to.equal('callback');
      expect((await ended).state).to.equal('withdrawn');
      const cb = await call<{ reason: string; channel: { kind: string }; windows: unknown[] }>(f.staff.countyAWorker, 'GET', `/api/callbacks/${left.body.callbackId}`);
      expect(cb.body.reason).to.equal('requester_choice');
      expect(cb.body.channel.kind).to.equal('phone');
      expect(cb.body.windows).to.have.length(1);
      expect((await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${started.body.requestId}/leave-callback`, {})).status).to.equal(409);
    });

    it('a repeated request id starts nothing new', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler);
      const requestId = crypto.randomUUID();
      const a = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { requestId });
      const n = await count('ring_offers');
      const b = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { requestId });
      expect(b.body.requestId).to.equal(a.body.requestId);
      expect(await count('ring_offers')).to.equal(n);
      expect((await startFor(f.staff.kelaWorker, f.clients!.a.hetu, { requestId })).status).to.equal(409);
      await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${requestId}/cancel`);
    });

    it('refuses bad input with a clear 4xx and writes nothing', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler);
      const before = { requests: await count('routing_requests'), offers: await count('ring_offers') };
      const badHetu = await startFor(f.staff.countyAWorker, '131052-308U');
      expect(badHetu.status).to.equal(400);
      expect(JSON.stringify(badHetu.body)).to.contain('hetu');
      const unknown = await startFor(f.staff.countyAWorker, fictionalHetu('1970-01-01', 77));
      expect(unknown.status).to.equal(404);
      const unknownClient = await call(f.staff.countyAWorker, 'POST', '/api/ringing/requests', {
        client: { applicationId: 'no-such-application' }, request: { type: 'konsultaatio', urgency: 'normal' }, basis: 'totul_18',
      });
      expect(unknownClient.status).to.equal(404);
      const badType = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { request: { type: 'chat', urgency: 'normal' } });
      expect(badType.status).to.equal(400);
      expect(JSON.stringify(badType.body)).to.contain('request.type');
      const badBasis = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { basis: 'because' });
      expect(badBasis.status).to.equal(400);
      const noCriteria = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { request: { type: 'kiireellinen', urgency: 'urgent' } });
      expect(noCriteria.status).to.equal(400);
      expect(JSON.stringify(noCriteria.body)).to.contain('request.criteria');
      const unknownCriterion = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { request: { type: 'kiireellinen', urgency: 'urgent', criteria: ['bored'] } });
      expect(unknownCriterion.status).to.equal(400);
      expect(JSON.stringify(unknownCriterion.body)).to.contain('bored');
      const noConsent = await startFor(f.staff.countyAWorker, f.clients!.a.hetu, { basis: 'consent_oral' });
      expect(noConsent.status).to.equal(422);
      expect((noConsent.body as { error?: string }).error).to.equal('disclosure_refused');
      expect({ requests: await count('routing_requests'), offers: await count('ring_offers') }).to.deep.equal(before);
    });

    it('keeps requests and offers to their parties: nobody else reads, accepts, declines or cancels', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaHandler);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      const [offer] = await offersOf(f.staff.kelaHandler);
      const before = await count(`ring_offers WHERE state = 'ringing'`);
      for (const other of [f.staff.kelaWorker, f.staff.countyBWorker]) {
        expect((await call(other, 'POST', `/api/ringing/offers/${offer.offerId}/accept`)).status).to.equal(404);
        expect((await call(other, 'POST', `/api/ringing/offers/${offer.offerId}/decline`, { reason: 'other' })).status).to.equal(404);
        expect((await call(other, 'GET', `/api/ringing/requests/${started.body.requestId}`)).status).to.equal(404);
        expect((await call(other, 'POST', `/api/ringing/requests/${started.body.requestId}/cancel`)).status).to.equal(404);
      }
      // The person rung reads the request but cannot call it off.
      expect((await call(f.staff.kelaHandler, 'GET', `/api/ringing/requests/${started.body.requestId}`)).status).to.equal(200);
      expect((await call(f.staff.kelaHandler, 'POST', `/api/ringing/requests/${started.body.requestId}/cancel`)).status).to.equal(403);
      expect(await count(`ring_offers WHERE state = 'ringing'`)).to.equal(before);
      // A county B worker cannot even start a request about county A's client.
      expect((await startFor(f.staff.countyBWorker, f.clients!.a.hetu)).status).to.equal(404);
      const res = await fetch(`${rinki.url}/api/ringing/offers`);
      expect(res.status).to.equal(401);
      await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${started.body.requestId}/cancel`);
    });

    it('lets a worker of another county read the client once they accepted a ring about them, not before', async () => {
      await publish(countyARules(f.teams.countyB));
      // The requester is the application's handler (a task relation); as the requester they are not rung themselves.
      const handlerWasOnline = !!sockets[f.staff.kelaHandler];
      await online(f.staff.kelaHandler, f.staff.countyBWorker);
      const lookup = () => call(f.staff.countyBWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'case_handling' });
      expect((await lookup()).status).to.equal(404);
      const started = await startFor(f.staff.kelaHandler, f.clients!.a.hetu);
      expect(started.body.ringing.map((r) => r.staffId)).to.deep.equal([f.staff.countyBWorker]);
      expect((await lookup()).status).to.equal(404);
      const [offer] = await offersOf(f.staff.countyBWorker);
      expect((await call(f.staff.countyBWorker, 'POST', `/api/ringing/offers/${offer.offerId}/accept`)).status).to.equal(200);
      expect((await lookup()).status).to.equal(200);
      // Client B was never routed to them: still out of reach.
      expect((await call(f.staff.countyAWorker, 'POST', '/api/clients/lookup', { hetu: f.clients!.b.hetu, purpose: 'case_handling' })).status).to.equal(404);
      if (!handlerWasOnline) offline(f.staff.kelaHandler);
      await publish(countyARules(f.teams.kelaSouth));
    });

    it('leaves the callback with the first person the steps chose when the rule names no team', async () => {
      await publish({
        region: f.orgs.countyA,
        filters: [{ id: 'handler-only', name: 'Vain käsittelijä', match: {}, steps: [{ id: 'handler', select: { relation: 'application_handler' }, strategy: 'serial', ringTimeoutSeconds: 30 }], final: { action: 'callback', dueWorkingDays: 1 } }],
      });
      await online(f.staff.countyAWorker);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      expect(started.body.state).to.equal('callback');
      const cb = await call<{ target: { staffId: string | null; teamId: string | null } }>(f.staff.countyAWorker, 'GET', `/api/callbacks/${started.body.callbackId}`);
      expect(cb.body.target).to.deep.include({ staffId: f.staff.kelaHandler, teamId: null });
      await publish(countyARules(f.teams.kelaSouth));
    });

    it('lists my own requests, newest first, and nobody else’s', async () => {
      clock.advance(1_000);
      const started = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      const mine = await call<RingRequestView[]>(f.staff.countyAWorker, 'GET', '/api/ringing/requests');
      expect(mine.status).to.equal(200);
      expect(mine.body[0].requestId).to.equal(started.body.requestId);
      expect(mine.body.every((r) => r.requester.staffId === f.staff.countyAWorker)).to.equal(true);
      const times = mine.body.map((r) => r.createdAt);
      expect(times).to.deep.equal([...times].sort().reverse());
      const theirs = await call<RingRequestView[]>(f.staff.countyBWorker, 'GET', '/api/ringing/requests');
      expect(theirs.body.some((r) => r.requestId === started.body.requestId)).to.equal(false);
      await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${started.body.requestId}/cancel`);
    });

    // Last: it publishes Kela district rules that would change the tests above.
    it('routes by the rules of the side being reached: a county requester by the Kela district serving the client’s municipality', async () => {
      await online(f.staff.countyAWorker, f.staff.kelaWorker, f.staff.kelaSwedish, f.staff.countyAContact);
      const districtRules: RuleSet = {
        region: f.orgs.kelaSouth,
        filters: [{ id: 'all', name: 'Kaikki', match: {}, steps: [{ id: 'team', select: { team: f.teams.kelaSouth }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }] }],
      };
      const draft = await call<{ version: number }>(f.staff.kelaAdmin, 'POST', `/api/routing/regions/${f.orgs.kelaSouth}/rule-sets`, { body: districtRules });
      expect(draft.status, JSON.stringify(draft.body)).to.equal(201);
      expect((await call(f.staff.kelaAdmin, 'POST', `/api/routing/regions/${f.orgs.kelaSouth}/rule-sets/${draft.body.version}/publish`, {})).status).to.equal(200);
      const fromCounty = await startFor(f.staff.countyAWorker, f.clients!.a.hetu);
      expect(fromCounty.body.ruleSet.region).to.equal(f.orgs.kelaSouth);
      expect(fromCounty.body.ringing.map((r) => r.staffId)).to.include(f.staff.kelaWorker);
      await call(f.staff.countyAWorker, 'POST', `/api/ringing/requests/${fromCounty.body.requestId}/cancel`);
      // Kela reaching the county: the county's rules still apply.
      const fromKela = await startFor(f.staff.kelaWorker, f.clients!.a.hetu);
      expect(fromKela.body.ruleSet.region).to.equal(f.orgs.countyA);
      await call(f.staff.kelaWorker, 'POST', `/api/ringing/requests/${fromKela.body.requestId}/cancel`);
      // County B's client lives in a municipality of another district (no rules there): county B's rules.
      const other = await startFor(f.staff.countyBWorker, f.clients!.b.hetu);
      // (A non-disclosure client: the requester's view names no region, the stored request does.)
      expect(other.body.ruleSet.region).to.equal(null);
      const [stored] = await rinki.deps.db.query<{ rule_set_region: string }>('SELECT rule_set_region FROM routing_requests WHERE id = $1', [other.body.requestId]);
      expect(stored.rule_set_region).to.equal(f.orgs.countyB);
    });
  });
}
