// The message events this node heard committed lately, each batch with the
// stream positions it took and, per event, who was joined to its room when it
// was stored. It lets a waiting /sync answer new messages without a database
// look, but only across positions it can account for: a position it never
// heard of (any other kind of write, a batch still being stored, a lost bus
// message) sends the /sync to the database as before.
import type { EventRow } from './context.ts';

export interface RecentEvent extends EventRow {
  /** The room's joined members when the event was stored: who may see it. */
  joined: string[];
}

/** One group commit of message events: stream positions first..last, all of them its own. */
export interface MessageBatch {
  first: number;
  last: number;
  events: RecentEvent[];
}

/** What this node knows after a position for one person. */
export interface RecentAnswer {
  /** The last position of the unbroken run of known batches after `since` (`since` when there is none). */
  head: number;
  /** The person's events in that run, in stream order. */
  events: RecentEvent[];
  /** Whether this node heard of later positions it cannot reach without a gap. */
  beyond: boolean;
}

export class RecentMessages {
  private byFirst = new Map<number, MessageBatch>();
  private maxLast = 0;

  /** `keepPositions`: how far back a waiting /sync can still be answered from memory. */
  constructor(private readonly keepPositions = 20_000) {}

  add(batch: MessageBatch): void {
    this.byFirst.set(batch.first, batch);
    if (batch.last > this.maxLast) this.maxLast = batch.last;
    // Batches arrive in about stream order, so the oldest come first in the map.
    for (const [first, b] of this.byFirst) {
      if (b.last > this.maxLast - this.keepPositions) break;
      this.byFirst.delete(first);
    }
  }

  after(since: number, staffId: string): RecentAnswer {
    const events: RecentEvent[] = [];
    let head = since;
    for (let b = this.byFirst.get(head + 1); b; b = this.byFirst.get(head + 1)) {
      for (const e of b.events) if (e.joined.includes(staffId)) events.push(e);
      head = b.last;
    }
    return { head, events, beyond: this.maxLast > head };
  }
}
