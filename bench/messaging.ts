// npm run bench:messaging — Matrix messaging latency under load, and its floor.
//
// On a fresh PostgreSQL database with Redis, one Rinki node (a child process,
// LOG_LEVEL=warn so per-request access logs stay off): 1,000 people, 250
// four-member conference rooms, 1,000 clients holding /sync long-polls over
// plain HTTP, senders posting pre-made m.room.encrypted events (~1 KB of fake
// ciphertext) at BENCH_RATE events/s. Latency is measured per recipient from
// just before the send request to the arrival of the sync response holding
// the event. The floor (bench/floor-relay.ts: one INSERT per event, in-memory
// wake-ups) gets the same clients and load. The two take turns, BENCH_ROUNDS
// rounds each of BENCH_SECONDS / BENCH_ROUNDS of measured sending, so that a
// stall of the machine falls on either alike. The last line printed is one
// JSON object with the figures.
/* eslint-disable no-console */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, type Dispatcher, Pool } from 'undici';
import { openDb } from '../server/src/store/db.ts';
import { migrate } from '../server/src/store/migrate.ts';
import { makeOrgFixture, FIXTURE } from '../server/src/directory/fixtures.ts';
import { issueToken } from '../server/src/auth/tokens.ts';
import { freshPgDatabase, REPO_ROOT, TEST_REDIS_URL } from '../tests/helpers/env.ts';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const ROOM_SIZE = 4;
const ROOMS = USERS / ROOM_SIZE;
const RATE = Number(process.env.BENCH_RATE ?? 500);
/** Seconds of measured sending per target, in all. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
/** The targets take turns: ROUNDS each, of SECONDS / ROUNDS. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const ROUND_SECONDS = SECONDS / ROUNDS;
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const DRAIN_MS = 10_000;
const POLL_TIMEOUT_MS = 30_000;

const log = (...a: unknown[]) => console.log(...a);

/** A fake Megolm payload of realistic size: what a 1 KB message looks like on the wire. */
function fakeCiphertext(deviceId: string): string {
  return JSON.stringify({
    algorithm: 'm.megolm.v1.aes-sha2',
    sender_key: randomBytes(32).toString('base64').replace(/=+$/, ''),
    session_id: randomBytes(32).toString('base64').replace(/=+$/, ''),
    device_id: deviceId,
    ciphertext: randomBytes(720).toString('base64').replace(/=+$/, ''),
  });
}

/** The pre-made events the senders post, in turn (every bench person's device is BENCH). */
const PAYLOADS = Array.from({ length: 500 }, () => fakeCiphertext('BENCH'));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * V8 settings of both servers, as `npm start` runs Rinki: a young generation
 * large enough that a long-poll's objects die young instead of being promoted
 * and swept by full collections.
 */
const SERVER_NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=64').split(' ').filter(Boolean);

function startChild(script: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', path.join(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
    // BENCH_STDERR: pass the node's own diagnostics through while measuring.
    if (process.env.BENCH_STDERR) process.stderr.write(d);
  });
  return { child, output: () => out };
}

async function waitFor(base: string, path: string, what: string, output: () => string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    try {
      await call(base, path, {});
      return;
    } catch (err) {
      if (/→ \d{3}/.test((err as Error).message)) return; // it answers: up
      if (Date.now() > end) throw new Error(`${what} did not start:\n${output()}`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

interface User {
  staffId: string;
  userId: string;
  deviceId: string;
  token: string;
  room: string;
}

/** One system under test, seen through the clients' two operations. */
interface Target {
  name: string;
  /** Its origin, http://host:port. */
  base: string;
  /** Sends one event (its content as JSON text); resolves to its id. */
  send(u: User, txnId: string, content: string): Promise<string>;
  /** The position to long-poll from. */
  start(u: User): Promise<string>;
  /** One long-poll: new position and the (event id, sender) pairs that arrived. */
  poll(u: User, since: string): Promise<{ next: string; events: { id: string; sender: string }[]; limited: boolean }>;
}

// The load generator shares two cores with the system under test: its HTTP client is undici's,
// several times lighter per request than node:http's. Each client's long-polls keep to a
// connection of their own; sends and set-up share a pool that opens connections as needed.
const DISPATCH = { keepAliveTimeout: 65_000, headersTimeout: 0, bodyTimeout: 0 };
const dispatchers = new Map<string, Dispatcher>();
function dispatcher(base: string, pollsOf?: string): Dispatcher {
  const key = pollsOf ? `${base} ${pollsOf}` : base;
  let d = dispatchers.get(key);
  if (!d) dispatchers.set(key, (d = pollsOf ? new Client(base, DISPATCH) : new Pool(base, DISPATCH)));
  return d;
}

/** Closes a target's connections: its waiting polls end with an error. */
async function disconnect(base: string): Promise<void> {
  const closing: Promise<void>[] = [];
  for (const [key, d] of dispatchers)
    if (key === base || key.startsWith(`${base} `)) {
      dispatchers.delete(key);
      closing.push(d.destroy());
    }
  await Promise.all(closing);
}

interface CallInit {
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  /** Whose long-poll this is: it goes on that client's own connection. */
  pollsOf?: string;
}

async function call(base: string, path: string, init: CallInit): Promise<Record<string, unknown>> {
  const res = await dispatcher(base, init.pollsOf).request({ path, method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${init.method ?? 'GET'} ${path.split('?')[0]} → ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

function rinkiTarget(base: string): Target {
  const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 100 } } }));
  const auth = (u: User) => ({ authorization: `Bearer ${u.token}` });
  return {
    name: 'rinki',
    base,
    async send(u, txnId, body) {
      // A dropped connection is retried with the same transaction id, as clients do: the server answers the same event.
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await call(base, `/_matrix/client/v3/rooms/${encodeURIComponent(u.room)}/send/m.room.encrypted/${txnId}`, {
            method: 'PUT',
            headers: { ...auth(u), 'content-type': 'application/json' },
            body,
          });
          return String(r.event_id);
        } catch (err) {
          if (attempt >= 2 || /→ \d{3}/.test((err as Error).message)) throw err;
        }
      }
    },
    async start(u) {
      const r = await call(base, `/_matrix/client/v3/sync?timeout=0&filter=${filter}`, { headers: auth(u) });
      return String(r.next_batch);
    },
    async poll(u, since) {
      const r = (await call(base, `/_matrix/client/v3/sync?since=${since}&timeout=${POLL_TIMEOUT_MS}&filter=${filter}`, { headers: auth(u), pollsOf: u.userId })) as {
        next_batch: string;
        rooms?: { join?: Record<string, { timeline?: { events?: { event_id: string; sender: string; type: string }[]; limited?: boolean } }> };
      };
      if (process.env.BENCH_DEBUG) log(JSON.stringify(r).slice(0, 1500));
      const events: { id: string; sender: string }[] = [];
      let limited = false;
      for (const room of Object.values(r.rooms?.join ?? {})) {
        if (room.timeline?.limited) limited = true;
        for (const e of room.timeline?.events ?? []) if (e.type === 'm.room.encrypted') events.push({ id: e.event_id, sender: e.sender });
      }
      return { next: r.next_batch, events, limited };
    },
  };
}

function floorTarget(base: string): Target {
  return {
    name: 'floor',
    base,
    async send(u, _txnId, body) {
      const r = await call(base, `/send?user=${encodeURIComponent(u.userId)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return String(r.event_id);
    },
    async start(u) {
      const r = await call(base, `/poll?user=${encodeURIComponent(u.userId)}&since=0&timeout=0`, {});
      return String(r.next);
    },
    async poll(u, since) {
      const r = (await call(base, `/poll?user=${encodeURIComponent(u.userId)}&since=${since}&timeout=${POLL_TIMEOUT_MS}`, { pollsOf: u.userId })) as {
        next: number;
        events: { id: string; sender: string }[];
      };
      return { next: String(r.next), events: r.events, limited: false };
    },
  };
}

/** One round of one target, as measured. */
interface Round {
  /** Send-to-delivery latency per recipient (ms), in arrival order. */
  latencies: number[];
  /** How long each measured send took to be answered (ms). */
  sendMs: number[];
  sent: number;
  sendErrors: number;
  okSends: number;
  duplicates: number;
  limited: number;
  pollErrors: number;
  sendSeconds: number;
  /** From the first measured send to the last delivery. */
  deliverySeconds: number;
  /** CPU time (ms) used while the measured events were sent: the server under test, this load generator, PostgreSQL. */
  cpuMs: { server: number; load: number; postgres: number };
  loadLoopP99: number;
}

interface Result {
  name: string;
  rounds: number;
  sent: number;
  sendErrors: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  limited: number;
  pollErrors: number;
  p50: number;
  p99: number;
  max: number;
  /** How long a send took to be answered: the part of the latency spent storing. */
  sendP50: number;
  sendP99: number;
  eventsPerS: number;
  deliveredPerS: number;
  /** CPU used while the measured events were sent, in % of one core: the server under test, this load generator, PostgreSQL. */
  cpu: { server: number; load: number; postgres: number };
  /** The load generator's event-loop delay p99 (ms) while sending, in its worst round. */
  loadLoopP99: number;
}

/** CPU time (ms) a process has used so far, from /proc (Linux); with `reaped`, also that of its children that ended. */
function cpuMsOf(pid: number, reaped = false): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').map(Number);
    // utime, stime (and cutime, cstime), in USER_HZ (100 a second)
    return ((f[11] + f[12] + (reaped ? f[13] + f[14] : 0)) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** CPU time (ms) of PostgreSQL: every live process, and the backends that ended (counted with the postmaster that reaped them). */
function postgresCpuMs(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) total += cpuMsOf(Number(pid), true);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * One round of load on one target. `since` holds each client's position: a
 * client that synced in an earlier round goes on from where it was, as a
 * client coming back does.
 */
async function runRound(target: Target, round: number, serverPid: number, users: User[], members: Map<string, User[]>, since: Map<string, string>): Promise<Round> {
  const tag = `[${target.name} ${round}/${ROUNDS}]`;
  const sendAt = new Map<string, number>();
  const sendMs: number[] = [];
  const eventSender = new Map<string, string>();
  const arrivals: { id: string; user: string; at: number }[] = [];
  let running = true;
  let pollErrors = 0;
  let limited = 0;

  log(`${tag} ${users.length} clients ${since.size ? 'sync again' : 'start syncing'}`);
  const fresh = users.filter((u) => !since.has(u.userId));
  for (let i = 0; i < fresh.length; i += 50) await Promise.all(fresh.slice(i, i + 50).map(async (u) => since.set(u.userId, await target.start(u))));
  const loops = users.map(async (u) => {
    while (running) {
      try {
        const r = await target.poll(u, since.get(u.userId)!);
        const at = performance.now();
        since.set(u.userId, r.next);
        if (r.limited) limited++;
        for (const e of r.events) if (e.sender !== u.userId) arrivals.push({ id: e.id, user: u.userId, at });
      } catch (err) {
        if (!running) break;
        pollErrors++;
        if (pollErrors <= 5) log(`${tag} poll error: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
  // Let every long-poll reach the server before the first event.
  await new Promise((r) => setTimeout(r, 2_000));

  const rooms = [...members.keys()];
  let sendErrors = 0;
  const inflight = new Set<Promise<void>>();
  /** Sends `total` events at RATE per second; `measured` ones are timed, the others only warm the target up. */
  const sendAtRate = (total: number, prefix: string, measured: boolean) => {
    let sent = 0;
    const t0 = performance.now();
    return new Promise<number>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
        while (sent < due) {
          const i = sent++;
          const room = rooms[i % rooms.length];
          const sender = members.get(room)![Math.floor(i / rooms.length) % ROOM_SIZE];
          const start = performance.now();
          const p = target
            .send(sender, `${prefix}${i}`, PAYLOADS[i % PAYLOADS.length])
            .then((id) => {
              if (!measured) return;
              sendMs.push(performance.now() - start);
              sendAt.set(id, start);
              eventSender.set(id, sender.userId);
            })
            .catch((err: Error) => {
              sendErrors++;
              if (sendErrors <= 5) log(`${tag} send error: ${err.message}`);
            })
            .finally(() => inflight.delete(p));
          inflight.add(p);
        }
        if (sent >= total) resolve(sent);
        else setTimeout(tick, 5);
      };
      tick();
    });
  };
  // The same warm-up for every target and round (JIT, connection pools, caches), not measured.
  if (WARMUP_SECONDS > 0) {
    log(`${tag} warming up: ${RATE} events/s for ${WARMUP_SECONDS} s, not measured`);
    await sendAtRate(RATE * WARMUP_SECONDS, `w${round}-`, false);
    await Promise.all(inflight);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  log(`${tag} sending ${RATE} events/s for ${ROUND_SECONDS} s`);
  const t0 = performance.now();
  const cpu0 = { server: cpuMsOf(serverPid), load: cpuMsOf(process.pid), postgres: postgresCpuMs() };
  // The load generator's own event-loop delay: how late it may have stamped sends and arrivals.
  const loadDelay = monitorEventLoopDelay({ resolution: 1 });
  loadDelay.enable();
  const sent = await sendAtRate(RATE * ROUND_SECONDS, `b${round}-`, true);
  loadDelay.disable();
  const sendSeconds = (performance.now() - t0) / 1000;
  const cpuMs = {
    server: cpuMsOf(serverPid) - cpu0.server,
    load: cpuMsOf(process.pid) - cpu0.load,
    postgres: postgresCpuMs() - cpu0.postgres,
  };
  const loadLoopP99 = loadDelay.percentile(99) / 1e6;
  await Promise.all(inflight);
  log(`${tag} sent ${sent} in ${sendSeconds.toFixed(1)} s; waiting for the deliveries (at most ${DRAIN_MS / 1000} s)`);
  // Wait for the deliveries to stop coming (at most DRAIN_MS).
  const drainEnd = performance.now() + DRAIN_MS;
  let last = -1;
  while (performance.now() < drainEnd && arrivals.length !== last) {
    last = arrivals.length;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  running = false;
  // Ends the waiting polls.
  await disconnect(target.base);
  await Promise.all(loops);

  const latencies: number[] = [];
  // Latency by the 5-second window the event was sent in: shows whether a tail is a warm-up or recurs.
  const windows: number[][] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let lastArrival = t0;
  for (const a of arrivals) {
    const key = `${a.id}|${a.user}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const s = sendAt.get(a.id);
    if (s === undefined) continue;
    latencies.push(a.at - s);
    const w = Math.floor((s - t0) / 5_000);
    (windows[w] ??= []).push(a.at - s);
    lastArrival = Math.max(lastArrival, a.at);
  }
  const sorted = [...latencies].sort((x, y) => x - y);
  log(
    `${tag} p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms; p99 by 5 s window: ${windows
      .map((w) => percentile(w.sort((x, y) => x - y), 99).toFixed(0))
      .join(' ')} ms`,
  );
  return {
    latencies,
    sendMs,
    sent,
    sendErrors,
    okSends: sendAt.size,
    duplicates,
    limited,
    pollErrors,
    sendSeconds,
    deliverySeconds: (lastArrival - t0) / 1000,
    cpuMs,
    loadLoopP99,
  };
}

/** A target's figures over all its rounds. */
function combine(name: string, rounds: Round[]): Result {
  const sum = (f: (r: Round) => number) => rounds.reduce((n, r) => n + f(r), 0);
  const latencies = rounds.flatMap((r) => r.latencies).sort((x, y) => x - y);
  const sendMs = rounds.flatMap((r) => r.sendMs).sort((x, y) => x - y);
  const sendSeconds = sum((r) => r.sendSeconds);
  const share = (f: (r: Round) => number) => Math.round(sum(f) / sendSeconds / 10);
  const expected = sum((r) => r.okSends) * (ROOM_SIZE - 1);
  return {
    name,
    rounds: rounds.length,
    sent: sum((r) => r.sent),
    sendErrors: sum((r) => r.sendErrors),
    expected,
    delivered: latencies.length,
    lost: expected - latencies.length,
    duplicates: sum((r) => r.duplicates),
    limited: sum((r) => r.limited),
    pollErrors: sum((r) => r.pollErrors),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    sendP50: percentile(sendMs, 50),
    sendP99: percentile(sendMs, 99),
    eventsPerS: sum((r) => r.okSends) / sendSeconds,
    deliveredPerS: latencies.length / sum((r) => r.deliverySeconds),
    cpu: { server: share((r) => r.cpuMs.server), load: share((r) => r.cpuMs.load), postgres: share((r) => r.cpuMs.postgres) },
    loadLoopP99: Math.max(...rounds.map((r) => r.loadLoopP99)),
  };
}

function report(r: Result): void {
  log(
    `[${r.name}] ${r.rounds} rounds: events/s ${r.eventsPerS.toFixed(0)}, deliveries/s ${r.deliveredPerS.toFixed(0)}, latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; send answered p50 ${r.sendP50.toFixed(1)} ms, p99 ${r.sendP99.toFixed(1)} ms; ` +
      `sent ${r.sent} (errors ${r.sendErrors}), expected ${r.expected} deliveries, lost ${r.lost}, duplicates ${r.duplicates}, limited timelines ${r.limited}, poll errors ${r.pollErrors}; ` +
      `CPU (% of one core) server ${r.cpu.server}, load generator ${r.cpu.load}, PostgreSQL ${r.cpu.postgres}; load generator's event-loop delay p99 ${r.loadLoopP99.toFixed(1)} ms`,
  );
}

async function main(): Promise<void> {
  log(`PostgreSQL over ${process.env.BENCH_PG_SOCKET_DIR ? `the Unix socket in ${process.env.BENCH_PG_SOCKET_DIR}` : 'TCP'}`);
  log(
    `bench:messaging — ${USERS} clients, ${ROOMS} rooms of ${ROOM_SIZE}, ${RATE} events/s for ${SECONDS} s per target, in ${ROUNDS} rounds each, taking turns; Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  const fresh = await freshPgDatabase();
  // BENCH_PG_SOCKET_DIR (e.g. /var/run/postgresql): both servers reach PostgreSQL over its Unix socket
  // instead of TCP on loopback, which costs the Node process far less per query.
  const serverDbUrl = process.env.BENCH_PG_SOCKET_DIR
    ? (() => {
        const u = new URL(fresh.url);
        return `postgres://${u.username}@localhost${u.pathname}?host=${encodeURIComponent(process.env.BENCH_PG_SOCKET_DIR)}`;
      })()
    : fresh.url;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rinki-bench-'));
  const children: ChildProcess[] = [];
  try {
    // ---- people, devices and Matrix tokens straight into the database ----
    const db = await openDb({ databaseUrl: fresh.url, dataDir, poolSize: 4 });
    await migrate(db);
    await makeOrgFixture(db);
    const ids = Array.from({ length: USERS }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
    await db.query(
      `INSERT INTO staff (id, organisation_id, display_name) SELECT id, $2, 'Bench ' || id FROM unnest($1::text[]) AS id`,
      [ids, FIXTURE.orgs.countyA],
    );
    await db.query(`INSERT INTO matrix_devices (staff_id, device_id) SELECT id, 'BENCH' FROM unnest($1::text[]) AS id`, [ids]);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const serverName = `127.0.0.1:${port}`;
    const users: User[] = [];
    for (const staffId of ids) {
      const t = await issueToken(db, { staffId, kind: 'matrix', deviceId: 'BENCH', label: 'bench' });
      users.push({ staffId, userId: `@${staffId}:${serverName}`, deviceId: 'BENCH', token: t.token, room: '' });
    }
    await db.close();

    // ---- Rinki ----
    const rinki = startChild('server/src/main.ts', {
      PORT: String(port),
      PUBLIC_URL: base,
      DATABASE_URL: serverDbUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `rinki-bench-${randomBytes(4).toString('hex')}:`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      DEMO_DATA: 'false',
      SEND_RATE_LIMIT: '1000000',
      // BENCH_PROFILE_DIR: a CPU profile of the Rinki node for finding where the time goes.
      ...(process.env.BENCH_PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}` } : {}),
    });
    children.push(rinki.child);
    await waitFor(base, '/healthz', 'Rinki', rinki.output);

    log(`creating ${ROOMS} rooms`);
    const members = new Map<string, User[]>();
    const create = async (r: number) => {
      const group = users.slice(r * ROOM_SIZE, (r + 1) * ROOM_SIZE);
      const [owner, ...others] = group;
      const res = await call(base, '/_matrix/client/v3/createRoom', {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ invite: others.map((o) => o.userId) }),
      });
      const roomId = String(res.room_id);
      for (const o of others)
        await call(base, `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' },
          body: '{}',
        });
      for (const u of group) u.room = roomId;
      members.set(roomId, group);
    };
    for (let r = 0; r < ROOMS; r += 10) await Promise.all(Array.from({ length: Math.min(10, ROOMS - r) }, (_, k) => create(r + k)));
    // Statistics as a database in service has them (autovacuum would take a minute to gather them).
    const stats = await openDb({ databaseUrl: fresh.url, dataDir, poolSize: 1 });
    await stats.query('ANALYZE');
    await stats.close();

    // ---- the floor, same clients and load ----
    const roomsFile = path.join(dataDir, 'rooms.json');
    fs.writeFileSync(roomsFile, JSON.stringify(Object.fromEntries([...members].map(([room, us]) => [room, us.map((u) => u.userId)]))));
    const floorPort = await freePort();
    const floor = startChild('bench/floor-relay.ts', { DATABASE_URL: serverDbUrl, ROOMS_FILE: roomsFile, PORT: String(floorPort) });
    children.push(floor.child);
    const floorBase = `http://127.0.0.1:${floorPort}`;
    await waitFor(floorBase, '/', 'floor relay', floor.output);

    // ---- the two take turns, so that whatever else the machine does falls on both alike ----
    const targets = [
      { target: rinkiTarget(base), pid: rinki.child.pid!, since: new Map<string, string>(), rounds: [] as Round[] },
      { target: floorTarget(floorBase), pid: floor.child.pid!, since: new Map<string, string>(), rounds: [] as Round[] },
    ];
    for (let round = 1; round <= ROUNDS; round++)
      for (const t of targets) t.rounds.push(await runRound(t.target, round, t.pid, users, members, t.since));
    const [rinkiResult, floorResult] = targets.map((t) => combine(t.target.name, t.rounds));
    report(rinkiResult);
    report(floorResult);

    const round = (n: number) => Math.round(n * 10) / 10;
    log(
      JSON.stringify({
        bench: 'messaging',
        clients: USERS,
        seconds: SECONDS,
        rounds: ROUNDS,
        warmup_s: WARMUP_SECONDS,
        events_per_s: round(rinkiResult.eventsPerS),
        delivered_per_s: round(rinkiResult.deliveredPerS),
        p50_ms: round(rinkiResult.p50),
        p99_ms: round(rinkiResult.p99),
        max_ms: round(rinkiResult.max),
        lost: rinkiResult.lost,
        floor_p50_ms: round(floorResult.p50),
        floor_p99_ms: round(floorResult.p99),
        floor_lost: floorResult.lost,
        ratio_p99: Math.round((rinkiResult.p99 / floorResult.p99) * 100) / 100,
      }),
    );
  } finally {
    for (const c of children) await stop(c);
    // BENCH_KEEP_DB: leave the database behind, to look at its plans and statistics afterwards.
    if (!process.env.BENCH_KEEP_DB) await fresh.drop();
    else log(`kept database ${fresh.url}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
