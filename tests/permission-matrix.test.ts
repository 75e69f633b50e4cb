// The permission matrix (docs/access-model.md): every REST route under /api and
// every Socket.IO command of a running Rinki has a row in
// permission-matrix.table.ts, and every row × actor answers as the row says.
// A route or command without a row fails here, as does a row naming none.
import { expect } from 'chai';
import { importDirectory } from '../server/src/directory/import.ts';
import { makeOrgFixture } from '../server/src/directory/fixtures.ts';
import { apiTokenFor, startTestRinki, type TestRinki } from './helpers/env.ts';
import { ManualClock } from './helpers/api.ts';
import { connectSocket, emitWithAck, eventsOf, type AsyncApiDocument, type ClientSocket } from './helpers/realtime.ts';
import {
  ACTORS,
  CALLERS,
  ESCALATION,
  EXTRA,
  ROWS,
  RULES,
  SCHEDULE,
  SCHEDULE_ID,
  freshId,
  type ActorKey,
  type Caller,
  type Expect,
  type RestCall,
  type Row,
  type SocketCall,
  type Status,
  type World,
} from './permission-matrix.table.ts';

/** Wednesday 18 November 2026, 10:00 in Helsinki: the fixture's teams are open. */
const OPEN_AT = Date.parse('2026-11-18T08:00:00Z');
const SOCKET_PREFIX = 'socket ';

/** The answer the row expects of a caller: the most specific key wins (actor > role > organisation > all). */
export function expected(e: Expect, caller: Caller): Status {
  if (caller === 'anon') return e.anon ?? 401;
  const [org, role] = caller.split('.') as ['A' | 'B' | 'K', keyof Expect];
  const answer = e[caller] ?? e[role] ?? e[org] ?? e.all;
  if (answer === undefined) throw new Error(`no expectation for ${caller}`);
  return answer;
}

const matches = (want: Status, got: number) => (want === 'ok' ? got >= 200 && got < 300 : want === got);
const rowName = (r: Row) => (r.variant ? `${r.route} (${r.variant})` : r.route);

describe('permission matrix', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  let clock: ManualClock;
  const tokens: Partial<Record<ActorKey, string>> = {};
  const sockets: Partial<Record<ActorKey, ClientSocket>> = {};
  let world: World;

  async function rest(caller: Caller, method: string, path: string, body?: unknown, text?: string): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    if (caller !== 'anon') headers.authorization = `Bearer ${tokens[caller]}`;
    if (text !== undefined) headers['content-type'] = 'application/json';
    else if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${rinki.url}${path}`, { method, headers, body: text ?? (body === undefined ? undefined : JSON.stringify(body)), redirect: 'manual' });
    const raw = await res.text();
    let parsed: unknown = raw;
    try {
      parsed = raw ? JSON.parse(raw) : undefined;
    } catch {
      /* CSV, JSON lines */
    }
    return { status: res.status, body: parsed };
  }

  /** A setup call that must succeed. */
  async function as<T>(caller: ActorKey, method: string, path: string, body?: unknown): Promise<T> {
    const r = await rest(caller, method, path, body);
    if (r.status >= 300) throw new Error(`setup ${method} ${path} as ${caller}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  }

  async function issueTokens(): Promise<void> {
    for (const [key, staffId] of Object.entries(ACTORS)) tokens[key as ActorKey] = await apiTokenFor(rinki, staffId);
  }

  /** A socket per actor, kept open: everyone is online, so the application's handler is rung. */
  async function connectAll(): Promise<void> {
    for (const key of Object.keys(ACTORS) as ActorKey[]) {
      sockets[key]?.close();
      sockets[key] = await connectSocket(rinki.url, { token: tokens[key] });
    }
  }

  before(async () => {
    clock = new ManualClock(OPEN_AT);
    rinki = await startTestRinki({ clock });
    const { db, keys } = rinki.deps;
    const f = await makeOrgFixture(db, keys);
    const rows = (list: unknown[]) => list.map((value, i) => ({ line: i + 1, value }));
    const extra = await importDirectory(db, keys.clientIdKey, { staff: rows(EXTRA.staff), clients: rows([EXTRA.clientU]) }, { dryRun: false, scope: { kind: 'system' } });
    if (!extra.ok) throw new Error(`extra rows: ${JSON.stringify(extra.issues)}`);
    await issueTokens();
    await connectAll();

    const A = f.orgs.countyA;
    const first = await as<{ version: number }>('A.admin', 'POST', `/api/routing/regions/${A}/rule-sets`, { body: RULES() });
    await as('A.admin', 'POST', `/api/routing/regions/${A}/rule-sets/${first.version}/publish`, {});
    const draft = await as<{ version: number }>('A.admin', 'POST', `/api/routing/regions/${A}/rule-sets`, { body: RULES() });
    await as('A.admin', 'PUT', `/api/urgent/regions/${A}/escalation-policy`, ESCALATION);
    await as('A.admin', 'PUT', `/api/urgent/schedules/${SCHEDULE_ID}`, SCHEDULE());

    const ringInput = (hetu: string, urgent: boolean) => ({
      client: { hetu },
      request: urgent ? { type: 'kiireellinen', urgency: 'urgent', criteria: ['no_food_or_medicine'] } : { type: 'konsultaatio', urgency: 'normal' },
      basis: 'totul_18',
    });
    const person = async () => (await as<{ id: string }>('A.admin', 'POST', '/api/staff', { id: freshId('mx-target'), organisationId: A, displayName: 'Kohde Henkilö', roles: [{ role: 'caseworker', organisationId: A }] })).id;
    world = {
      clientA: { hetu: f.clients!.a.hetu },
      clientU: { hetu: EXTRA.clientU.hetu },
      draftVersion: draft.version,
      async ringRequest() {
        const started = await as<{ requestId: string; state: string }>('A.caseworker', 'POST', '/api/ringing/requests', ringInput(f.clients!.a.hetu, false));
        if (started.state !== 'ringing') throw new Error(`ring request is ${started.state}, not ringing`);
        const offers = await as<{ offerId: string; requestId: string }[]>('K.caseworker', 'GET', '/api/ringing/offers');
        const offer = offers.find((o) => o.requestId === started.requestId);
        if (!offer) throw new Error('K.caseworker was not rung');
        return { requestId: started.requestId, offerId: offer.offerId };
      },
      async urgentItem(claimed = false) {
        const started = await as<{ requestId: string; state: string }>('K.caseworker', 'POST', '/api/ringing/requests', ringInput(EXTRA.clientU.hetu, true));
        if (started.state !== 'urgent_queue') throw new Error(`urgent request is ${started.state}`);
        const queue = await as<{ id: string; routingRequestId: string | null }[]>('A.on_call', 'GET', `/api/urgent/regions/${A}/queue`);
        const item = queue.find((i) => i.routingRequestId === started.requestId);
        if (!item) throw new Error('urgent item not queued');
        if (claimed) await as('A.on_call', 'POST', `/api/urgent/items/${item.id}/claim`);
        return item.id;
      },
      async callback(claimed = false) {
        const c = await as<{ id: string }>('A.caseworker', 'POST', '/api/callbacks', { target: { staffId: ACTORS['K.caseworker'] }, requestType: 'konsultaatio' });
        if (claimed) await as('K.caseworker', 'POST', `/api/callbacks/${c.id}/claim`);
        return c.id;
      },
      async concern() {
        return (await as<{ id: string }>('K.caseworker', 'POST', '/api/concerns', { client: { hetu: f.clients!.a.hetu } })).id;
      },
      async consent() {
        const body = { client: { hetu: f.clients!.a.hetu }, givenBy: 'client', method: 'present', givenAt: '2026-11-18T07:00:00Z', categories: ['identity'] };
        return (await as<{ id: string }>('A.caseworker', 'POST', '/api/consents', body)).id;
      },
      async team() {
        return (await as<{ id: string }>('A.admin', 'POST', '/api/teams', { id: freshId('mx-target-team'), organisationId: A, nameFi: 'Kohde', nameSv: 'Mål' })).id;
      },
      person,
      async absence() {
        const staffId = await person();
        return (await as<{ id: string }>('A.admin', 'POST', '/api/absences', { staffId, startsAt: '2027-03-01T06:00:00Z', endsAt: '2027-03-02T14:00:00Z' })).id;
      },
      async contact() {
        const staffId = await person();
        await as('A.admin', 'POST', `/api/municipalities/${f.municipalities.a2}/contacts`, { staffId, kind: 'contact' });
        return { code: f.municipalities.a2, staffId, kind: 'contact' as const };
      },
      async draft() {
        return (await as<{ version: number }>('A.admin', 'POST', `/api/routing/regions/${A}/rule-sets`, { body: RULES() })).version;
      },
      async endRings() {
        const offers = await as<{ offerId: string }[]>('K.caseworker', 'GET', '/api/ringing/offers');
        for (const o of offers) await rest('K.caseworker', 'POST', `/api/ringing/offers/${o.offerId}/decline`, { reason: 'busy_with_client' });
      },
      async setRoles(staffId, roles) {
        await db.tx(async (q) => {
          await q.query('DELETE FROM staff_roles WHERE staff_id = $1', [staffId]);
          for (const g of roles) await q.query('INSERT INTO staff_roles (staff_id, role, organisation_id) VALUES ($1, $2, $3)', [staffId, g.role, g.organisationId]);
        });
      },
    };
  });
  after(async () => {
    for (const sock of Object.values(sockets)) sock?.close();
    await rinki?.cleanup();
  });

  it('reads a row’s expectation most specific first: actor, role, organisation, all', () => {
    const e: Expect = { all: 404, A: 'ok', admin: 403, 'A.admin': 409 };
    expect(CALLERS.filter((c) => c !== 'anon').map((c) => [c, expected(e, c)])).to.deep.include.members([
      ['A.caseworker', 'ok'], ['A.admin', 409], ['B.admin', 403], ['B.caseworker', 404],
    ]);
    expect(expected(e, 'anon')).to.equal(401);
  });

  it('has a row for every REST route and Socket.IO command, and no row for one that does not exist', async () => {
    const doc = (await rest('anon', 'GET', '/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    // Commands are the operations Rinki receives in /api/asyncapi.json (tests/realtime-gateway.test.ts checks it lists what a socket answers).
    const asyncapi = (await rest('anon', 'GET', '/api/asyncapi.json')).body as AsyncApiDocument;
    const commands = eventsOf(asyncapi, 'receive').map((e) => SOCKET_PREFIX + e);
    expect(routes.length).to.be.greaterThan(50);
    expect(commands).to.include(`${SOCKET_PREFIX}subscribe`);
    const live = new Set([...routes, ...commands]);
    const covered = new Set(ROWS.map((r) => r.route));
    expect([...live].filter((r) => !covered.has(r)), 'routes and commands without a row in permission-matrix.table.ts').to.deep.equal([]);
    expect([...covered].filter((r) => !live.has(r)), 'rows naming a route or command that does not exist').to.deep.equal([]);
  });

  async function answer(row: Row, caller: Caller, call: RestCall | SocketCall): Promise<number> {
    if (row.route.startsWith(SOCKET_PREFIX)) {
      if (caller === 'anon') {
        // A socket without credentials is refused at the handshake.
        const refused = await connectSocket(rinki.url).then(
          (sock) => (sock.close(), false),
          () => true,
        );
        return refused ? 401 : 200;
      }
      const ack = await emitWithAck<{ ok: true } | { ok: false; status: number }>(sockets[caller]!, row.route.slice(SOCKET_PREFIX.length), (call as SocketCall).payload);
      return ack.ok ? 200 : ack.status;
    }
    const { params = {}, query, body, text } = call as RestCall;
    const [method, template] = row.route.split(' ');
    const path = template.replace(/:(\w+)/g, (_m, name: string) => {
      if (params[name] === undefined) throw new Error(`row ${rowName(row)} gives no ${name}`);
      return encodeURIComponent(String(params[name]));
    });
    const qs = query ? `?${new URLSearchParams(query)}` : '';
    return (await rest(caller, method, path + qs, body, text)).status;
  }

  for (const row of ROWS) {
    it(`${rowName(row)}: ${row.rule}`, async () => {
      // A caller expected to succeed gets a target of its own; the callers expected to be refused share one
      // (a refusal writes nothing), which keeps the suite fast. Rows whose request depends on the caller build one each.
      let shared: Promise<RestCall | SocketCall> | undefined;
      const build = (caller: Caller) => async (): Promise<RestCall | SocketCall> => (await row.call?.(world, caller)) ?? {};
      const results = await Promise.all(
        CALLERS.map(async (caller) => {
          const want = expected(row.expect, caller);
          try {
            const call = want === 'ok' || row.perCaller ? await build(caller)() : await (shared ??= build(caller)());
            const got = await answer(row, caller, call);
            return { caller, want, got: String(got), ok: matches(want, got) };
          } catch (err) {
            return { caller, want, got: `error: ${(err as Error).message}`, ok: false };
          }
        }),
      );
      await row.after?.(world);
      if (/ring/.test(row.route)) await world.endRings();
      if (row.revokesTokens) await issueTokens();
      const wrong = results.filter((r) => !r.ok).map((r) => `${r.caller}: expected ${r.want}, got ${r.got}`);
      expect(wrong, `${rowName(row)}\n  ${wrong.join('\n  ')}`).to.deep.equal([]);
    });
  }
});
