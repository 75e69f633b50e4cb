// Presence: who is reachable right now.
//
// Two facts make up a person's presence, kept in different places on purpose:
// - the manual status (available/busy/away, optional expiry) is a decision the
//   person made, so it lives in the `presence` table and survives restarts;
// - whether they are online at all is a fact about live sockets. A database flag
//   would go stale when a node dies, and asking every node (`fetchSockets`) for
//   each routing candidate is too slow, so each node keeps its own count of
//   sockets per person and mirrors it to Redis (when configured) as one hash per
//   node, refreshed by a heartbeat. A node that stops heartbeating is dropped by
//   the next live node, which also announces "offline" for the people it had.
//   The table's `online` column is written on transitions for reporting only;
//   no decision reads it.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { badRequest } from '../http/errors.ts';
import type { Queryable } from '../store/db.ts';

export const MANUAL_STATUSES = ['available', 'busy', 'away'] as const;
export type ManualStatus = (typeof MANUAL_STATUSES)[number];
export type PresenceStatus = ManualStatus | 'offline';

export interface Presence {
  status: PresenceStatus;
  /** When a manual status ends (it reverts to available); null when open-ended or offline. */
  until: Date | null;
}

/** A person's effective presence; `until` is when a manual status ends. */
export const presenceEntryView = z.object({ staffId: z.string(), status: z.enum([...MANUAL_STATUSES, 'offline']), until: z.string().nullable() });
/** The payload of a `presence` push; repeating it is harmless. */
export const presenceChangeView = presenceEntryView.extend({ changedAt: z.string() });
export type PresenceChange = z.infer<typeof presenceChangeView>;

/** Presence as answered to a caller (REST and the presence:watch command). */
export const presenceEntries = (presence: Map<string, Presence>): z.infer<typeof presenceEntryView>[] =>
  [...presence].map(([staffId, p]) => ({ staffId, status: p.status, until: p.until?.toISOString() ?? null }));

/** A manual status lasts at most a week. */
export const MAX_MANUAL_MINUTES = 7 * 24 * 60;
export const MAX_PRESENCE_IDS = 200;

export const staffIdSchema = z.string().min(1).max(100);

// ---- live sockets ------------------------------------------------------------

export interface LiveTiming {
  /** How often a node refreshes its entry in Redis. */
  heartbeatMs: number;
  /** When the other nodes give up on a node that stopped heartbeating. */
  deadAfterMs: number;
  /** Longer than deadAfterMs, so whoever prunes a dead node can still read whom it had. */
  hashTtlMs: number;
}
const DEFAULT_TIMING: LiveTiming = { heartbeatMs: 10_000, deadAfterMs: 30_000, hashTtlMs: 5 * 60_000 };

export interface LiveSockets {
  /** Counts a socket in; true when it is the person's first socket on this node. */
  add(staffId: string): Promise<boolean>;
  /** Counts a socket out; true when it was the person's last socket on this node. */
  remove(staffId: string): Promise<boolean>;
  /** Which of these people have at least one socket on any live node. */
  onlineAmong(staffIds: string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

/** One node, no Redis: the local counts are the whole truth. */
export class LocalLiveSockets implements LiveSockets {
  protected counts = new Map<string, number>();

  async add(staffId: string): Promise<boolean> {
    const n = (this.counts.get(staffId) ?? 0) + 1;
    this.counts.set(staffId, n);
    return n === 1;
  }

  async remove(staffId: string): Promise<boolean> {
    const n = (this.counts.get(staffId) ?? 0) - 1;
    if (n > 0) {
      this.counts.set(staffId, n);
      return false;
    }
    const had = this.counts.delete(staffId);
    return had;
  }

  async onlineAmong(staffIds: string[]): Promise<Set<string>> {
    return new Set(staffIds.filter((id) => this.counts.has(id)));
  }

  async close(): Promise<void> {
    this.counts.clear();
  }
}

/**
 * Several nodes: `<prefix>presence:nodes` is a sorted set of node ids scored by
 * their last heartbeat; `<prefix>presence:live:<node>` is a hash staffId → count.
 * A read costs one ZRANGEBYSCORE and one HMGET per other live node, pipelined.
 */
export class RedisLiveSockets extends LocalLiveSockets {
  readonly nodeId: string;
  private timer: NodeJS.Timeout;
  private nodesKey: string;

  constructor(
    private redis: Redis,
    private prefix: string,
    nodeName: string,
    /** Called with the people a dead node had, so their "offline" can be announced. */
    private onNodeLost: (staffIds: string[]) => void,
    private onError: (err: unknown) => void,
    private timing: LiveTiming = DEFAULT_TIMING,
  ) {
    super();
    // NODE_NAME need not be unique (it defaults to node-1); the id must be.
    this.nodeId = `${nodeName}:${randomUUID()}`;
    this.nodesKey = `${prefix}presence:nodes`;
    this.timer = setInterval(() => this.heartbeat().catch(onError), timing.heartbeatMs).unref();
  }

  private liveKey(nodeId: string): string {
    return `${this.prefix}presence:live:${nodeId}`;
  }

  async start(): Promise<void> {
    await this.heartbeat();
  }

  override async add(staffId: string): Promise<boolean> {
    const first = await super.add(staffId);
    await this.mirror(staffId);
    return first;
  }

  override async remove(staffId: string): Promise<boolean> {
    const last = await super.remove(staffId);
    await this.mirror(staffId);
    return last;
  }

  private async mirror(staffId: string): Promise<void> {
    const key = this.liveKey(this.nodeId);
    const n = this.counts.get(staffId);
    const m = this.redis.multi();
    if (n) m.hset(key, staffId, n);
    else m.hdel(key, staffId);
    await m.pexpire(key, this.timing.hashTtlMs).zadd(this.nodesKey, Date.now(), this.nodeId).exec();
  }

  /** Rewrites this node's whole entry (heals a Redis restart), then prunes dead nodes. */
  private async heartbeat(): Promise<void> {
    const key = this.liveKey(this.nodeId);
    const m = this.redis.multi().del(key);
    if (this.counts.size) m.hset(key, Object.fromEntries(this.counts));
    await m.pexpire(key, this.timing.hashTtlMs).zadd(this.nodesKey, Date.now(), this.nodeId).exec();

    const dead = await this.redis.zrangebyscore(this.nodesKey, '-inf', Date.now() - this.timing.deadAfterMs);
    for (const nodeId of dead) {
      // ZREM answers 1 to exactly one pruning node.
      if ((await this.redis.zrem(this.nodesKey, nodeId)) !== 1) continue;
      const staffIds = await this.redis.hkeys(this.liveKey(nodeId));
      await this.redis.del(this.liveKey(nodeId));
      if (staffIds.length) this.onNodeLost(staffIds);
    }
  }

  override async onlineAmong(staffIds: string[]): Promise<Set<string>> {
    const online = await super.onlineAmong(staffIds);
    const rest = staffIds.filter((id) => !online.has(id));
    if (!rest.length) return online;
    const nodes = (await this.redis.zrangebyscore(this.nodesKey, Date.now() - this.timing.deadAfterMs, '+inf')).filter(
      (n) => n !== this.nodeId,
    );
    if (!nodes.length) return online;
    const p = this.redis.pipeline();
    for (const n of nodes) p.hmget(this.liveKey(n), ...rest);
    for (const [err, counts] of (await p.exec()) ?? []) {
      if (err) throw err;
      (counts as (string | null)[]).forEach((c, i) => {
        if (c !== null && Number(c) > 0) online.add(rest[i]);
      });
    }
    return online;
  }

  override async close(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.multi().del(this.liveKey(this.nodeId)).zrem(this.nodesKey, this.nodeId).exec();
    await super.close();
  }
}

// ---- manual status -----------------------------------------------------------

interface PresenceRow {
  staff_id: string;
  manual_status: ManualStatus | null;
  manual_until: Date | null;
  changed_at: Date;
}

/** The status a person shows: offline without sockets, else the manual status until it expires. */
export function effectivePresence(online: boolean, row: Pick<PresenceRow, 'manual_status' | 'manual_until'> | undefined, now: Date): Presence {
  if (!online) return { status: 'offline', until: null };
  if (!row?.manual_status) return { status: 'available', until: null };
  const until = row.manual_until ? new Date(row.manual_until) : null;
  if (until && until <= now) return { status: 'available', until: null };
  return { status: row.manual_status, until };
}

export async function readManualStatuses(q: Queryable, staffIds: string[]): Promise<Map<string, PresenceRow>> {
  if (!staffIds.length) return new Map();
  const rows = await q.query<PresenceRow>(
    'SELECT staff_id, manual_status, manual_until, changed_at FROM presence WHERE staff_id = ANY($1::text[])',
    [staffIds],
  );
  return new Map(rows.map((r) => [r.staff_id, r]));
}

/** Sets (or, with status null, clears) a manual status of a person the directory knows. */
export async function writeManualStatus(q: Queryable, staffId: string, status: ManualStatus | null, until: Date | null, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO presence (staff_id, manual_status, manual_until, changed_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (staff_id) DO UPDATE
       SET manual_status = EXCLUDED.manual_status, manual_until = EXCLUDED.manual_until, changed_at = EXCLUDED.changed_at`,
    [staffId, status, until, now],
  );
}

/** Informational only (see the top of this file); for a signed-in person. */
export async function writeOnlineFlag(q: Queryable, staffId: string, online: boolean, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO presence (staff_id, online, changed_at) VALUES ($1, $2, $3)
     ON CONFLICT (staff_id) DO UPDATE SET online = EXCLUDED.online, changed_at = EXCLUDED.changed_at`,
    [staffId, online, now],
  );
}

/**
 * Clears manual statuses whose time has passed. The UPDATE hands each expired
 * row to exactly one caller, so with several nodes one of them announces it.
 */
export async function expireManualStatuses(q: Queryable, now: Date): Promise<{ staffId: string; changedAt: Date }[]> {
  const rows = await q.query<{ staff_id: string; changed_at: Date }>(
    `UPDATE presence SET manual_status = NULL, manual_until = NULL, changed_at = $1
      WHERE manual_until IS NOT NULL AND manual_until <= $1
      RETURNING staff_id, changed_at`,
    [now],
  );
  return rows.map((r) => ({ staffId: r.staff_id, changedAt: new Date(r.changed_at) }));
}

export async function nextManualExpiry(q: Queryable): Promise<Date | null> {
  const [row] = await q.query<{ next: Date | null }>('SELECT min(manual_until) AS next FROM presence WHERE manual_until IS NOT NULL');
  return row?.next ? new Date(row.next) : null;
}

/** `until` as an ISO time or a number of minutes from now; null when absent. Throws a 400 naming the field. */
export function resolveUntil(until: string | number | undefined | null, now: Date, field = 'until'): Date | null {
  if (until === undefined || until === null) return null;
  const at = typeof until === 'number' ? new Date(now.getTime() + until * 60_000) : new Date(until);
  const refuse = (message: string) => badRequest(`${field}: ${message}`, [{ path: field, message }]);
  if (Number.isNaN(at.getTime())) throw refuse('not a valid time');
  if (at <= now) throw refuse('must be in the future');
  if (at.getTime() - now.getTime() > MAX_MANUAL_MINUTES * 60_000) throw refuse(`at most ${MAX_MANUAL_MINUTES} minutes ahead`);
  return at;
}
