// Domain events through a transactional outbox: a change writes its events in
// its own transaction (publish), and subscribers registered in the composition
// root handle them after commit (socket pushes, conference rooms).
//
// Generic infrastructure beside timers/, with the same claim-once mechanics:
// a row is claimed with FOR UPDATE SKIP LOCKED, so two nodes never take the
// same one. Unlike a timer handler, a subscriber works outside any transaction
// (the Matrix layer and PGlite's one connection need the database free), so a
// claim is a lease: a node that dies mid-handler lets go when it runs out.
//
// Delivery is at least once: a subscriber re-checks what it does (a room
// already opened is not opened again); a row is marked handled once.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../deps.ts';
import type { Logger } from '../log.ts';
import type { Db, Queryable } from '../store/db.ts';

export interface OutboxEvent<P = Record<string, unknown>> {
  id: number;
  event: string;
  subscriber: string;
  payload: P;
  /** This attempt's number, from 1. */
  attempt: number;
}

export interface Subscription {
  /** The event handled, e.g. 'ring.accepted'. */
  event: string;
  /** Unique per event; names the row, so it outlives a restart. */
  name: string;
  handle(event: OutboxEvent): Promise<void>;
}

/** Outbox row ids a transaction wrote; the committing node delivers them once it has committed. */
export type Published = number[];

export interface OutboxOptions {
  db: Db;
  clock: Clock;
  log?: Logger;
  /** Names this node in claimed_by and handled_by; random when omitted. */
  nodeName?: string;
  /** Sleep between polls for rows the fast path left behind. */
  pollMs?: number;
  /** How long after commit a row waits for its own node before any node's relay takes it. */
  graceMs?: number;
  /** How long a claim holds before another node may take the row. */
  leaseMs?: number;
  /** Retry delay after the n-th failure: base * 2^(n-1), at most 10 minutes; retried until handled. */
  retryBaseMs?: number;
  /** Handled rows are deleted this long after. */
  keepHandledMs?: number;
}

interface Row {
  id: number;
  event: string;
  subscriber: string;
  payload: Record<string, unknown>;
  attempts: number;
}

const MAX_RETRY_MS = 600_000;
const BATCH = 100;

export class Outbox {
  readonly nodeName: string;
  private readonly subscriptions = new Map<string, Subscription[]>();
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly leaseMs: number;
  private readonly retryBaseMs: number;
  private readonly keepHandledMs: number;
  private running = false;
  private sleepTimer: NodeJS.Timeout | undefined;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastPurge = 0;

  constructor(private readonly opts: OutboxOptions) {
    this.nodeName = opts.nodeName ?? `node-${randomBytes(4).toString('hex')}`;
    this.pollMs = opts.pollMs ?? 1000;
    this.graceMs = opts.graceMs ?? 3000;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.retryBaseMs = opts.retryBaseMs ?? 2000;
    this.keepHandledMs = opts.keepHandledMs ?? 86_400_000;
  }

  subscribe(subscription: Subscription): this {
    const list = this.subscriptions.get(subscription.event) ?? [];
    if (list.some((s) => s.name === subscription.name)) throw new Error(`'${subscription.name}' already subscribes to '${subscription.event}'`);
    this.subscriptions.set(subscription.event, [...list, subscription]);
    return this;
  }

  /** Writes an event in the caller's transaction: a row per subscriber, their ids added to `published`. */
  async publish(q: Queryable, published: Published, event: string, payload: Record<string, unknown>): Promise<void> {
    const names = (this.subscriptions.get(event) ?? []).map((s) => s.name);
    if (!names.length) return;
    const now = this.opts.clock.now();
    const rows = await q.query<{ id: number }>(
      `INSERT INTO outbox (event, subscriber, payload, created_at, due_at)
       SELECT $1, s, $2::jsonb, $3, $4 FROM unnest($5::text[]) AS s RETURNING id`,
      [event, JSON.stringify(payload), now, new Date(now.getTime() + this.graceMs), names],
    );
    published.push(...rows.map((r) => Number(r.id)));
  }

  /**
   * The fast path: handles rows this node just committed, in order, without
   * waiting for their due time. Rows another node holds are left to it; a
   * failure is recorded for retry and never thrown at the caller.
   */
  async deliver(published: Published): Promise<void> {
    if (!published.length) return;
    await this.handleAll(await this.claim(published));
  }

  /** Handles every row that is due (left behind or to be retried); returns how many were handled. Tests call this with a fake clock. */
  async tick(): Promise<number> {
    let handled = 0;
    for (;;) {
      const rows = await this.claim();
      handled += await this.handleAll(rows);
      if (rows.length < BATCH) return handled;
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.tick();
        await this.purge();
      } catch (err) {
        this.opts.log?.error({ err, node: this.nodeName }, 'outbox relay tick failed');
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.sleepTimer = setTimeout(resolve, this.pollMs);
      });
      clearTimeout(this.sleepTimer);
    }
  }

  /**
   * Claims rows this node has subscribers for in one statement: the lock
   * decides between nodes, the lease keeps others off while the handler runs.
   * With `ids`, those rows whatever their due time (the fast path); else the due ones.
   */
  private async claim(ids?: number[]): Promise<Row[]> {
    const now = this.opts.clock.now();
    const names = [...this.subscriptions.values()].flat().map((s) => s.name);
    const rows = await this.opts.db.query<Row>(
      `UPDATE outbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM outbox
           WHERE handled_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $3) AND subscriber = ANY($4::text[])
             AND (CASE WHEN $5::bigint[] IS NULL THEN due_at <= $3 ELSE id = ANY($5::bigint[]) END)
           ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING id, event, subscriber, payload, attempts`,
      [this.nodeName, new Date(now.getTime() + this.leaseMs), now, names, ids ?? null],
    );
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  private async handleAll(rows: Row[]): Promise<number> {
    let handled = 0;
    for (const row of rows) if (await this.handle(row)) handled++;
    return handled;
  }

  private async handle(row: Row): Promise<boolean> {
    const id = Number(row.id);
    const subscription = this.subscriptions.get(row.event)?.find((s) => s.name === row.subscriber);
    try {
      if (!subscription) throw new Error(`no subscriber '${row.subscriber}' for '${row.event}' on this node`);
      await subscription.handle({ id, event: row.event, subscriber: row.subscriber, payload: row.payload ?? {}, attempt: row.attempts });
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      const retryAt = new Date(this.opts.clock.now().getTime() + Math.min(MAX_RETRY_MS, this.retryBaseMs * 2 ** (row.attempts - 1)));
      await this.opts.db.query('UPDATE outbox SET last_error = $2, due_at = $3, claimed_until = NULL WHERE id = $1 AND claimed_by = $4 AND handled_at IS NULL', [
        id,
        message,
        retryAt,
        this.nodeName,
      ]);
      this.opts.log?.warn({ outboxId: id, event: row.event, subscriber: row.subscriber, attempts: row.attempts, retryAt, err: message }, 'outbox subscriber failed; will retry');
      return false;
    }
    // Only the claim's holder marks it, and only once.
    await this.opts.db.query('UPDATE outbox SET handled_at = $2, handled_by = $3, claimed_until = NULL WHERE id = $1 AND claimed_by = $3 AND handled_at IS NULL', [
      id,
      this.opts.clock.now(),
      this.nodeName,
    ]);
    return true;
  }

  /** Deletes handled rows past their keep time, at most once an hour per node. */
  private async purge(): Promise<void> {
    const now = this.opts.clock.now().getTime();
    if (now - this.lastPurge < 3_600_000) return;
    this.lastPurge = now;
    await this.opts.db.query('DELETE FROM outbox WHERE handled_at < $1', [new Date(now - this.keepHandledMs)]);
  }
}
