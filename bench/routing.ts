// npm run bench:routing — routing decisions against a national-scale directory,
// their floor, and the accept race across two nodes.
//
// On a fresh PostgreSQL database: 1,000,000 client records, 20,000 staff,
// 23 regional rule sets (18 counties, 5 Kela districts) with 200 filters in
// all, ~3 % of staff absent with stand-ins, presence 70 % available / 10 % busy
// / 20 % offline. Resolves BENCH_DECISIONS routing decisions as a live ring
// does (client record, rule set, filter match, the first step's candidate list
// with the explanation) and, as the floor, fetches the same clients' rows by
// primary key alone. The two take turns: BENCH_ROUNDS rounds, each of
// BENCH_DECISIONS / BENCH_ROUNDS decisions and then the floor for the same
// clients, so that a busy spell of the machine falls on either alike; each
// round prints its figures. Then two in-process Rinki nodes (PostgreSQL +
// Redis) race to accept the same request BENCH_RACE_TRIALS times.
// The last line printed is one JSON object with the figures.
/* eslint-disable no-console */
import { randomBytes, randomUUID } from 'node:crypto';
import type { RuleSet } from '../shared/src/routing.ts';
import type { Presence } from '../server/src/realtime/presence.ts';
import { issueToken } from '../server/src/auth/tokens.ts';
import { parseConfig } from '../server/src/config.ts';
import { readClientRecord } from '../server/src/directory/repository.ts';
import { DirectoryCache } from '../server/src/directory/snapshot.ts';
import { startRinki } from '../server/src/rinki.ts';
import { RuleSetCache } from '../server/src/routing/rule-cache.ts';
import { decide } from '../server/src/routing/decide.ts';
import * as rules from '../server/src/routing/repository.ts';
import { openDb } from '../server/src/store/db.ts';
import { migrate } from '../server/src/store/migrate.ts';
import { createLogger } from '../server/src/log.ts';
import { freshPgDatabase, tempDir, TEST_REDIS_URL } from '../tests/helpers/env.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1_000_000);
const STAFF = Number(process.env.BENCH_STAFF ?? 20_000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 100_000);
/** Decisions and floor take turns: ROUNDS rounds of DECISIONS / ROUNDS each. */
const ROUNDS = Math.max(1, Math.min(DECISIONS, Number(process.env.BENCH_ROUNDS ?? 5)));
const RACE_TRIALS = Number(process.env.BENCH_RACE_TRIALS ?? 1000);
const COUNTIES = 18;
const DISTRICTS = 5;
const MUNICIPALITIES = 300;
const TEAMS_PER_ORG = 12;
const FILTERS = 200;
/** Wednesday 18 November 2026, 10:00 in Helsinki: offices open. */
const AT = new Date('2026-11-18T08:00:00Z');

const log = (...a: unknown[]) => console.log(...a);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (n: number) => Math.round(n * 1000) / 1000;

/** p50 and p99 of decisions and floor (times in ms) and the ratio of their p99s. */
function figuresOf(times: number[], floor: number[]) {
  const t = [...times].sort((a, b) => a - b);
  const f = [...floor].sort((a, b) => a - b);
  const figures = {
    p50_ms: round(percentile(t, 50)),
    p99_ms: round(percentile(t, 99)),
    floor_p50_ms: round(percentile(f, 50)),
    floor_p99_ms: round(percentile(f, 99)),
  };
  return { ...figures, ratio_p99: round(figures.p99_ms / figures.floor_p99_ms) };
}

/** A small deterministic generator, so every run builds the same directory. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function buildDirectory(db: Awaited<ReturnType<typeof openDb>>) {
  const weekdays = JSON.stringify(Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['08:00', '16:00']]])));
  await db.exec(`
    INSERT INTO organisations (id, kind, name_fi, name_sv) VALUES ('kela', 'kela', 'Kela', 'FPA');
    INSERT INTO organisations (id, kind, parent_id, name_fi, name_sv)
      SELECT 'kela-d' || i, 'kela_district', 'kela', 'Vakuutuspiiri ' || i, 'Försäkringsdistrikt ' || i FROM generate_series(1, ${DISTRICTS}) i;
    INSERT INTO organisations (id, kind, name_fi, name_sv)
      SELECT 'county-' || i, 'county', 'Hyvinvointialue ' || i, 'Välfärdsområde ' || i FROM generate_series(1, ${COUNTIES}) i;
    INSERT INTO municipalities (code, name_fi, name_sv, county_id)
      SELECT lpad(i::text, 3, '0'), 'Kunta ' || i, 'Kommun ' || i, 'county-' || (1 + i % ${COUNTIES}) FROM generate_series(1, ${MUNICIPALITIES}) i;
    INSERT INTO teams (id, organisation_id, name_fi, name_sv, languages, segments, hours)
      SELECT o.id || '-t' || t, o.id, 'Tiimi ' || t, 'Team ' || t,
             CASE WHEN t = 1 THEN '{sv}'::text[] ELSE '{fi}'::text[] END,
             CASE WHEN t = 2 THEN '{kansainvalinen}'::text[] ELSE '{}'::text[] END, '${weekdays}'::jsonb
        FROM organisations o, generate_series(1, ${TEAMS_PER_ORG}) t WHERE o.kind <> 'kela';
    -- Staff spread over the 23 organisations; Kela districts hold half of them.
    INSERT INTO staff (id, organisation_id, display_name, languages)
      SELECT 's' || i,
             CASE WHEN i % 2 = 0 THEN 'kela-d' || (1 + i % ${DISTRICTS}) ELSE 'county-' || (1 + i % ${COUNTIES}) END,
             'Henkilö ' || i, CASE WHEN i % 10 = 0 THEN '{fi,sv}'::text[] ELSE '{fi}'::text[] END
        FROM generate_series(1, ${STAFF}) i;
    INSERT INTO staff_roles (staff_id, role, organisation_id)
      SELECT id, CASE WHEN substr(id, 2)::int % 50 = 1 THEN 'liaison' ELSE 'caseworker' END, organisation_id FROM staff;
    INSERT INTO team_members (team_id, staff_id)
      SELECT organisation_id || '-t' || (1 + (substr(id, 2)::int / 46) % ${TEAMS_PER_ORG}), id FROM staff;
    INSERT INTO municipality_contacts (municipality_code, staff_id, kind)
      SELECT m.code, s.id, 'liaison' FROM municipalities m JOIN LATERAL (
        SELECT id FROM staff WHERE organisation_id = 'kela-d' || (1 + m.code::int % ${DISTRICTS}) ORDER BY id LIMIT 2) s ON true;
    -- ~3 % absent, each with a stand-in from the same organisation.
    INSERT INTO absences (id, staff_id, starts_at, ends_at, stand_in_id, reason)
      SELECT 'a' || s.id, s.id, '2026-11-01', '2026-12-31',
             (SELECT id FROM staff x WHERE x.organisation_id = s.organisation_id AND x.id <> s.id ORDER BY x.id LIMIT 1), 'leave'
        FROM staff s WHERE substr(s.id, 2)::int % 33 = 0;
    INSERT INTO clients (id, hetu_hash, municipality_code, language, non_disclosure)
      SELECT 'c' || i, decode(md5('h' || i) || md5('k' || i), 'hex'), lpad((1 + i % ${MUNICIPALITIES})::text, 3, '0'),
             CASE WHEN i % 20 = 0 THEN 'sv' ELSE 'fi' END, i % 200 = 0
        FROM generate_series(1, ${CLIENTS}) i;
    -- 30 % have a pending application with a Kela handler, 30 % a named county worker.
    INSERT INTO kela_applications (id, client_id, status, handler_id, submitted_at)
      SELECT 'app' || i, 'c' || i, 'pending', 's' || (2 * (1 + i % (${STAFF} / 2))), '2026-11-01' FROM generate_series(1, ${CLIENTS}) i WHERE i % 10 < 3;
    INSERT INTO client_named_workers (client_id, staff_id, kind)
      SELECT 'c' || i, 's' || (2 * (i % (${STAFF} / 2)) + 1), 'omatyontekija' FROM generate_series(1, ${CLIENTS}) i WHERE i % 10 BETWEEN 3 AND 5;
    ANALYZE;
  `);
}

/** 200 filters over 23 regions: specific matches first, a catch-all last. */
function ruleSets(): RuleSet[] {
  const regions = [...Array.from({ length: COUNTIES }, (_, i) => `county-${i + 1}`), ...Array.from({ length: DISTRICTS }, (_, i) => `kela-d${i + 1}`)];
  const perRegion = Math.floor(FILTERS / regions.length);
  let extra = FILTERS - perRegion * regions.length;
  return regions.map((region) => {
    const n = perRegion + (extra-- > 0 ? 1 : 0);
    const team = (t: number) => `${region}-t${t}`;
    const filters: RuleSet['filters'] = [
      {
        id: 'turvakielto', name: 'Turvakielto', match: { nonDisclosure: true },
        steps: [{ id: 'central', select: { team: team(3) }, strategy: 'simultaneous', ringTimeoutSeconds: 60 }],
        final: { action: 'callback', dueWorkingDays: 1, ownerTeamId: team(3) },
      },
      {
        id: 'svenska', name: 'Svenska', match: { languages: ['sv'] },
        steps: [
          { id: 'handler', select: { relation: 'application_handler' }, strategy: 'serial', ringTimeoutSeconds: 30, constraints: { language: 'client' } },
          { id: 'team-sv', select: { team: team(1) }, strategy: 'longest_idle', ringTimeoutSeconds: 60 },
        ],
      },
    ];
    for (let i = 0; filters.length < n - 1; i++) {
      filters.push({
        id: `f${i}`, name: `Suodatin ${i}`,
        match: i % 2 === 0 ? { requestTypes: ['paatostieto'], urgency: 'normal' } : { municipalities: [String(900 + i).padStart(3, '0')] },
        steps: [{ id: 'team', select: { team: team(4 + (i % 8)) }, strategy: 'round_robin', ringTimeoutSeconds: 45 }],
      });
    }
    filters.push({
      id: 'main', name: 'Kaikki', match: {},
      steps: [
        { id: 'handler', select: { relation: 'application_handler' }, strategy: 'serial', ringTimeoutSeconds: 30 },
        { id: 'named', select: { relation: 'named_worker' }, strategy: 'serial', ringTimeoutSeconds: 30 },
        { id: 'liaison', select: { relation: 'municipality_liaison' }, strategy: 'simultaneous', ringTimeoutSeconds: 60 },
        { id: 'team', select: { team: team(2) }, strategy: 'simultaneous', ringTimeoutSeconds: 60 },
      ],
      final: { action: 'callback', dueWorkingDays: 1, ownerTeamId: team(2) },
    });
    return { region, filters };
  });
}

async function main() {
  const fresh = await freshPgDatabase();
  const db = await openDb({ databaseUrl: fresh.url, dataDir: tempDir(), poolSize: 4 });
  try {
    await migrate(db);
    const t = Date.now();
    await buildDirectory(db);
    log(`directory: ${CLIENTS} clients, ${STAFF} staff in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    let filters = 0;
    for (const body of ruleSets()) {
      filters += body.filters.length;
      await db.tx(async (q) => {
        const v = await rules.createDraft(q, { region: body.region, body, actorId: 's1', at: AT });
        await rules.publishDraft(q, { region: body.region, version: v.version, actorId: 's1', at: AT });
      });
    }
    log(`rule sets: 23 regions, ${filters} filters`);

    const random = prng(42);
    const presence = new Map<string, Presence>();
    for (let i = 1; i <= STAFF; i++) {
      const r = random();
      presence.set(`s${i}`, { status: r < 0.7 ? 'available' : r < 0.8 ? 'busy' : 'offline', until: null } as Presence);
    }
    const presenceLookup = async (ids: string[]) => new Map(ids.map((id) => [id, presence.get(id) ?? ({ status: 'offline', until: null } as Presence)]));
    const cache = new RuleSetCache(db);
    const types = ['konsultaatio', 'lisaselvityspyynto', 'lausuntopyynto', 'paatostieto'] as const;
    const sample = Array.from({ length: DECISIONS }, () => 1 + Math.floor(random() * CLIENTS));

    const directories = new DirectoryCache(db);
    const one = async (i: number, n: number) => {
      // One round trip: the client's rows and the directory's version; the rest is in memory.
      const { client, directory } = (await readClientRecord(db, directories, `c${n}`))!;
      const kela = i % 2 === 0;
      const requester = kela ? { staffId: 's2', organisationId: 'kela-d1', organisationKind: 'kela' as const } : { staffId: 's1', organisationId: client.county.id, organisationKind: 'county' as const };
      const ruleSet = await cache.forClient(db, client, requester.organisationKind, AT);
      return decide({ directory, presence: presenceLookup, ruleSetVersion: ruleSet.version, stopAtFirstRinging: true }, ruleSet.body, { type: types[i % types.length], urgency: 'normal', requester }, client, AT);
    };
    const floorRead = (n: number) => db.query('SELECT * FROM clients WHERE id = $1', [`c${n}`]);
    // Warm-up: the same work, not measured (JIT, plan cache, connections).
    for (let i = 0; i < 2000; i++) await one(i, sample[i]);
    for (let i = 0; i < 2000; i++) await floorRead(sample[i]);

    // Decisions and floor take turns, a round of each over the same clients, so
    // that whatever else the machine does meanwhile falls on both alike.
    const perRound = Math.ceil(DECISIONS / ROUNDS);
    const times: number[] = [];
    const floor: number[] = [];
    const roundsRatioP99: number[] = [];
    const outcomes: Record<string, number> = {};
    for (let r = 0; r < ROUNDS; r++) {
      const from = r * perRound;
      const to = Math.min(DECISIONS, from + perRound);
      const roundTimes: number[] = [];
      const roundFloor: number[] = [];
      for (let i = from; i < to; i++) {
        const start = performance.now();
        const d = await one(i, sample[i]);
        roundTimes.push(performance.now() - start);
        outcomes[d.outcome] = (outcomes[d.outcome] ?? 0) + 1;
      }
      for (let i = from; i < to; i++) {
        const start = performance.now();
        await floorRead(sample[i]);
        roundFloor.push(performance.now() - start);
      }
      const f = figuresOf(roundTimes, roundFloor);
      roundsRatioP99.push(f.ratio_p99);
      log(`round ${r + 1}/${ROUNDS}: ${to - from} decisions p50 ${f.p50_ms} ms, p99 ${f.p99_ms} ms; floor p50 ${f.floor_p50_ms} ms, p99 ${f.floor_p99_ms} ms; ratio_p99 ${f.ratio_p99}`);
      times.push(...roundTimes);
      floor.push(...roundFloor);
    }
    const figures = figuresOf(times, floor);
    log(`decisions: ${DECISIONS} in ${(times.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s of their own, outcomes ${JSON.stringify(outcomes)}`);
    log(`all rounds: decision p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms; floor p50 ${figures.floor_p50_ms} ms, p99 ${figures.floor_p99_ms} ms`);

    const race = await acceptRace(fresh.url);
    log(`accept race: ${race.trials} trials, ${race.doubleWins} double wins, ${race.noWins} without a winner`);
    console.log(
      JSON.stringify({
        bench: 'routing',
        decisions: DECISIONS,
        ...figures,
        rounds: ROUNDS,
        rounds_ratio_p99: roundsRatioP99,
        worst_ratio_p99: Math.max(...roundsRatioP99),
        race_trials: race.trials,
        race_double_wins: race.doubleWins,
        baseline: 'floor = the same clients fetched by primary key alone',
      }),
    );
  } finally {
    await db.close();
    await fresh.drop();
  }
}

/** Two Rinki nodes on the same database and Redis; two people accept one request at the same moment. */
async function acceptRace(databaseUrl: string): Promise<{ trials: number; doubleWins: number; noWins: number }> {
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `rinki-bench-${randomBytes(4).toString('hex')}:`, PORT: '0', DEMO_DATA: 'false', LOG_LEVEL: 'silent' };
  const nodes = [await startRinki(parseConfig({ ...env, DATA_DIR: tempDir() }), { log: createLogger('silent', 'a') }), await startRinki(parseConfig({ ...env, DATA_DIR: tempDir() }), { log: createLogger('silent', 'b') })];
  try {
    const db = nodes[0].deps.db;
    const people = ['s2', 's4'];
    const tokens = await Promise.all(people.map(async (p) => (await issueToken(db, { staffId: p, kind: 'api' })).token));
    let doubleWins = 0;
    let noWins = 0;
    for (let i = 0; i < RACE_TRIALS; i++) {
      const requestId = randomUUID();
      const offers = [randomUUID(), randomUUID()];
      await db.tx(async (q) => {
        await q.query(
          `INSERT INTO routing_requests (id, requester_id, requester_organisation_id, requester_organisation_kind, client_id, request_type, urgency,
             basis, state, rule_set_region, final, created_at)
           VALUES ($1, 's1', 'county-2', 'county', 'c1', 'konsultaatio', 'normal', 'totul_18', 'ringing', 'county-2', '{"action":"callback","explanation":{"key":"x"}}', now())`,
          [requestId],
        );
        for (const [k, p] of people.entries())
          await q.query(`INSERT INTO ring_offers (id, request_id, staff_id, step_id, round, state, offered_at, expires_at) VALUES ($1, $2, $3, 'team', 1, 'ringing', now(), now() + interval '1 minute')`, [offers[k], requestId, p]);
      });
      const statuses = await Promise.all(
        nodes.map((n, k) => fetch(`${n.url}/api/ringing/offers/${offers[k]}/accept`, { method: 'POST', headers: { authorization: `Bearer ${tokens[k]}` } }).then((r) => r.status)),
      );
      const wins = statuses.filter((s) => s === 200).length;
      if (wins > 1) doubleWins++;
      if (wins === 0) noWins++;
    }
    return { trials: RACE_TRIALS, doubleWins, noWins };
  } finally {
    for (const n of nodes) await n.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
