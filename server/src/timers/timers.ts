// Durable timers: rows in `timers`, fired by a TimerRunner on every node.
//
// Generic infrastructure (escalations, callback due times, feedback reminders),
// so it lives beside store/ and bus/ rather than inside one capability.
//
// Exactly-once: a runner claims due rows with FOR UPDATE SKIP LOCKED and marks
// them fired in the same transaction as the handlers' writes. Effects outside
// the database (socket pushes) go through ctx.afterCommit, so they run only
// when those writes are committed. Restarts lose nothing: the table is the state.
import { randomBytes } from 'node:crypto';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../deps.ts';
import type { Logger } from '../log.ts';
import type { Db, Queryable } from '../store/db.ts';

export interface TimerSpec {
  kind: string;
  dueAt: Date;
  payload?: Record<string, unknown>;
  /** Idempotency key: scheduling a key that exists returns the existing timer. */
  key?: string;
}

export interface FiredTimer {
  id: number;
  kind: string;
  dueAt: Date;
  payload: Record<string, unknown>;
  /** Earlier failed attempts. */
  attempts: number;
}

export interface TimerContext {
  /** The runner clock's "now" for this batch. */
  now: Date;
  runnerId: string;
  /** Runs after the transaction commits; never when it rolls back. */
  afterCommit(fn: () => unknown): void;
  /** Schedules a follow-up timer in the same transaction and wakes runners after commit. */
  schedule(spec: TimerSpec): Promise<number>;
}

export type TimerHandler = (q: Queryable, timer: FiredTimer, ctx: TimerContext) => Promise<void>;

export const TIMER_WAKE_CHANNEL = 'timers:wake';

const MAX_KIND = 100;

function checkSpec(spec: TimerSpec): void {
  if (!spec.kind || spec.kind.length > MAX_KIND) throw new Error('timer kind must be 1–100 characters');
  if (!(spec.dueAt instanceof Date) || Number.isNaN(spec.dueAt.getTime())) throw new Error('timer dueAt must be a valid Date');
}

/** Schedules a timer; with a key that already exists, returns that timer's id unchanged. */
export async function scheduleTimer(q: Queryable, spec: TimerSpec): Promise<number> {
  checkSpec(spec);
  const params = [spec.kind, spec.key ?? null, spec.dueAt, JSON.stringify(spec.payload ?? {})];
  const [row] = await q.query<{ id: number }>(
    `INSERT INTO timers (kind, key, due_at, payload) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (key) DO NOTHING RETURNING id`,
    params,
  );
  if (row) return Number(row.id);
  const [existing] = await q.query<{ id: number }>('SELECT id FROM timers WHERE key = $1', [spec.key]);
  return Number(existing.id);
}

/** Many timers in one statement (imports, benchmarks). Keys are not supported here. */
export async function scheduleTimers(q: Queryable, specs: Omit<TimerSpec, 'key'>[]): Promise<void> {
  if (specs.length === 0) return;
  specs.forEach(checkSpec);
  await q.query(
    `INSERT INTO timers (kind, due_at, payload)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::jsonb[])`,
    [specs.map((s) => s.kind), specs.map((s) => s.dueAt.toISOString()), specs.map((s) => JSON.stringify(s.payload ?? {}))],
  );
}

/**
 * Cancels a pending timer (deletes it, so its key may be used again). Returns
 * false when it already fired or is being fired right now: SKIP LOCKED keeps a
 * cancel from waiting on (or deadlocking with) a runner, so handlers re-check
 * their subject's state before acting.
 */
export async function cancelTimer(q: Queryable, id: number): Promise<boolean> {
  const rows = await q.query(
    `DELETE FROM timers WHERE id IN (
       SELECT id FROM timers WHERE id = $1 AND fired_at IS NULL FOR UPDATE SKIP LOCKED
     ) RETURNING id`,
    [id],
  );
  return rows.length > 0;
}

/** Tells every node's runner that a timer is due at `dueAt`, so none sleeps past it. */
export async function wakeTimerRunners(bus: Bus, dueAt: Date): Promise<void> {
  await bus.publish(TIMER_WAKE_CHANNEL, { dueAt: dueAt.toISOString() });
}

export interface TimerRunnerOptions {
  db: Db;
  clock: Clock;
  log?: Logger;
  bus?: Bus;
  /** Names this node in fired_by; random when omitted. */
  runnerId?: string;
  /** Timers claimed per transaction. */
  batchSize?: number;
  /** Claiming transactions run in parallel (PostgreSQL; PGlite has one connection). */
  concurrency?: number;
  /** Longest sleep between polls; the bus and the next due time usually wake the runner sooner. */
  pollMs?: number;
  /** Handler errors before a timer is given up (outcome 'failed'). */
  maxAttempts?: number;
  /** Retry delay after the n-th failure: base * 2^(n-1), at most 10 minutes. */
  retryBaseMs?: number;
}

interface TimerRow {
  id: number;
  kind: string;
  due_at: Date;
  payload: Record<string, unknown>;
  attempts: number;
}

const CLAIM_SQL = `SELECT id, kind, due_at, payload, attempts FROM timers
  WHERE fired_at IS NULL AND due_at <= $1 AND kind = ANY($3::text[])
  ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`;

export class TimerRunner {
  readonly runnerId: string;
  private handlers = new Map<string, TimerHandler>();
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private sleepUntil = Infinity;
  private wakeSleeper: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private opts: TimerRunnerOptions) {
    this.runnerId = opts.runnerId ?? `runner-${randomBytes(4).toString('hex')}`;
    this.batchSize = opts.batchSize ?? 100;
    this.concurrency = opts.db.kind === 'pglite' ? 1 : Math.max(1, opts.concurrency ?? 2);
    this.pollMs = opts.pollMs ?? 1000;
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.retryBaseMs = opts.retryBaseMs ?? 5000;
  }

  /** Registers the handler for one kind; this runner never claims kinds it has no handler for. */
  register(kind: string, handler: TimerHandler): this {
    if (this.handlers.has(kind)) throw new Error(`a handler for timer kind '${kind}' is already registered`);
    this.handlers.set(kind, handler);
    return this;
  }

  /** Fires every timer due now; returns how many fired. Tests call this with an injected clock. */
  async tick(): Promise<number> {
    const workers = Array.from({ length: this.concurrency }, async () => {
      let fired = 0;
      for (;;) {
        const { claimed, done } = await this.claimBatch();
        fired += done;
        if (claimed < this.batchSize) return fired;
      }
    });
    return (await Promise.all(workers)).reduce((a, b) => a + b, 0);
  }

  /** Polls until stop(): fires due timers, then sleeps until the next due time (or a wake-up). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.opts.bus?.subscribe(TIMER_WAKE_CHANNEL, (m) => {
      const dueAt = Date.parse(String((m as { dueAt?: unknown })?.dueAt));
      if (!Number.isNaN(dueAt)) this.wakeBy(dueAt);
    });
    this.loopDone = this.loop();
  }

  /** Wakes this runner if it would otherwise sleep past `dueAtMs`. */
  wakeBy(dueAtMs: number): void {
    if (dueAtMs >= this.sleepUntil) return;
    const delay = Math.max(0, dueAtMs - this.opts.clock.now().getTime());
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepUntil = dueAtMs;
    this.sleepTimer = setTimeout(() => this.wakeSleeper?.(), delay);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wakeSleeper?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.tick();
        const [next] = await this.opts.db.query<{ due_at: Date | null }>('SELECT min(due_at) AS due_at FROM timers WHERE fired_at IS NULL AND kind = ANY($1::text[])',
          [[...this.handlers.keys()]],
        );
        const now = this.opts.clock.now().getTime();
        const nextMs = next?.due_at ? new Date(next.due_at).getTime() : Infinity;
        await this.sleep(Math.min(nextMs, now + this.pollMs));
      } catch (err) {
        this.opts.log?.error({ err, runnerId: this.runnerId }, 'timer runner tick failed');
        await this.sleep(this.opts.clock.now().getTime() + this.pollMs);
      }
    }
  }

  private sleep(untilMs: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wakeSleeper = () => {
        if (this.sleepTimer) clearTimeout(this.sleepTimer);
        this.sleepTimer = undefined;
        this.sleepUntil = Infinity;
        this.wakeSleeper = undefined;
        resolve();
      };
      this.sleepUntil = untilMs;
      this.sleepTimer = setTimeout(() => this.wakeSleeper?.(), Math.max(0, untilMs - this.opts.clock.now().getTime()));
    });
  }

  /**
   * One transaction: claim up to batchSize due timers, run each handler under its
   * own savepoint, mark the successes fired. A handler that throws is rolled back
   * to its savepoint and its failure recorded while this transaction still holds
   * the row lock, so no other runner can pick it up in between and one bad timer
   * cannot hold up the others.
   */
  private async claimBatch(): Promise<{ claimed: number; done: number }> {
    const now = this.opts.clock.now();
    const after: (() => unknown)[] = [];
    const logs: (() => void)[] = [];
    let claimed = 0;
    const done = await this.opts.db.tx(async (q) => {
      const rows = await q.query<TimerRow>(CLAIM_SQL, [now, this.batchSize, [...this.handlers.keys()]]);
      claimed = rows.length;
      const fired: number[] = [];
      for (const row of rows) {
        const effects: (() => unknown)[] = [];
        await q.query('SAVEPOINT timer_handler');
        try {
          if (await this.runHandler(q, row, now, effects)) {
            fired.push(Number(row.id));
            after.push(...effects);
          }
          await q.query('RELEASE SAVEPOINT timer_handler');
        } catch (err) {
          await q.query('ROLLBACK TO SAVEPOINT timer_handler');
          logs.push(await this.recordFailure(q, row, err, now));
        }
      }
      if (fired.length > 0) {
        await q.query(`UPDATE timers SET fired_at = $1, fired_by = $2, outcome = 'fired', attempts = attempts + 1 WHERE id = ANY($3::bigint[])`, [
          now,
          this.runnerId,
          fired,
        ]);
      }
      return fired.length;
    });
    for (const log of logs) log();
    this.runAfterCommit(after);
    return { claimed, done };
  }

  /** Runs the handler for one row; false when no handler is registered for its kind. */
  private async runHandler(q: Queryable, row: TimerRow, now: Date, after: (() => unknown)[]): Promise<boolean> {
    const handler = this.handlers.get(row.kind);
    if (!handler) return false;
    const ctx: TimerContext = {
      now,
      runnerId: this.runnerId,
      afterCommit: (fn) => after.push(fn),
      schedule: async (spec) => {
        const id = await scheduleTimer(q, spec);
        if (this.opts.bus) after.push(() => wakeTimerRunners(this.opts.bus!, spec.dueAt));
        after.push(() => this.wakeBy(spec.dueAt.getTime()));
        return id;
      },
    };
    const timer: FiredTimer = { id: Number(row.id), kind: row.kind, dueAt: new Date(row.due_at), payload: row.payload ?? {}, attempts: row.attempts };
    await handler(q, timer, ctx);
    return true;
  }

  /** Counts a failed attempt on a locked row: reschedules it with backoff, or gives it up. Returns the log line to write after commit. */
  private async recordFailure(q: Queryable, row: TimerRow, err: unknown, now: Date): Promise<() => void> {
    const id = Number(row.id);
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    const attempts = row.attempts + 1;
    if (attempts >= this.maxAttempts) {
      await q.query(`UPDATE timers SET attempts = $2, last_error = $3, fired_at = $4, fired_by = $5, outcome = 'failed' WHERE id = $1`, [
        id,
        attempts,
        message,
        now,
        this.runnerId,
      ]);
      return () => this.opts.log?.error({ timerId: id, kind: row.kind, attempts }, 'timer handler kept failing; timer given up');
    }
    const retryAt = new Date(now.getTime() + Math.min(600_000, this.retryBaseMs * 2 ** (attempts - 1)));
    await q.query('UPDATE timers SET attempts = $2, last_error = $3, due_at = $4 WHERE id = $1', [id, attempts, message, retryAt]);
    return () => this.opts.log?.warn({ timerId: id, kind: row.kind, attempts, err: message }, 'timer handler failed; will retry');
  }

  private runAfterCommit(fns: (() => unknown)[]): void {
    for (const fn of fns) {
      try {
        const r = fn();
        if (r instanceof Promise) r.catch((err) => this.opts.log?.error({ err }, 'timer after-commit effect failed'));
      } catch (err) {
        this.opts.log?.error({ err }, 'timer after-commit effect failed');
      }
    }
  }
}
