import { expect } from 'chai';
import { freshPgDatabase, STORE_KINDS, tempDir, testDb } from '../../../tests/helpers/env.ts';
import { openBus } from '../bus/bus.ts';
import { systemClock, type Clock } from '../deps.ts';
import { openDb, type Db, type Queryable } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { cancelTimer, scheduleTimer, scheduleTimers, TimerRunner, wakeTimerRunners, type TimerHandler } from './timers.ts';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const T0 = new Date('2026-03-02T08:00:00Z');

async function makeFiringsTable(q: Queryable) {
  await q.exec('CREATE TABLE IF NOT EXISTS test_firings (timer_id bigint NOT NULL, runner_id text NOT NULL, value text)');
}

/** A handler that records each firing in test_firings, in the runner's transaction. */
const recordFiring: TimerHandler = async (q, timer, ctx) => {
  await q.query('INSERT INTO test_firings (timer_id, runner_id, value) VALUES ($1, $2, $3)', [timer.id, ctx.runnerId, String(timer.payload.value ?? '')]);
};

async function firings(db: Db) {
  return db.query<{ timer_id: number; runner_id: string; value: string }>('SELECT * FROM test_firings ORDER BY timer_id');
}

for (const kind of STORE_KINDS) {
  describe(`timers on ${kind}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let clock: ManualClock;
    beforeEach(async () => {
      ({ db, cleanup } = await testDb(kind));
      await makeFiringsTable(db);
      clock = new ManualClock(T0.getTime());
    });
    afterEach(() => cleanup());

    it('fires a timer once it is due, exactly once, and survives a new runner instance', async () => {
      const id = await scheduleTimer(db, { kind: 'test', dueAt: new Date(T0.getTime() + 60_000), payload: { value: 'a' } });
      const first = new TimerRunner({ db, clock, runnerId: 'first' }).register('test', recordFiring);
      expect(await first.tick()).to.equal(0);
      clock.advance(59_999);
      expect(await first.tick()).to.equal(0);
      // "restart": the first runner is gone; a new instance finds the timer in the table
      const second = new TimerRunner({ db, clock, runnerId: 'second' }).register('test', recordFiring);
      clock.advance(1);
      expect(await second.tick()).to.equal(1);
      expect(await second.tick()).to.equal(0);
      expect(await first.tick()).to.equal(0);
      expect(await firings(db)).to.deep.equal([{ timer_id: id, runner_id: 'second', value: 'a' }]);
      const [row] = await db.query<{ fired_by: string; outcome: string; attempts: number }>('SELECT fired_by, outcome, attempts FROM timers WHERE id = $1', [id]);
      expect(row).to.deep.equal({ fired_by: 'second', outcome: 'fired', attempts: 1 });
    });

    it('is idempotent by key, and a cancelled timer never fires', async () => {
      const a = await scheduleTimer(db, { kind: 'test', dueAt: T0, key: 'k1', payload: { value: 'first' } });
      const again = await scheduleTimer(db, { kind: 'test', dueAt: new Date(T0.getTime() + 5000), key: 'k1', payload: { value: 'second' } });
      expect(again).to.equal(a);
      const b = await scheduleTimer(db, { kind: 'test', dueAt: T0, key: 'k2' });
      expect(await cancelTimer(db, b)).to.equal(true);
      expect(await cancelTimer(db, b)).to.equal(false);
      const runner = new TimerRunner({ db, clock }).register('test', recordFiring);
      expect(await runner.tick()).to.equal(1);
      expect((await firings(db)).map((f) => f.value)).to.deep.equal(['first']);
      expect(await cancelTimer(db, a)).to.equal(false); // already fired
      // a cancelled key may be used again
      const c = await scheduleTimer(db, { kind: 'test', dueAt: T0, key: 'k2' });
      expect(c).to.not.equal(b);
    });

    it('refuses a bad spec with a clear message and writes nothing', async () => {
      let err: unknown;
      try {
        await scheduleTimer(db, { kind: 'test', dueAt: new Date('nonsense') });
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/dueAt must be a valid Date/);
      try {
        await scheduleTimer(db, { kind: '', dueAt: T0 });
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/kind must be/);
      expect(await db.query('SELECT * FROM timers')).to.have.length(0);
    });

    it('rolls back a failing handler with its timer, retries later, gives up after maxAttempts; others still fire', async () => {
      let effects = 0;
      let failuresLeft = 1;
      const flaky: TimerHandler = async (q, timer, ctx) => {
        await recordFiring(q, timer, ctx);
        ctx.afterCommit(() => effects++);
        if (timer.payload.value === 'bad') throw new Error('always fails');
        if (timer.payload.value === 'flaky' && failuresLeft-- > 0) throw new Error('fails once');
      };
      await scheduleTimers(db, [
        { kind: 'test', dueAt: T0, payload: { value: 'good' } },
        { kind: 'test', dueAt: T0, payload: { value: 'bad' } },
        { kind: 'test', dueAt: T0, payload: { value: 'flaky' } },
      ]);
      const runner = new TimerRunner({ db, clock, maxAttempts: 2, retryBaseMs: 1000 }).register('test', flaky);
      expect(await runner.tick()).to.equal(1);
      // the bad and flaky ones' writes were rolled back; their effects never ran
      expect((await firings(db)).map((f) => f.value)).to.deep.equal(['good']);
      expect(effects).to.equal(1);
      clock.advance(1000);
      expect(await runner.tick()).to.equal(1); // flaky now succeeds, bad fails its 2nd attempt and is given up
      expect((await firings(db)).map((f) => f.value).sort()).to.deep.equal(['flaky', 'good']);
      const rows = await db.query<{ payload: { value: string }; outcome: string; attempts: number; last_error: string | null }>(
        'SELECT payload, outcome, attempts, last_error FROM timers ORDER BY id',
      );
      expect(rows.map((r) => [r.payload.value, r.outcome, r.attempts])).to.deep.equal([
        ['good', 'fired', 1],
        ['bad', 'failed', 2],
        ['flaky', 'fired', 2],
      ]);
      expect(rows[1].last_error).to.equal('always fails');
      clock.advance(3_600_000);
      expect(await runner.tick()).to.equal(0);
    });

    it('leaves timers of kinds it has no handler for to other runners', async () => {
      await scheduleTimer(db, { kind: 'other', dueAt: T0 });
      await scheduleTimer(db, { kind: 'test', dueAt: T0 });
      const runner = new TimerRunner({ db, clock, batchSize: 1 }).register('test', recordFiring);
      expect(await runner.tick()).to.equal(1);
      const other = new TimerRunner({ db, clock }).register('other', recordFiring);
      expect(await other.tick()).to.equal(1);
    });

    it('two runners on one database fire 1,000 timers due at once exactly once', async function () {
      this.timeout(120_000);
      let second: Db = db;
      let drop: (() => Promise<void>) | undefined;
      if (kind === 'postgres') {
        // a second pool on a fresh database shared by both runners
        const fresh = await freshPgDatabase();
        const a = await openDb({ databaseUrl: fresh.url, dataDir: tempDir(), poolSize: 4 });
        await migrate(a);
        await makeFiringsTable(a);
        second = await openDb({ databaseUrl: fresh.url, dataDir: tempDir(), poolSize: 4 });
        await cleanup();
        db = a;
        cleanup = async () => {
          await a.close();
          await second.close();
          await drop?.();
        };
        drop = fresh.drop;
      }
      const specs = Array.from({ length: 1000 }, (_, i) => ({ kind: 'test', dueAt: T0, payload: { value: String(i) } }));
      await scheduleTimers(db, specs);
      const r1 = new TimerRunner({ db, clock, runnerId: 'r1', batchSize: 25, concurrency: 3 }).register('test', recordFiring);
      const r2 = new TimerRunner({ db: second, clock, runnerId: 'r2', batchSize: 25, concurrency: 3 }).register('test', recordFiring);
      const [n1, n2] = await Promise.all([r1.tick(), r2.tick()]);
      expect(n1 + n2).to.equal(1000);
      const rows = await firings(db);
      expect(rows).to.have.length(1000);
      expect(new Set(rows.map((r) => r.timer_id)).size).to.equal(1000);
      expect(new Set(rows.map((r) => r.value)).size).to.equal(1000);
      const byRunner = await db.query<{ fired_by: string; n: number }>("SELECT fired_by, count(*)::int AS n FROM timers WHERE outcome = 'fired' GROUP BY fired_by");
      expect(byRunner.reduce((a, r) => a + r.n, 0)).to.equal(1000);
      for (const r of rows) expect(r.runner_id).to.be.oneOf(['r1', 'r2']);
      expect(await r1.tick()).to.equal(0);
      expect(await r2.tick()).to.equal(0);
    });
  });
}

describe('timer runner loop', () => {
  it('sleeps until woken through the bus when a sooner timer is scheduled', async () => {
    const { db, cleanup } = await testDb('pglite');
    const bus = await openBus(undefined);
    try {
      await makeFiringsTable(db);
      // a long poll interval: only the wake-up can make the runner fire soon
      const runner = new TimerRunner({ db, bus, clock: systemClock, pollMs: 3_600_000 }).register('test', recordFiring);
      runner.start();
      await new Promise((r) => setTimeout(r, 50));
      const dueAt = new Date();
      await scheduleTimer(db, { kind: 'test', dueAt, payload: { value: 'woken' } });
      await wakeTimerRunners(bus, dueAt);
      for (let i = 0; i < 500 && (await firings(db)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await runner.stop();
      expect((await firings(db)).map((f) => f.value)).to.deep.equal(['woken']);
    } finally {
      await bus.close();
      await cleanup();
    }
  });
});
