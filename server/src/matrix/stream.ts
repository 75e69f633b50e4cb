// The single stream ordering /sync reads from, and the wake-ups that end a
// waiting long-poll at once. The database is the truth; the bus only makes a
// /sync on any node look again sooner.
import type { Bus } from '../bus/bus.ts';
import type { Queryable } from '../store/db.ts';

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

/** A long-poll's ear: a wake-up between two looks is remembered, never lost. */
export interface Listener {
  /** Forget earlier wake-ups; call right before looking at the database. */
  reset(): void;
  /** Resolves at once if woken since reset, else on a wake-up, after `ms`, or on abort. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
  close(): void;
}

/** Local long-polls waiting per staff id; wake-ups arrive over the bus from any node. */
export class Notifier {
  private listeners = new Map<string, Set<() => void>>();
  /** Wake-ups heard per person on this node, listening or not. */
  private heard = new Map<string, number>();
  /** The last answer per device: its next_batch and the wake-ups heard before it was read. */
  private answered = new Map<string, { token: string; heard: number }>();
  private unsubscribe: () => void;

  constructor(private bus: Bus) {
    this.unsubscribe = bus.subscribe(WAKE_CHANNEL, (message) => {
      const users = (message as { users?: unknown }).users;
      if (!Array.isArray(users)) return;
      for (const u of users) {
        const id = String(u);
        this.heard.set(id, (this.heard.get(id) ?? 0) + 1);
        for (const wake of this.listeners.get(id) ?? []) wake();
      }
    });
  }

  /** How many wake-ups for this person this node has heard: take it before reading the database. */
  heardFor(staffId: string): number {
    return this.heard.get(staffId) ?? 0;
  }

  /** Remembers what a device was answered, with heardFor() as taken before the answer was read. */
  answeredWith(staffId: string, deviceId: string, token: string, heard: number): void {
    this.answered.set(`${staffId}\u0000${deviceId}`, { token, heard });
  }

  /**
   * Whether a device's next long-poll, from `since`, can start waiting without
   * a look at the database: this node answered it exactly that token and has
   * heard no wake-up for the person since it read that answer. Anything
   * committed after that read wakes them, and the periodic recheck covers a
   * lost wake-up, as it does for any waiting long-poll.
   */
  quietSince(staffId: string, deviceId: string, since: string): boolean {
    const a = this.answered.get(`${staffId}\u0000${deviceId}`);
    return !!a && a.token === since && a.heard === this.heardFor(staffId);
  }

  async wake(staffIds: Iterable<string>): Promise<void> {
    const users = [...new Set(staffIds)];
    if (users.length) await this.bus.publish(WAKE_CHANNEL, { users });
  }

  listen(staffId: string): Listener {
    let woken = false;
    let release: (() => void) | undefined;
    const onWake = () => {
      woken = true;
      release?.();
    };
    let set = this.listeners.get(staffId);
    if (!set) this.listeners.set(staffId, (set = new Set()));
    set.add(onWake);
    return {
      reset: () => {
        woken = false;
      },
      wait: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (woken || signal.aborted) return resolve();
          const timer = setTimeout(() => release?.(), ms);
          timer.unref();
          const onAbort = () => release?.();
          signal.addEventListener('abort', onAbort);
          release = () => {
            release = undefined;
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
        }),
      close: () => {
        release?.();
        set.delete(onWake);
        if (set.size === 0) this.listeners.delete(staffId);
      },
    };
  }

  close(): void {
    this.unsubscribe();
  }
}
