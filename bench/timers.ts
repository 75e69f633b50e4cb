// npm run bench:timers — durable timers on two nodes: exactly once, and how late.
//
// On a fresh PostgreSQL database with Redis: two node processes each run a
// TimerRunner (the same class every Rinki node runs). The parent schedules
// BENCH_TIMERS timers due evenly within BENCH_SECONDS, starting a few seconds
// ahead, and wakes the runners through the bus as a scheduler in Rinki does.
// Each firing writes a row in the handler's transaction, so a timer fired
// twice would show as a duplicate row. Lateness = firing time - due time.
// The last line printed is one JSON object with the figures.
/* eslint-disable no-console */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openBus } from '../server/src/bus/bus.ts';
import { systemClock } from '../server/src/deps.ts';
import { openDb } from '../server/src/store/db.ts';
import { migrate } from '../server/src/store/migrate.ts';
import { TimerRunner, scheduleTimers, wakeTimerRunners } from '../server/src/timers/timers.ts';
import { freshPgDatabase, REPO_ROOT, TEST_REDIS_URL, tempDir } from '../tests/helpers/env.ts';

const TIMERS = Number(process.env.BENCH_TIMERS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const LEAD_MS = 5000;
const DRAIN_MS = 15_000;
const round = (n: number) => Math.round(n * 10) / 10;

/** A node: one TimerRunner until told to stop on stdin. */
async function node(databaseUrl: string, prefix: string, name: string) {
  const db = await openDb({ databaseUrl, dataDir: tempDir(), poolSize: 4 });
  const bus = await openBus(TEST_REDIS_URL, prefix);
  const runner = new TimerRunner({ db, bus, clock: systemClock, runnerId: name, pollMs: 1000, batchSize: 200 }).register('bench', async (q, timer, ctx) => {
    await q.query('INSERT INTO bench_firings (timer_id, runner, due_at, fired_at) VALUES ($1, $2, $3, clock_timestamp())', [timer.id, ctx.runnerId, timer.dueAt]);
  });
  runner.start();
  console.log('ready');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await runner.stop();
    await bus.close();
    await db.close();
    process.exit(0);
  });
}

async function main() {
  const fresh = await freshPgDatabase();
  const db = await openDb({ databaseUrl: fresh.url, dataDir: tempDir(), poolSize: 4 });
  const prefix = `rinki-bench-${randomBytes(4).toString('hex')}:`;
  const bus = await openBus(TEST_REDIS_URL, prefix);
  try {
    await migrate(db);
    await db.exec('CREATE TABLE bench_firings (timer_id bigint NOT NULL, runner text NOT NULL, due_at timestamptz NOT NULL, fired_at timestamptz NOT NULL)');
    const nodes = ['node-a', 'node-b'].map((name) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/timers.ts', '--node', fresh.url, prefix, name], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
      const ready = new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
      return { child, ready };
    });
    await Promise.all(nodes.map((n) => n.ready));

    const start = Date.now() + LEAD_MS;
    const step = (SECONDS * 1000) / TIMERS;
    for (let i = 0; i < TIMERS; i += 5000) {
      const batch = Array.from({ length: Math.min(5000, TIMERS - i) }, (_, k) => ({ kind: 'bench', dueAt: new Date(start + (i + k) * step), payload: {} }));
      await scheduleTimers(db, batch);
    }
    await wakeTimerRunners(bus, new Date(start));
    console.log(`scheduled ${TIMERS} timers due within ${SECONDS} s on two nodes`);
    await new Promise((r) => setTimeout(r, LEAD_MS + SECONDS * 1000 + DRAIN_MS));
    for (const n of nodes) n.child.stdin!.end();
    await Promise.all(nodes.map((n) => new Promise((r) => n.child.once('exit', r))));

    const [c] = await db.query<{ rows: number; fired: number }>('SELECT count(*)::int AS rows, count(DISTINCT timer_id)::int AS fired FROM bench_firings');
    const [l] = await db.query<{ p50: number; p99: number; max: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
         FROM (SELECT extract(epoch FROM fired_at - due_at) * 1000 AS ms FROM bench_firings) x`,
    );
    const byNode = await db.query<{ runner: string; n: number }>('SELECT runner, count(*)::int AS n FROM bench_firings GROUP BY runner ORDER BY runner');
    console.log(`fired per node: ${byNode.map((r) => `${r.runner} ${r.n}`).join(', ')}`);
    console.log(
      JSON.stringify({
        bench: 'timers',
        timers: TIMERS,
        fired: c.fired,
        duplicates: c.rows - c.fired,
        missed: TIMERS - c.fired,
        p50_ms: round(Number(l.p50)),
        p99_ms: round(Number(l.p99)),
        max_ms: round(Number(l.max)),
        baseline: 'lateness = firing time - due time; target p99 <= 250 ms',
      }),
    );
  } finally {
    await bus.close();
    await db.close();
    await fresh.drop();
  }
}

if (process.argv[2] === '--node') void node(process.argv[3], process.argv[4], process.argv[5]);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
