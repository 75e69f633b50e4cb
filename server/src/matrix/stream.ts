// The single stream ordering /sync reads from, and the wake-ups that end a
// waiting long-poll at once. The database is the truth; the bus only makes a
// /sync on any node look again sooner.
import type { Bus } from '../bus/bus.ts';
import type { Queryable } from '../store/db.ts';
import { type MessageBatch, RecentMessages } from './recent.ts';

const WAKE_CHANNEL = 'matrix:wake';

/**
 * Takes the next stream position. The head row stays locked until the
 * transaction ends, so positions become visible in order: a reader that sees
 * head = N sees every change at or below N.
 */
export async function nextPos(q: Queryable): Promise<number> {
  const rows = await q.query<{ pos: number }>('UPDATE matrix_stream_head SET pos = pos + 1 WHERE id = 1 RETURNING pos');
  return Number(rows[0].pos);
}

/** Orders this transaction among stream writers before it reads what it decides on. */
export async function lockStream(q: Queryable): Promise<void> {
  await q.query('SELECT pos FROM matrix_stream_head WHERE id = 1 FOR UPDATE');
}

export async function headPos(q: Queryable): Promise<number> {
  const rows = await q.query<{ pos: number }>('SELECT pos FROM matrix_stream_head WHERE id = 1');
  return Number(rows[0].pos);
}

/** Sync tokens: 's' and a stream position ("everything up to here"). */
export function streamToken(pos: number): string {
  return `s${pos}`;
}

export function parseStreamToken(token: string): number | undefined {
  const m = /^s(\d{1,15})$/.exec(token);
  return m ? Number(m[1]) : undefined;
}

/** Who hears a person's wake-ups on this node: a waiting long-poll. */
export interface Listener {
  wake(): void;
}

/** What a device was last answered by this node, for its next long-poll. */
export interface Answered {
  token: string;
  /** heardFor() as taken before the answer was read. */
  heard: number;
  /** The key counts that answer carried, repeated by answers from memory. */
  oneTimeKeyCounts: Record<string, number>;
  unusedFallbackKeyTypes: string[];
}

/**
 * Local long-polls waiting per staff id; wake-ups arrive over the bus from any
 * node. A wake-up for stored message events carries the batch itself, which
 * goes into `recent`; every other wake-up counts as "heard" for its people.
 */
export class Notifier {
  readonly recent = new RecentMessages();
  private listeners = new Map<string, Set<Listener>>();
  /** Wake-ups other than message batches heard per person on this node, listening or not. */
  private heard = new Map<string, number>();
  /** Times the bus may have lost messages: every person counts them as heard. */
  private gaps = 0;
  /** By person, then device. */
  private answered = new Map<string, Map<string, Answered>>();
  private unsubscribe: () => void;

  constructor(private bus: Bus) {
    const stopWakes = bus.subscribe(WAKE_CHANNEL, (message) => {
      const { users, batch } = message as { users?: unknown; batch?: MessageBatch };
      if (!Array.isArray(users)) return;
      if (batch) this.recent.add(batch);
      for (const u of users) {
        const id = String(u);
        if (!batch) this.heard.set(id, (this.heard.get(id) ?? 0) + 1);
        for (const listener of this.listeners.get(id) ?? []) listener.wake();
      }
    });
    // Wake-ups may have been lost: every waiting long-poll looks in the database now.
    const stopGaps = bus.onGap(() => {
      this.gaps++;
      for (const listeners of this.listeners.values()) for (const listener of listeners) listener.wake();
    });
    this.unsubscribe = () => {
      stopWakes();
      stopGaps();
    };
  }

  /** How many wake-ups other than message batches this node has heard for the person: take it before reading. */
  heardFor(staffId: string): number {
    return (this.heard.get(staffId) ?? 0) + this.gaps;
  }

  /** Remembers what a device was answered. */
  answeredWith(staffId: string, deviceId: string, answer: Answered): void {
    let devices = this.answered.get(staffId);
    if (!devices) this.answered.set(staffId, (devices = new Map()));
    devices.set(deviceId, answer);
  }

  /**
   * The device's last answer, when its long-poll from `since` continues it:
   * this node answered it exactly that token and has heard nothing for the
   * person since but message batches, which `recent` holds. Anything else
   * committed after that answer wakes them; wake-ups the bus may have lost
   * count as heard for everyone.
   */
  quietSince(staffId: string, deviceId: string, since: string): Answered | undefined {
    const a = this.answered.get(staffId)?.get(deviceId);
    return a && a.token === since && a.heard === this.heardFor(staffId) ? a : undefined;
  }

  async wake(staffIds: Iterable<string>): Promise<void> {
    const users = [...new Set(staffIds)];
    if (users.length) await this.bus.publish(WAKE_CHANNEL, { users });
  }

  /** Announces a committed batch of message events to every node, waking the rooms' joined members. */
  async announce(batch: MessageBatch): Promise<void> {
    const users = [...new Set(batch.events.flatMap((e) => e.joined))];
    await this.bus.publish(WAKE_CHANNEL, { users, batch });
  }

  /** `listener` hears the person's wake-ups until unlisten. */
  listen(staffId: string, listener: Listener): void {
    let mine = this.listeners.get(staffId);
    if (!mine) this.listeners.set(staffId, (mine = new Set()));
    mine.add(listener);
  }

  unlisten(staffId: string, listener: Listener): void {
    // The person's set stays, empty, for their next long-poll: one per person who ever polled this node.
    this.listeners.get(staffId)?.delete(listener);
  }

  close(): void {
    this.unsubscribe();
  }
}
