// npm run bench:soak — one Rinki node through a working day compressed into
// half an hour, watched for what it keeps.
//
// One node (a child process, run as `npm start` runs it, with bench/soak-probe.ts
// loaded beside it) on a fresh PostgreSQL database and a redis-server of the
// bench's own. The directory is the demo one plus SOAK_PEOPLE (2,000)
// caseworkers, half Kela's and half the counties', in teams open around the
// clock (so the day's rings ring whatever the hour the bench runs at), and
// 1.5 clients per caseworker, each handled by a Kela caseworker and followed
// by a county one. Every caseworker signs in through the REST API (a browser
// session: cookie and CSRF token), opens a Socket.IO connection with it, takes
// a Matrix session with m.login.token and refresh tokens as the web app does,
// and holds a /sync long-poll for the whole run.
//
// What a caseworker does in a working day (DAY below) is played in
// DAY_MINUTES (30) of the run, whatever SOAK_MINUTES is: rings to the other
// side about one of their clients (the person rung accepts, declines or lets
// it ring out; an accepted ring opens a conference where both send a few
// encrypted messages and leave), urgent requests worked by the on-call staff,
// callbacks asked, claimed and done, client look-ups (a few of them emergency
// reads), disclosures, busy and away statuses that expire, reloads of the app
// and signing out and in again. Admins read their consoles and the auditor
// the logs all along.
//
// The probe samples the node every 10 s: RSS, heap after a forced full
// collection, event-loop delay, CPU and open handles. After the warm-up
// (SOAK_WARMUP_MINUTES, a third of the run and at most 10 minutes: long enough
// for the node's bounded memories, such as the last 20,000 stream positions,
// to fill) the heap's growth per hour is the slope of a least-squares line
// through the samples. Errors are answers no caseworker should get (5xx, a 4xx
// other than the races named where they are expected), socket errors and
// drops, refused acknowledgements, and error-level lines the node logs.
// SOAK_SNAPSHOT_DIR=dir writes heap snapshots of the node at the end of the
// warm-up and at the end, to compare in DevTools' Memory tab; SOAK_PROFILE_DIR=dir
// a CPU profile of the node.
// The last line printed is one JSON object with the figures.
/* eslint-disable no-console */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { Client, Pool, type Dispatcher } from 'undici';
import type { CallbackView } from '../shared/src/callbacks.ts';
import { fictionalHetu } from '../shared/src/hetu.ts';
import type { RingOfferView, RingRequestView } from '../shared/src/ringing.ts';
import type { UrgentItemView } from '../shared/src/urgent.ts';
import { parseConfig } from '../server/src/config.ts';
import { loadKeys } from '../server/src/crypto/keys.ts';
import { sodium } from '../server/src/crypto/sodium.ts';
import { systemClock } from '../server/src/deps.ts';
import { DEMO_PASSWORD, demoBatch, loadDemoData } from '../server/src/directory/demo-data.ts';
import { importDirectory, type RawBatch } from '../server/src/directory/import.ts';
import { createLogger } from '../server/src/log.ts';
import { openMigratedDb } from '../server/src/store/migrate.ts';
import { freePort, freshPgDatabase, REPO_ROOT, tempDir } from '../tests/helpers/env.ts';
import { OwnRedis } from '../tests/helpers/redis.ts';
import type { ProbeSample } from './soak-probe.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const WARMUP_MINUTES = Number(process.env.SOAK_WARMUP_MINUTES ?? Math.min(10, MINUTES / 3));
const PEOPLE = Number(process.env.SOAK_PEOPLE ?? 2000);
const SAMPLE_MS = 10_000;
/** The working day is played in this many minutes of the run, however long the run is. */
const DAY_MINUTES = 30;
/** What one caseworker does in a working day. */
const DAY = {
  rings: 2,
  urgentRequests: 0.05,
  callbacks: 0.5,
  lookups: 3,
  disclosures: 1,
  statuses: 2,
  reloads: 1,
  signOuts: 0.1,
};
/** Of the rings someone answers: accepted, declined, or left to ring out (the rest). */
const ACCEPT_SHARE = 0.85;
const DECLINE_SHARE = 0.1;
/** Of the rings asked for: the requester gives up after a few seconds. */
const CANCEL_SHARE = 0.03;
const ADMIN_READ_EVERY_MS = 5_000;
const AUDITOR_READ_EVERY_MS = 20_000;
const LOG_VERIFY_EVERY_MS = 5 * 60_000;
const SYNC_TIMEOUT_MS = 30_000;
const COUNTIES = ['eksote', 'keusote', 'pohjanmaa'] as const;
/** The Kela district serving each demo county (demo-data.ts). */
const DISTRICT_OF: Record<string, string> = { eksote: 'kela-etelainen', keusote: 'kela-itainen', pohjanmaa: 'kela-lantinen' };
const TEAMS_PER_ORGANISATION = 10;
const ON_CALL_PER_COUNTY = 10;
const KELA_ON_CALL = 6;
const REQUEST_TYPES = ['lisaselvityspyynto', 'lausuntopyynto', 'konsultaatio'] as const;
const URGENCY_CRITERION = 'no_food_or_medicine';
const EMERGENCY_REASON = 'Asiakas soittaa, kiireellinen tilanne ilman tehtäväsuhdetta';

const log = (...a: unknown[]) => console.log(...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const perSecond = (perPersonDay: number) => (perPersonDay * PEOPLE) / (DAY_MINUTES * 60);

// ---------------------------------------------------------------- the directory

interface SoakClient {
  hetu: string;
  /** The Kela caseworker handling the client's pending application. */
  handler: Person;
  /** The county caseworker who is the client's named worker. */
  worker: Person;
}

/** One per sign-in; a reload restarts its long-poll on a new connection. */
interface MatrixSession {
  userId: string;
  accessToken: string;
  refreshToken: string;
  /** Renew before a request once this is past: a fifth of the token's life before it ends, at most 30 s (renewing-fetch.ts). */
  renewAt: number;
  filterId: string;
  since: string;
  /** The long-poll's own connection. */
  conn: Client;
  /** Which long-poll loop is the live one: stopping one moves it on. */
  loop: number;
  polling: boolean;
}

class Person {
  clients: SoakClient[] = [];
  cookie = '';
  csrf = '';
  socket?: Socket;
  matrix?: MatrixSession;
  /** Flows under way that a reload or a sign-out would cut (a ring asked, a conference, a callback, an urgent item). */
  engaged = 0;
  /** Callbacks this person asked for, still open: they leave the room when it is done. */
  asked = new Set<string>();
  /** Regions whose urgent queue this person works. */
  queues: string[] = [];

  constructor(
    readonly id: string,
    readonly side: 'kela' | 'county',
    readonly organisationId: string,
    readonly onCall: boolean,
  ) {}

  get ready(): boolean {
    return !!this.socket?.connected && !!this.matrix?.polling;
  }
  partnerIn(c: SoakClient): Person {
    return c.handler === this ? c.worker : c.handler;
  }
}

const ALWAYS_OPEN = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]));

/** The caseworkers, their teams and clients, added to the demo directory. */
function soakDirectory(people: number, now: Date): { kela: Person[]; county: Person[]; clients: SoakClient[]; batch: RawBatch } {
  const rows = (list: unknown[]) => list.map((value, i) => ({ line: i + 1, value }));
  const organisations = [...COUNTIES, ...COUNTIES.map((c) => DISTRICT_OF[c])];
  const teams = organisations.flatMap((org) =>
    Array.from({ length: TEAMS_PER_ORGANISATION }, (_, t) => ({
      id: `${org}-soak-${t + 1}`, organisationId: org, nameFi: `Kuormatiimi ${t + 1}`, nameSv: `Belastningsteam ${t + 1}`,
      languages: ['fi'], hours: ALWAYS_OPEN, closedOnHolidays: false,
    })),
  );
  const kela: Person[] = [];
  const county: Person[] = [];
  const staffRows: unknown[] = [];
  const perSide = Math.floor(people / 2);
  for (let i = 0; i < people; i++) {
    const side = i < perSide ? 'kela' : 'county';
    const n = side === 'kela' ? i : i - perSide;
    const home = COUNTIES[n % COUNTIES.length];
    const organisationId = side === 'kela' ? DISTRICT_OF[home] : home;
    const onCall = side === 'kela' ? n < KELA_ON_CALL : n < ON_CALL_PER_COUNTY * COUNTIES.length;
    const id = `soak-${side === 'kela' ? 'k' : 'c'}${String(n).padStart(4, '0')}`;
    const person = new Person(id, side, organisationId, onCall);
    person.queues = !onCall ? [] : side === 'kela' ? [...COUNTIES] : [home];
    (side === 'kela' ? kela : county).push(person);
    staffRows.push({
      id, organisationId, displayName: `Kuorma ${id}`, username: id, password: DEMO_PASSWORD, languages: ['fi'],
      roles: (onCall ? ['caseworker', 'on_call'] : ['caseworker']).map((role) => ({ role, organisationId })),
      teamIds: [`${organisationId}-soak-${1 + (Math.floor(n / COUNTIES.length) % TEAMS_PER_ORGANISATION)}`],
    });
  }
  // Each county's municipalities (the demo's), the Kela caseworkers of its district and its own caseworkers.
  const municipalities = (demoBatch(now).municipalities ?? []).map((r) => r.value as { code: string; countyId: string });
  const of = Object.fromEntries(
    COUNTIES.map((c) => [
      c,
      {
        local: municipalities.filter((m) => m.countyId === c),
        handlers: kela.filter((p) => p.organisationId === DISTRICT_OF[c]),
        workers: county.filter((p) => p.organisationId === c),
      },
    ]),
  );
  const clients: SoakClient[] = [];
  const clientRows: unknown[] = [];
  const clientCount = Math.round(people * 1.5);
  for (let j = 0; j < clientCount; j++) {
    const home = COUNTIES[j % COUNTIES.length];
    const { local, handlers, workers } = of[home];
    const k = Math.floor(j / COUNTIES.length);
    // Born on different days from 1920 on: the demo's clients are born from 1950 on.
    const hetu = fictionalHetu(new Date(Date.UTC(1920, 0, 1) + j * 86_400_000), j);
    // Worker k·stride: each handler's clients have different workers, and every worker has clients.
    const client: SoakClient = { hetu, handler: handlers[k % handlers.length], worker: workers[(k * coprimeStride(workers.length)) % workers.length] };
    clients.push(client);
    client.handler.clients.push(client);
    client.worker.clients.push(client);
    clientRows.push({
      hetu, municipalityCode: local[k % local.length].code, language: 'fi',
      namedWorkers: [{ staffId: client.worker.id, kind: 'omatyontekija' }],
      applications: [{ id: `SOAK-TOTU-${j}`, handlerId: client.handler.id, submittedAt: new Date(now.getTime() - 3 * 86_400_000).toISOString() }],
    });
  }
  const without = [...kela, ...county].find((p) => !p.clients.length);
  if (without) throw new Error(`${without.id} has no clients: SOAK_PEOPLE ${people} is too small`);
  return { kela, county, clients, batch: { teams: rows(teams), staff: rows(staffRows), clients: rows(clientRows) } };
}

/** The first step from 7 up that visits all of 0..n-1 (shares no factor with n). */
function coprimeStride(n: number): number {
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  let step = 7;
  while (gcd(step, n) !== 1) step++;
  return step;
}

// ---------------------------------------------------------------- errors and counts

let errors = 0;
let stopping = false;
const counts: Record<string, number> = {};
const count = (what: string, n = 1) => void (counts[what] = (counts[what] ?? 0) + n);

/** Something a caseworker should never see. Ignored once the bench is shutting the node down. */
function fail(what: string): void {
  if (stopping) return;
  errors++;
  if (errors <= 30) log(`  error: ${what}`);
  else if (errors === 31) log('  (further errors only counted)');
}

const inflight = new Set<Promise<unknown>>();
/** Runs a flow in the background; anything it throws is an error. */
function track(flow: Promise<unknown>): void {
  const p = flow.catch((err: unknown) => fail(`flow failed: ${(err as Error).message}`)).finally(() => inflight.delete(p));
  inflight.add(p);
}

// ---------------------------------------------------------------- HTTP

let BASE = '';
// The load generator shares two cores with the node: undici is several times lighter per request than fetch.
const DISPATCH = { keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 };
let pool: Pool;

interface Answer<T> {
  status: number;
  body: T;
  setCookie: string[];
}

async function request<T>(method: string, urlPath: string, headers: Record<string, string>, body?: unknown, dispatcher: Dispatcher = pool): Promise<Answer<T>> {
  const res = await dispatcher.request({
    origin: BASE,
    path: urlPath,
    method: method as Dispatcher.HttpMethod,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // CSV or HTML
  }
  const cookie = res.headers['set-cookie'];
  return { status: res.statusCode, body: parsed as T, setCookie: cookie === undefined ? [] : Array.isArray(cookie) ? cookie : [cookie] };
}

/** `what` names the call in errors; `expected` are the statuses that are no error (the first 2xx ones mean success). */
function unexpected(what: string, status: number, body: unknown): void {
  fail(`${what} → ${status} ${JSON.stringify(body ?? '').slice(0, 200)}`);
}

/** The REST API as a signed-in browser calls it: the session cookie, and the CSRF token on writes. */
async function api<T = Record<string, unknown>>(p: Person, method: string, urlPath: string, body?: unknown, expected: number[] = []): Promise<Answer<T> | undefined> {
  const headers: Record<string, string> = { cookie: p.cookie };
  if (method !== 'GET') headers['x-csrf-token'] = p.csrf;
  const a = await request<T>(method, urlPath, headers, body);
  count('rest');
  if (a.status >= 200 && a.status < 300) return a;
  if (!expected.includes(a.status)) unexpected(`${method} ${urlPath.split('?')[0]} as ${p.id}`, a.status, a.body);
  return undefined;
}

/** The Matrix client-server API with the person's access token, renewed first when it is due (as the web app's fetch does). */
async function mx<T = Record<string, unknown>>(p: Person, method: string, urlPath: string, body?: unknown): Promise<T | undefined> {
  const m = p.matrix;
  if (!m) return undefined;
  if (Date.now() >= m.renewAt) await renewMatrix(p, m);
  const a = await request<T>(method, `/_matrix/client/v3${urlPath}`, { authorization: `Bearer ${m.accessToken}` }, body);
  count('matrix');
  if (a.status === 200) return a.body;
  unexpected(`Matrix ${method} ${urlPath.replace(/![^/]+/, '!room')} as ${p.id}`, a.status, a.body);
  return undefined;
}

const renewals = new Map<Person, Promise<void>>();
/** One renewal at a time per person; whoever needs it waits for the same one. */
function renewMatrix(p: Person, m: MatrixSession): Promise<void> {
  let r = renewals.get(p);
  if (!r) {
    r = (async () => {
      const a = await request<{ access_token: string; refresh_token: string; expires_in_ms: number }>('POST', '/_matrix/client/v3/refresh', {}, { refresh_token: m.refreshToken });
      count('matrix refresh');
      if (a.status !== 200) return unexpected(`Matrix refresh as ${p.id}`, a.status, a.body);
      setTokens(m, a.body);
    })().finally(() => renewals.delete(p));
    renewals.set(p, r);
  }
  return r;
}

function setTokens(m: Pick<MatrixSession, 'accessToken' | 'refreshToken' | 'renewAt'>, t: { access_token: string; refresh_token: string; expires_in_ms: number }): void {
  m.accessToken = t.access_token;
  m.refreshToken = t.refresh_token;
  m.renewAt = Date.now() + t.expires_in_ms - Math.min(30_000, t.expires_in_ms / 5);
}

// ---------------------------------------------------------------- signing in, the socket, /sync

const SYNC_FILTER = { room: { timeline: { limit: 20 } } };

async function signIn(p: Person): Promise<boolean> {
  // Every account here, the demo's and the soak's, has the demo password; a username is the person's id.
  const login = await request<{ csrfToken: string }>('POST', '/api/auth/login', {}, { username: p.id, password: DEMO_PASSWORD });
  count('sign-in');
  const session = login.setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('rinki_session='));
  if (login.status !== 200 || !session) {
    unexpected(`sign-in of ${p.id}`, login.status, login.body);
    return false;
  }
  p.cookie = session;
  p.csrf = login.body.csrfToken;
  return true;
}

/** The app's Matrix session: a one-time m.login.token from the web session, a new device, refresh tokens. */
async function startMatrix(p: Person): Promise<boolean> {
  const t = await api<{ loginToken: string }>(p, 'POST', '/api/auth/matrix-login-token', {});
  if (!t) return false;
  const login = await request<{ user_id: string; access_token: string; refresh_token: string; expires_in_ms: number }>('POST', '/_matrix/client/v3/login', {}, {
    type: 'm.login.token', token: t.body.loginToken, refresh_token: true, initial_device_display_name: 'Rinki soak',
  });
  count('matrix');
  if (login.status !== 200) {
    unexpected(`Matrix login of ${p.id}`, login.status, login.body);
    return false;
  }
  const m: MatrixSession = { userId: login.body.user_id, accessToken: '', refreshToken: '', renewAt: 0, filterId: '', since: '', conn: syncConnection(), loop: 0, polling: false };
  setTokens(m, login.body);
  p.matrix = m;
  const filter = await mx<{ filter_id: string }>(p, 'POST', `/user/${encodeURIComponent(m.userId)}/filter`, SYNC_FILTER);
  const first = filter && (await mx<{ next_batch: string }>(p, 'GET', `/sync?timeout=0&filter=${filter.filter_id}`));
  if (!filter || !first) return false;
  m.filterId = filter.filter_id;
  m.since = first.next_batch;
  startPolling(p, m);
  return true;
}

function startPolling(p: Person, m: MatrixSession): void {
  m.polling = true;
  track(syncLoop(p, m, m.loop));
}

const syncConnection = () => new Client(BASE, DISPATCH);

/** The person's /sync long-poll, one after another until the session stops (reload, sign-out, the end). */
async function syncLoop(p: Person, m: MatrixSession, loop: number): Promise<void> {
  const live = () => m.loop === loop;
  while (live()) {
    if (Date.now() >= m.renewAt) await renewMatrix(p, m);
    let a: Answer<{ next_batch: string; rooms?: { join?: Record<string, { timeline?: { events?: unknown[] } }> }; errcode?: string; soft_logout?: boolean }>;
    try {
      a = await request('GET', `/_matrix/client/v3/sync?since=${m.since}&timeout=${SYNC_TIMEOUT_MS}&filter=${m.filterId}`, { authorization: `Bearer ${m.accessToken}` }, undefined, m.conn);
    } catch (err) {
      if (live()) fail(`/sync of ${p.id}: ${(err as Error).message}`);
      return;
    }
    count('sync');
    if (a.status === 200) {
      m.since = a.body.next_batch;
      for (const room of Object.values(a.body.rooms?.join ?? {})) count('events synced', room.timeline?.events?.length ?? 0);
    } else if (a.status === 401 && a.body.soft_logout) {
      // Expired while the poll waited: renew and go on, as the web app does.
      await renewMatrix(p, m);
    } else if (live()) {
      unexpected(`/sync of ${p.id}`, a.status, a.body);
      await sleep(1_000);
    }
  }
}

/** Ends the waiting long-poll, as a closed tab does. */
function stopPolling(m: MatrixSession | undefined): void {
  if (!m) return;
  m.loop++;
  m.polling = false;
  void m.conn.destroy();
}

async function connectSocket(p: Person): Promise<boolean> {
  const socket = io(BASE, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { cookie: p.cookie } });
  socket.on('ring:offer', (offer: RingOfferView) => onOffer(p, offer));
  socket.on('ring:offer-ended', (e: { offerId: string }) => offersEnded.add(e.offerId));
  socket.on('ring:progress', (view: RingRequestView) => onProgress(p, view));
  socket.on('callback:changed', (view: CallbackView) => onCallback(p, view));
  socket.on('callback:reminder', () => count('callback reminders'));
  socket.on('callback:overdue', () => count('callbacks overdue'));
  socket.on('urgent:changed', (item: UrgentItemView) => onUrgentItem(p, item));
  socket.on('urgent:escalation', () => count('urgent escalations'));
  socket.on('presence', () => count('presence pushes'));
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('connect_error', (err) => {
      fail(`socket of ${p.id} refused: ${err.message}`);
      resolve(false);
    });
  });
  if (!connected) return false;
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') fail(`socket of ${p.id} dropped: ${reason}`);
  });
  p.socket = socket;
  for (const region of p.queues) if (!(await command(p, 'urgent:subscribe', { region }))) return false;
  return true;
}

/** A Socket.IO command and its acknowledgement (the app sends presence and queue subscriptions this way). */
async function command(p: Person, event: string, payload: unknown): Promise<boolean> {
  const socket = p.socket;
  if (!socket?.connected) return false;
  count('socket commands');
  let ack: { ok: boolean; status?: number; error?: string };
  try {
    // The app waits as long as it takes; a minute without an answer is a lost one.
    ack = await socket.timeout(60_000).emitWithAck(event, payload);
  } catch (err) {
    fail(`${event} of ${p.id}: ${(err as Error).message}`);
    return false;
  }
  if (!ack.ok) fail(`${event} of ${p.id} refused: ${ack.status ?? ''} ${ack.error}`);
  return ack.ok;
}

/** What the app reads over REST after its socket (re)connects: what pushes may have missed. */
async function readAfterConnect(p: Person): Promise<void> {
  await Promise.all([
    api(p, 'GET', '/api/auth/me'),
    api(p, 'GET', '/api/ringing/offers'),
    ...['created', 'team', 'mine'].map((view) => api(p, 'GET', `/api/callbacks?view=${view}`)),
    api(p, 'GET', `/api/concerns?view=${p.side === 'county' ? 'received' : 'sent'}`),
    api(p, 'GET', '/api/ringing/requests'),
  ]);
}

/** Time spent in each step of arriving (ms), summed over everyone: what the morning's sign-in costs. */
const arrivalMs = { signIn: 0, matrix: 0, socket: 0 };

async function arrive(p: Person): Promise<boolean> {
  const timed = async (step: keyof typeof arrivalMs, run: () => Promise<boolean>) => {
    const t0 = performance.now();
    const ok = await run();
    arrivalMs[step] += performance.now() - t0;
    return ok;
  };
  return (await timed('signIn', () => signIn(p))) && (await timed('matrix', () => startMatrix(p))) && (await timed('socket', () => connectSocket(p)));
}

// ---------------------------------------------------------------- rings and conferences

const offersEnded = new Set<string>();
/** Requests whose requester has started (or finished) their side of the conference. */
const conferencing = new Set<string>();
/** Requests asked for and not yet ended, by id: the requester. */
const ringing = new Map<string, Person>();
const FINAL_STATES = new Set(['accepted', 'callback', 'urgent_queue', 'refused', 'cancelled']);

async function ring(p: Person, urgent: boolean): Promise<void> {
  const client = pick(p.clients);
  const requestId = randomUUID();
  p.engaged++;
  ringing.set(requestId, p);
  count(urgent ? 'urgent requests' : 'rings');
  // The new-request view reads the legal bases and the organisations first.
  await Promise.all([api(p, 'GET', '/api/legal-bases'), api(p, 'GET', '/api/organisations')]);
  const started = await api<RingRequestView>(p, 'POST', '/api/ringing/requests', {
    requestId,
    client: { hetu: client.hetu },
    request: urgent ? { type: 'konsultaatio', urgency: 'urgent', criteria: [URGENCY_CRITERION] } : { type: pick(REQUEST_TYPES), urgency: 'normal' },
    basis: 'totul_18',
  });
  if (!started) return requestEnded(requestId);
  onProgress(p, started.body);
  if (!urgent && Math.random() < CANCEL_SHARE) {
    await sleep(between(2_000, 6_000));
    // The person rung may have answered meanwhile: 409.
    if (ringing.has(requestId) && (await api(p, 'POST', `/api/ringing/requests/${requestId}/cancel`, {}, [409]))) count('rings cancelled');
  }
}

function requestEnded(requestId: string): void {
  const requester = ringing.get(requestId);
  if (!requester) return;
  ringing.delete(requestId);
  requester.engaged--;
}

function onProgress(p: Person, view: RingRequestView): void {
  if (view.requester.staffId !== p.id || !FINAL_STATES.has(view.state)) return;
  if (view.state === 'accepted' && view.roomId && !conferencing.has(view.requestId)) {
    conferencing.add(view.requestId);
    count('rings accepted');
    // The requester's side of the conference keeps them engaged until they leave it.
    p.engaged++;
    track(converse(p, view.roomId, true).finally(() => p.engaged--));
  } else if (view.state !== 'accepted') count(`rings ended ${view.state}`);
  requestEnded(view.requestId);
}

function onOffer(p: Person, offer: RingOfferView): void {
  count('offers');
  // Someone deciding about a ring, or in the conference it opened, is not reloading or signing out.
  p.engaged++;
  track(
    (async () => {
      await sleep(between(2_000, 8_000));
      if (offersEnded.delete(offer.offerId)) return;
      const choice = Math.random();
      // 409: the ring ended meanwhile (the requester cancelled, it timed out); the app says "taken".
      if (choice < ACCEPT_SHARE) {
        const accepted = await api<RingRequestView>(p, 'POST', `/api/ringing/offers/${offer.offerId}/accept`, {}, [409]);
        if (!accepted) return count('offers gone before accepted');
        if (!accepted.body.roomId) return fail(`accepted ring ${accepted.body.requestId} has no conference`);
        await converse(p, accepted.body.roomId, false);
      } else if (choice < ACCEPT_SHARE + DECLINE_SHARE) {
        if (await api(p, 'POST', `/api/ringing/offers/${offer.offerId}/decline`, { reason: 'busy_with_client' }, [409])) count('rings declined');
      } else count('rings left to ring out');
    })().finally(() => p.engaged--),
  );
}

/** A fake Megolm message of realistic size: what the server stores and forwards, never reads. */
const ciphertext = () => ({
  algorithm: 'm.megolm.v1.aes-sha2',
  sender_key: randomBytes(32).toString('base64').replace(/=+$/, ''),
  session_id: randomBytes(32).toString('base64').replace(/=+$/, ''),
  device_id: 'SOAK',
  ciphertext: randomBytes(600).toString('base64').replace(/=+$/, ''),
});

/** One side of a conference: join (unless the room is one's own), a few encrypted messages, leave. */
async function converse(p: Person, roomId: string, joined: boolean): Promise<void> {
  const room = encodeURIComponent(roomId);
  if (!joined && !(await mx(p, 'POST', `/join/${room}`, {}))) return;
  const messages = 2 + Math.floor(Math.random() * 3);
  for (let i = 0; i < messages; i++) {
    await sleep(between(3_000, 10_000));
    if (await mx(p, 'PUT', `/rooms/${room}/send/m.room.encrypted/${randomUUID()}`, ciphertext())) count('messages sent');
  }
  await sleep(between(5_000, 15_000));
  if (await mx(p, 'POST', `/rooms/${room}/leave`, {})) count('conferences left');
}

// ---------------------------------------------------------------- callbacks

/** Callbacks someone has taken up, so that only one person works each. */
const takenCallbacks = new Set<string>();

async function askCallback(p: Person): Promise<void> {
  const client = pick(p.clients);
  const now = Date.now();
  const created = await api<CallbackView>(p, 'POST', '/api/callbacks', {
    target: { staffId: p.partnerIn(client).id },
    client: { hetu: client.hetu },
    requestType: pick(REQUEST_TYPES),
    windows: [{ from: new Date(now + 10 * 60_000).toISOString(), to: new Date(now + 40 * 60_000).toISOString() }],
    // Due within the run, so that reminders (15 minutes before) and overdue escalations fire too.
    dueAt: new Date(now + between(20, 60) * 60_000).toISOString(),
  });
  if (created) count('callbacks asked');
}

function onCallback(p: Person, view: CallbackView): void {
  if (view.requester.staffId === p.id) {
    // The requester joined the callback's room when it was opened: they leave it once it is done.
    if (view.state === 'open' && !p.asked.has(view.id)) {
      p.asked.add(view.id);
      p.engaged++;
    } else if ((view.state === 'done' || view.state === 'cancelled') && p.asked.delete(view.id)) {
      track((view.roomId ? mx(p, 'POST', `/rooms/${encodeURIComponent(view.roomId)}/leave`, {}) : Promise.resolve()).finally(() => p.engaged--));
    }
  }
  if (view.state === 'open' && view.target.staffId === p.id && view.roomId && !takenCallbacks.has(view.id)) {
    takenCallbacks.add(view.id);
    p.engaged++;
    track(workCallback(p, view.id).finally(() => p.engaged--));
  }
}

/** The addressee claims the callback, joins its conference, calls the client's worker back, marks it done, leaves. */
async function workCallback(p: Person, id: string): Promise<void> {
  await sleep(between(5_000, 30_000));
  const claimed = await api<CallbackView>(p, 'POST', `/api/callbacks/${id}/claim`, {});
  if (!claimed) return;
  count('callbacks claimed');
  const room = claimed.body.roomId && encodeURIComponent(claimed.body.roomId);
  if (room && !(await mx(p, 'POST', `/join/${room}`, {}))) return;
  await sleep(between(5_000, 20_000));
  if (Math.random() < 0.2) {
    if (!(await api(p, 'POST', `/api/callbacks/${id}/not-reached`, {}))) return;
    count('callbacks not reached');
    await sleep(between(10_000, 30_000));
  }
  if (await api(p, 'POST', `/api/callbacks/${id}/done`, {})) count('callbacks done');
  if (room) await mx(p, 'POST', `/rooms/${room}/leave`, {});
}

// ---------------------------------------------------------------- urgent items

const takenItems = new Set<string>();

function onUrgentItem(p: Person, item: UrgentItemView): void {
  if (item.state !== 'waiting' || takenItems.has(item.id)) return;
  takenItems.add(item.id);
  p.engaged++;
  track(
    (async () => {
      await sleep(between(5_000, 20_000));
      if (!(await api(p, 'POST', `/api/urgent/items/${item.id}/claim`, {}))) return;
      count('urgent items claimed');
      const assessment = Math.random() < 0.1 ? 'not_urgent' : 'urgent';
      if (!(await api(p, 'POST', `/api/urgent/items/${item.id}/assess`, { assessment, criteria: [URGENCY_CRITERION] }))) return;
      await sleep(between(10_000, 30_000));
      if (await api(p, 'POST', `/api/urgent/items/${item.id}/resolve`, {})) count('urgent items resolved');
    })().finally(() => p.engaged--),
  );
}

// ---------------------------------------------------------------- the rest of the day

async function lookUp(p: Person, all: SoakClient[]): Promise<void> {
  if (Math.random() < 0.01) {
    // Break the glass: a client of someone else's, with the reason the auditor will read.
    if (await api(p, 'POST', '/api/clients/lookup', { hetu: pick(all).hetu, purpose: 'emergency', reason: EMERGENCY_REASON })) count('emergency reads');
  } else if (await api(p, 'POST', '/api/clients/lookup', { hetu: pick(p.clients).hetu, purpose: 'case_handling' })) count('look-ups');
}

async function disclose(p: Person): Promise<void> {
  const client = pick(p.clients);
  const body = { client: { hetu: client.hetu }, recipients: [{ staffId: p.partnerIn(client).id }], categories: ['identity'], basis: 'totul_18' };
  if (await api(p, 'POST', '/api/disclosures', body)) count('disclosures');
}

/** Busy or away for a few minutes; the status expires by itself. */
async function setStatus(p: Person): Promise<void> {
  const status = Math.random() < 0.7 ? 'busy' : 'away';
  if (await command(p, 'presence:set', { status, until: Math.round(between(1, 4)) })) count('statuses set');
}

/** The app reloaded: the socket and the long-poll start over (the Matrix session goes on), and the lists are read again. */
async function reload(p: Person): Promise<void> {
  p.engaged++;
  try {
    p.socket?.close();
    const m = p.matrix;
    stopPolling(m);
    await sleep(between(1_000, 3_000));
    if (!(await connectSocket(p))) return;
    await readAfterConnect(p);
    if (m) {
      m.conn = syncConnection();
      startPolling(p, m);
    }
    count('reloads');
  } finally {
    p.engaged--;
  }
}

/** Signing out ends the Matrix device and the web session; signing in again starts both afresh, on a new device. */
async function signOutAndIn(p: Person): Promise<void> {
  p.engaged++;
  try {
    p.socket?.close();
    stopPolling(p.matrix);
    if (p.matrix && !(await mx(p, 'POST', '/logout', {}))) return;
    p.matrix = undefined;
    if (!(await api(p, 'POST', '/api/auth/logout', {}))) return;
    await sleep(between(2_000, 5_000));
    if (await arrive(p)) count('signed out and in');
  } finally {
    p.engaged--;
  }
}

/** The admin consoles, read all day. */
function consoleReads(eksoteAdmin: Person, kelaAdmin: Person): (() => Promise<unknown>)[] {
  const simulation = { client: { kind: 'profile', municipalityCode: '405' }, request: { type: 'konsultaatio', urgency: 'normal' } };
  return [
    () => api(eksoteAdmin, 'GET', '/api/admin/changes?organisationId=eksote'),
    () => api(eksoteAdmin, 'GET', '/api/routing/regions/eksote/rule-sets'),
    () => api(eksoteAdmin, 'GET', '/api/routing/regions/eksote/changes'),
    () => api(eksoteAdmin, 'POST', '/api/routing/regions/eksote/simulate', simulation),
    () => api(eksoteAdmin, 'GET', '/api/staff?organisationId=eksote'),
    () => api(eksoteAdmin, 'GET', '/api/teams?organisationId=eksote'),
    () => api(eksoteAdmin, 'GET', '/api/urgent/regions/eksote/escalation-policy'),
    () => api(eksoteAdmin, 'GET', '/api/urgent/regions/eksote/criteria'),
    () => api(eksoteAdmin, 'GET', '/api/urgent/schedules/eksote-sosiaalipaivystys/calendar'),
    () => api(kelaAdmin, 'GET', '/api/admin/changes?organisationId=kela'),
    () => api(kelaAdmin, 'GET', '/api/routing/regions/kela-etelainen/rule-sets'),
    () => api(kelaAdmin, 'GET', '/api/staff?organisationId=kela-etelainen'),
    () => api(kelaAdmin, 'GET', '/api/legal-bases'),
  ];
}

/** Kela's auditor's views, read all day: emergency reads, log searches, a client's report. */
function auditorReads(auditor: Person, kelaPerson: Person, kelaClient: SoakClient): (() => Promise<unknown>)[] {
  return [
    () => api(auditor, 'GET', '/api/audit/emergency-access'),
    () => api(auditor, 'POST', '/api/disclosures/logs/search', { log: 'access', staffId: kelaPerson.id }),
    () => api(auditor, 'POST', '/api/disclosures/logs/search', { log: 'disclosure', client: { hetu: kelaClient.hetu } }),
    () => api(auditor, 'POST', '/api/disclosures/client-report', { client: { hetu: kelaClient.hetu } }),
  ];
}

/** Runs the reads one after another, one every `everyMs`. */
function readInTurn(reads: (() => Promise<unknown>)[], everyMs: number): NodeJS.Timeout {
  let next = 0;
  return setInterval(() => track(reads[next++ % reads.length]()), everyMs);
}

/** Starts `act` at random moments, `perS` times a second on average, while `running()`. */
function poisson(perS: number, running: () => boolean, act: () => Promise<unknown> | undefined): void {
  if (perS <= 0) return;
  track(
    (async () => {
      while (running()) {
        await sleep(-Math.log(1 - Math.random()) * (1000 / perS));
        if (!running()) break;
        const flow = act();
        if (flow) track(flow);
      }
    })(),
  );
}

// ---------------------------------------------------------------- the node

interface Node {
  child: ChildProcess;
  samples: ProbeSample[];
  onSample?: (s: ProbeSample) => void;
  warnings: number;
}

function startNode(env: Record<string, string>): Node {
  // As `npm start` runs it, plus the probe and the collector it calls; SOAK_PROFILE_DIR: a CPU profile of the node.
  const profile = process.env.SOAK_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.SOAK_PROFILE_DIR)}`] : [];
  const child = spawn(
    process.execPath,
    [...profile, '--expose-gc', '--max-semi-space-size=64', '--import', 'tsx', '--import', path.join(REPO_ROOT, 'bench/soak-probe.ts'), path.join(REPO_ROOT, 'server/src/main.ts')],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  const node: Node = { child, samples: [], warnings: 0 };
  child.on('message', (m: { sample?: ProbeSample }) => {
    if (!m.sample) return;
    node.samples.push(m.sample);
    node.onSample?.(m.sample);
  });
  const lines = (stream: NodeJS.ReadableStream, each: (line: string) => void) => {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      parts.filter(Boolean).forEach(each);
    });
  };
  // LOG_LEVEL=warn: only warnings and errors come out; an error-level line is an error of the run.
  lines(child.stdout!, (line) => {
    let level: number;
    try {
      level = (JSON.parse(line) as { level: number }).level;
    } catch {
      return fail(`node printed: ${line.slice(0, 300)}`);
    }
    if (level >= 50) fail(`node logged: ${line.slice(0, 400)}`);
    else if (level >= 40 && !stopping && ++node.warnings <= 10) log(`  node warned: ${line.slice(0, 300)}`);
  });
  lines(child.stderr!, (line) => fail(`node stderr: ${line.slice(0, 300)}`));
  return node;
}

async function waitUntilUp(node: Node): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    if (node.child.exitCode !== null) throw new Error(`the node exited with ${node.child.exitCode}`);
    try {
      if ((await request('GET', '/healthz', {})).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error('the node did not start');
    await sleep(250);
  }
}

function stopNode(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Slope of the least-squares line through (hours, MB). */
function slopePerHour(points: { at: number; value: number }[]): number {
  if (points.length < 2) return NaN;
  const xs = points.map((p) => p.at / 3_600_000);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = points.reduce((a, p) => a + p.value, 0) / points.length;
  let num = 0;
  let den = 0;
  points.forEach((p, i) => {
    num += (xs[i] - mx) * (p.value - my);
    den += (xs[i] - mx) ** 2;
  });
  return num / den;
}

const handleTotal = (s: ProbeSample) => Object.values(s.handles).reduce((a, b) => a + b, 0);
const handleKinds = (s: ProbeSample) =>
  Object.entries(s.handles)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  log(`bench:soak — ${PEOPLE} caseworkers, a working day in ${DAY_MINUTES} minutes, run for ${MINUTES} minutes (warm-up ${+WARMUP_MINUTES.toFixed(1)}); Node ${process.version}`);
  const redis = await OwnRedis.start();
  const fresh = await freshPgDatabase();
  const dataDir = tempDir('rinki-soak-');
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  pool = new Pool(BASE, { ...DISPATCH, connections: 128 });
  const s = await sodium();
  const key = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const env = {
    PORT: String(port),
    PUBLIC_URL: BASE,
    DATABASE_URL: fresh.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: `rinki-soak-${randomBytes(4).toString('hex')}:`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DEMO_DATA: 'false',
    NODE_NAME: 'soak',
    // Keys from the environment, as in production (the node would warn about a signing key kept beside the data).
    CLIENT_ID_KEY: key(s.randombytes_buf(32)),
    COOKIE_SECRET: key(s.randombytes_buf(32)),
    AUDIT_SIGNING_KEY: key(s.crypto_sign_keypair().privateKey),
    // Everyone signs in from this one address within a minute.
    LOGIN_RATE_LIMIT: '1000000',
    LOGIN_IP_RATE_LIMIT: '1000000',
    SOAK_SAMPLE_MS: String(SAMPLE_MS),
  };
  let node: Node | undefined;
  const people: Person[] = [];
  let cleaning: Promise<void> | undefined;
  // Everything the run made goes, however it ends (an interrupted run included).
  const cleanup = () =>
    (cleaning ??= (async () => {
      stopping = true;
      // The node first: closing 2,000 sockets under it would only make it announce 2,000 departures.
      if (node) await stopNode(node.child);
      for (const p of people) {
        p.socket?.close();
        stopPolling(p.matrix);
      }
      await pool.destroy();
      await fresh.drop();
      await redis.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    // ---- the directory: the demo's, and the soak's caseworkers and clients ----
    let t = Date.now();
    const config = parseConfig(env);
    const { db } = await openMigratedDb(config);
    const keys = await loadKeys(config);
    await loadDemoData({ db, keys, log: createLogger('warn', 'soak-setup'), clock: systemClock });
    const directory = soakDirectory(PEOPLE, new Date());
    // Argon2id at its interactive cost takes a quarter of a second of a core per sign-in here: 2,000 of
    // them would be minutes before the day starts. The soak's accounts carry one hash at the lowest
    // cost instead; signing in goes through the same code.
    const cheapHash = s.crypto_pwhash_str(DEMO_PASSWORD, s.crypto_pwhash_OPSLIMIT_MIN, s.crypto_pwhash_MEMLIMIT_MIN);
    const imported = await importDirectory(db, keys.clientIdKey, directory.batch, { dryRun: false, scope: { kind: 'system' }, hashPassword: async () => cheapHash });
    if (!imported.ok) throw new Error(`the soak directory is invalid: ${JSON.stringify(imported.issues.slice(0, 5))}`);
    await db.query('ANALYZE');
    await db.close();
    log(`directory: demo + ${PEOPLE} caseworkers, ${directory.clients.length} clients (${((Date.now() - t) / 1000).toFixed(1)} s)`);

    // ---- the node ----
    node = startNode(env);
    await waitUntilUp(node);
    const theNode = node;

    // ---- everyone signs in, opens the app's socket and Matrix session ----
    t = Date.now();
    people.push(...directory.kela, ...directory.county);
    const admins = [new Person('eksote.admin', 'county', 'eksote', false), new Person('kela.admin', 'kela', 'kela', false), new Person('auditor', 'kela', 'kela', false)];
    for (const a of admins) if (!(await signIn(a)) || !(await connectSocket(a))) throw new Error(`${a.id} could not sign in`);
    let next = 0;
    let arrived = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < people.length) {
          const p = people[next++];
          if (!(await arrive(p))) throw new Error(`${p.id} could not sign in`);
          if (++arrived % 500 === 0) log(`  ${arrived} signed in (${((Date.now() - t) / 1000).toFixed(0)} s)`);
        }
      }),
    );
    const mean = (ms: number) => (ms / people.length).toFixed(0);
    log(
      `${people.length} caseworkers signed in, with sockets and /sync long-polls (${((Date.now() - t) / 1000).toFixed(1)} s; ` +
        `per person, 16 at a time: sign-in ${mean(arrivalMs.signIn)} ms, Matrix session ${mean(arrivalMs.matrix)} ms, socket ${mean(arrivalMs.socket)} ms)`,
    );
    if (errors) throw new Error(`${errors} errors before the day started`);

    // ---- the day ----
    const startedAt = Date.now();
    const warmEnd = startedAt + WARMUP_MINUTES * 60_000;
    const end = startedAt + MINUTES * 60_000;
    const running = () => Date.now() < end;
    const idle = () => {
      for (let i = 0; i < 20; i++) {
        const p = pick(people);
        if (p.ready && p.engaged === 0) return p;
      }
      return undefined;
    };
    const someone = () => {
      const p = pick(people);
      return p.ready ? p : undefined;
    };
    const whenReady = (act: (p: Person) => Promise<unknown>, who = someone) => () => {
      const p = who();
      return p ? act(p) : undefined;
    };
    poisson(perSecond(DAY.rings), running, whenReady((p) => ring(p, false)));
    poisson(perSecond(DAY.urgentRequests), running, whenReady((p) => ring(p, true)));
    poisson(perSecond(DAY.callbacks), running, whenReady(askCallback));
    poisson(perSecond(DAY.lookups), running, whenReady((p) => lookUp(p, directory.clients)));
    poisson(perSecond(DAY.disclosures), running, whenReady(disclose));
    poisson(perSecond(DAY.statuses), running, whenReady(setStatus));
    poisson(perSecond(DAY.reloads), running, whenReady(reload, idle));
    poisson(perSecond(DAY.signOuts), running, whenReady(signOutAndIn, idle));
    const [eksoteAdmin, kelaAdmin, auditor] = admins;
    const readTimers = [
      readInTurn(consoleReads(eksoteAdmin, kelaAdmin), ADMIN_READ_EVERY_MS),
      readInTurn(auditorReads(auditor, directory.kela[0], directory.kela[0].clients[0]), AUDITOR_READ_EVERY_MS),
      readInTurn(
        ['access', 'disclosure'].map((chain) => () => api(auditor, 'GET', `/api/disclosures/logs/${chain}/verify`)),
        LOG_VERIFY_EVERY_MS,
      ),
    ];

    // ---- watching the node ----
    const ownDelay = monitorEventLoopDelay({ resolution: 10 });
    ownDelay.enable();
    let ownCpu = process.cpuUsage();
    let shown: Record<string, number> = {};
    let measureFrom: number | undefined;
    const snapshotDir = process.env.SOAK_SNAPSHOT_DIR;
    const snapshot = (name: string) => {
      if (!snapshotDir) return;
      fs.mkdirSync(snapshotDir, { recursive: true });
      theNode.child.send({ snapshot: path.resolve(snapshotDir, `${name}.heapsnapshot`) });
    };
    theNode.onSample = (sample) => {
      const now = Date.now();
      if (measureFrom === undefined && now >= warmEnd) {
        measureFrom = theNode.samples.length - 1;
        theNode.child.send({ measure: true });
        snapshot('after-warm-up');
        log(`---- warm-up over: measuring from here ----`);
      }
      const cpu = process.cpuUsage(ownCpu);
      ownCpu = process.cpuUsage();
      const activity = ['rings', 'rings accepted', 'offers', 'messages sent', 'callbacks done', 'urgent items resolved', 'disclosures', 'look-ups', 'reloads', 'sync', 'rest']
        .map((k) => `${k} ${(counts[k] ?? 0) - (shown[k] ?? 0)}`)
        .join(', ');
      shown = { ...counts };
      const elapsed = (now - startedAt) / 1000;
      log(
        `[${Math.floor(elapsed / 60)}:${String(Math.floor(elapsed % 60)).padStart(2, '0')}] heap ${mb(sample.heapUsedBytes)} MB (GC ${sample.gcMs} ms), rss ${mb(sample.rssBytes)} MB, ` +
          `loop p99 ${sample.loop.p99} ms (max ${sample.loop.max}), CPU node ${sample.cpuPercent}% bench ${Math.round((cpu.user + cpu.system) / (SAMPLE_MS * 10))}% (loop p99 ${(ownDelay.percentile(99) / 1e6).toFixed(0)} ms), ` +
          `handles ${handleTotal(sample)}, engaged ${people.filter((p) => p.engaged).length} | ${activity} | errors ${errors}`,
      );
      ownDelay.reset();
    };
    while (running()) await sleep(1_000);
    for (const timer of readTimers) clearInterval(timer);
    // The last sample closes the day; what is still under way is cut off below.
    const ended = theNode.samples.length;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => theNode.samples.length > ended && (clearInterval(check), resolve()), 200);
    });
    snapshot('end');
    if (snapshotDir) await new Promise((resolve) => theNode.child.once('message', resolve));

    // ---- the figures ----
    const measured = theNode.samples.slice(measureFrom ?? 0);
    const first = measured[0];
    const last = measured[measured.length - 1];
    const points = (value: (s: ProbeSample) => number) => measured.map((s) => ({ at: s.at - first.at, value: value(s) }));
    const heapGrowth = slopePerHour(points((s) => s.heapUsedBytes / 1048576));
    const rssGrowth = slopePerHour(points((s) => s.rssBytes / 1048576));
    const loopP99 = last.loopSinceMeasureP99;
    const cpuMean = measured.reduce((a, s) => a + s.cpuPercent, 0) / measured.length;
    log(
      `heap after GC: ${mb(first.heapUsedBytes)} → ${mb(last.heapUsedBytes)} MB, growth ${heapGrowth.toFixed(2)} MB/h (least squares over ${measured.length} samples, ${((last.at - first.at) / 60_000).toFixed(1)} min); ` +
        `rss ${mb(first.rssBytes)} → ${mb(last.rssBytes)} MB (${rssGrowth.toFixed(1)} MB/h); external ${mb(first.externalBytes)} → ${mb(last.externalBytes)} MB`,
    );
    log(`handles: ${handleTotal(first)} → ${handleTotal(last)} (${handleKinds(last)})`);
    log(`event-loop delay p99 ${loopP99} ms over the measured period; node CPU ${cpuMean.toFixed(0)}% of a core on average; node warnings ${theNode.warnings}`);
    log(
      `the day: ${Object.entries(counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    const result = {
      bench: 'soak',
      minutes: MINUTES,
      rss_start_mb: mb(first.rssBytes),
      rss_end_mb: mb(last.rssBytes),
      heap_growth_mb_per_h: Math.round(heapGrowth * 100) / 100,
      loop_delay_p99_ms: loopP99,
      errors,
      caseworkers: PEOPLE,
      warmup_minutes: WARMUP_MINUTES,
      heap_start_mb: mb(first.heapUsedBytes),
      heap_end_mb: mb(last.heapUsedBytes),
      handles_start: handleTotal(first),
      handles_end: handleTotal(last),
    };
    await cleanup();
    log(JSON.stringify(result));
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
