// Surviving faults: opening conferences (callback claims, ring accepts) leaks no bus subscriptions; a Redis
// that refuses connections or hangs shows in the structured logs and in
// /readyz, never as unhandled errors or a readiness probe that hangs.
import { expect } from 'chai';
import { pino } from 'pino';
import type { CallbackView } from '../shared/src/callbacks.ts';
import type { RuleSet } from '../shared/src/routing.ts';
import type { RingOfferView, RingRequestView } from '../shared/src/ringing.ts';
import { makeOrgFixture, type OrgFixture } from '../server/src/directory/fixtures.ts';
import { apiTokenFor, freePort, startTestRinki, type TestRinki } from './helpers/env.ts';
import { OwnRedis } from './helpers/redis.ts';
import { ManualClock, apiCaller, eventually } from './helpers/api.ts';
import { connectSocket, type ClientSocket } from './helpers/realtime.ts';

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

describe('faults: one Matrix context per node, through ring accepts', function () {
  /** Wednesday 18 November 2026, 10:00 in Helsinki: the fixture's teams are open. */
  const OPEN_AT = Date.parse('2026-11-18T08:00:00Z');
  let rinki: TestRinki;
  let f: OrgFixture;
  let handlerOnline: ClientSocket;
  const tokens: Record<string, string> = {};
  const call = apiCaller(() => rinki, tokens);

  before(async () => {
    rinki = await startTestRinki({ clock: new ManualClock(OPEN_AT) });
    f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
    for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
    // County A rings the handler of the client's pending application.
    const rules: RuleSet = {
      region: f.orgs.countyA,
      filters: [{
        id: 'main', name: 'Hakemus', match: {},
        steps: [{ id: 'handler', select: { relation: 'application_handler' }, strategy: 'serial', ringTimeoutSeconds: 30 }],
        final: { action: 'callback', dueWorkingDays: 1, ownerTeamId: f.teams.kelaSouth },
      }],
    };
    const draft = await call<{ version: number }>(f.staff.countyAAdmin, 'POST', `/api/routing/regions/${f.orgs.countyA}/rule-sets`, { body: rules });
    expect(draft.status, JSON.stringify(draft.body)).to.equal(201);
    expect((await call(f.staff.countyAAdmin, 'POST', `/api/routing/regions/${f.orgs.countyA}/rule-sets/${draft.body.version}/publish`, {})).status).to.equal(200);
    handlerOnline = await connectSocket(rinki.url, { token: tokens[f.staff.kelaHandler] });
  });
  after(async () => {
    handlerOnline?.close();
    await rinki.cleanup();
  });

  it('accepting many rings, each opening a conference, leaves the number of bus subscribers unchanged', async () => {
    const ringAndAccept = async () => {
      const started = await call<RingRequestView>(f.staff.countyAWorker, 'POST', '/api/ringing/requests', {
        client: { hetu: f.clients!.a.hetu },
        request: { type: 'konsultaatio', urgency: 'normal' },
        basis: 'totul_18',
      });
      expect(started.status, JSON.stringify(started.body)).to.equal(201);
      const offer = await eventually(
        async () => (await call<RingOfferView[]>(f.staff.kelaHandler, 'GET', '/api/ringing/offers')).body.find((o) => o.requestId === started.body.requestId),
        'the offer to the handler',
      );
      const accepted = await call<RingRequestView>(f.staff.kelaHandler, 'POST', `/api/ringing/offers/${offer.offerId}/accept`);
      expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
      expect(accepted.body.roomId).to.match(/^!/);
    };
    await ringAndAccept();
    const before = rinki.deps.bus.subscriberCount();
    for (let i = 0; i < 5; i++) await ringAndAccept();
    expect(rinki.deps.bus.subscriberCount()).to.equal(before);
  });
});

/** A logger whose lines the test reads, and what ioredis would print to stderr without an 'error' handler. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const stderr: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => void stderr.push(args.map(String).join(' '));
  return { log, lines, stderr, restore: () => (console.error = consoleError) };
}

const readyStatus = async (url: string) => {
  const started = Date.now();
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, ms: Date.now() - started };
};

describe('faults: Redis refused, lost or hung', function () {
  // Each test starts a node of its own (PGlite migrations included): slow on a busy machine.
  this.timeout(120_000);
  let own: OwnRedis | undefined;
  let rinki: TestRinki | undefined;
  let captured: ReturnType<typeof capturedLog>;

  beforeEach(() => (captured = capturedLog()));
  afterEach(async () => {
    captured.restore();
    own?.resume();
    await rinki?.cleanup();
    await own?.stop();
    [own, rinki] = [undefined, undefined];
  });

  it('a node whose Redis refuses connections does not start, logs one structured warning and prints no unhandled error', async () => {
    const port = await freePort();
    let failed: unknown;
    await startTestRinki({ log: captured.log, env: { REDIS_URL: `redis://127.0.0.1:${port}` } }).catch((err: unknown) => (failed = err));
    expect(failed, 'the node started without its Redis').to.be.instanceOf(Error);
    await new Promise((r) => setTimeout(r, 500)); // no retries go on after the failed start
    const warnings = captured.lines.filter((l) => l.msg === 'Redis connection failed; retrying');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ level: 40, redis: 'bus', code: 'ECONNREFUSED' });
    expect(captured.stderr.join('\n')).not.to.include('Unhandled error event');
  });

  it('a Redis lost while running is logged once per connection, and its return too; /readyz follows it', async () => {
    own = await OwnRedis.start();
    rinki = await startTestRinki({ log: captured.log, env: { REDIS_URL: own.url } });
    expect((await readyStatus(rinki.url)).status).to.equal(200);

    await own.stop();
    // ioredis retries every few hundred milliseconds: several refused reconnects, one warning each.
    await new Promise((r) => setTimeout(r, 1500));
    const failed = captured.lines.filter((l) => l.msg === 'Redis connection failed; retrying');
    expect(failed.map((l) => l.redis).sort()).to.deep.equal(['bus', 'bus subscriber', 'socket.io publisher', 'socket.io subscriber']);
    expect(failed.every((l) => l.level === 40 && l.code === 'ECONNREFUSED')).to.equal(true);
    expect(JSON.stringify(failed)).not.to.include(own.url);
    const down = await readyStatus(rinki.url);
    expect(down.status).to.equal(503);
    expect(down.ms).to.be.below(3000);

    await own.restart();
    await eventually(async () => captured.lines.filter((l) => l.msg === 'Redis connection back').length === 4, 'four connections back');
    await eventually(async () => (await readyStatus(rinki!.url)).status === 200, 'ready again');
    expect(captured.stderr.join('\n')).not.to.include('Unhandled error event');
  });

  it('a hung Redis makes /readyz answer 503 within about 2 s, and 200 once it answers again', async () => {
    own = await OwnRedis.start();
    rinki = await startTestRinki({ log: captured.log, env: { REDIS_URL: own.url } });
    expect((await readyStatus(rinki.url)).status).to.equal(200);

    own.pause();
    const hung = await readyStatus(rinki.url);
    expect(hung.status).to.equal(503);
    expect(hung.ms).to.be.below(3000);

    own.resume();
    await eventually(async () => (await readyStatus(rinki!.url)).status === 200, 'ready again');
  });
});
