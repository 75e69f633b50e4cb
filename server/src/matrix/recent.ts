// The message events this node heard committed lately, each batch with the
// stream positions it took and, per event, who was joined to its room when it
// was stored. It lets a waiting /sync answer new messages without a database
// look, but only across positions it can account for: a position it never
// heard of (any other kind of write, a batch still being stored, a lost bus
// message) sends the /sync to the database as before.
//
// Indexed for the question a long-poll asks on every wake-up, "what after my
// token is mine?": the runs of positions heard without a gap, and each
// person's events. An answer costs the person's own events, not a walk over
// every batch since the token (which grows with the load and the wait).
import type { MessageRow } from './context.ts';

/** A message event this node heard stored; its content is the JSON text its sender sent. */
export interface RecentEvent extends MessageRow {
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

/** Positions start..end, all of them in batches heard. */
interface Run {
  start: number;
  end: number;
}

export class RecentMessages {
  /** Batches kept, in about stream order (the order they were heard). */
  private batches = new Map<number, MessageBatch>();
  /** Runs of heard positions above `forgotten`, sorted, neither overlapping nor touching. */
  private runs: Run[] = [];
  /** Each person's events above `forgotten`, in stream order. */
  private byPerson = new Map<string, RecentEvent[]>();
  /** Positions at or below this are no longer known. */
  private forgotten = 0;
  private maxLast = 0;

  /** `keepPositions`: how far back a waiting /sync can still be answered from memory. */
  constructor(private readonly keepPositions = 20_000) {}

  add(batch: MessageBatch): void {
    if (batch.last <= this.forgotten || this.batches.has(batch.first)) return;
    this.batches.set(batch.first, batch);
    this.addRun(Math.max(batch.first, this.forgotten + 1), batch.last);
    for (const e of batch.events) if (e.stream_pos > this.forgotten) for (const person of e.joined) this.addFor(person, e);
    if (batch.last > this.maxLast) this.maxLast = batch.last;
    this.forget(this.maxLast - this.keepPositions);
  }

  after(since: number, staffId: string): RecentAnswer {
    const run = since >= this.forgotten ? this.runHolding(since + 1) : undefined;
    if (!run) return { head: since, events: [], beyond: this.maxLast > since };
    const events: RecentEvent[] = [];
    const list = this.byPerson.get(staffId);
    if (list) for (let i = firstAfter(list, since); i < list.length && list[i].stream_pos <= run.end; i++) events.push(list[i]);
    return { head: run.end, events, beyond: this.maxLast > run.end };
  }

  private addRun(start: number, end: number): void {
    const runs = this.runs;
    // Batches come in about stream order: the new run mostly extends or follows the last one.
    let i = runs.length;
    while (i > 0 && runs[i - 1].start > start) i--;
    const before = runs[i - 1];
    if (before && before.end + 1 >= start) {
      before.end = Math.max(before.end, end);
      i--;
    } else runs.splice(i, 0, { start, end });
    // A batch that filled a gap joins the runs on either side.
    while (i + 1 < runs.length && runs[i + 1].start <= runs[i].end + 1) {
      runs[i].end = Math.max(runs[i].end, runs[i + 1].end);
      runs.splice(i + 1, 1);
    }
  }

  private runHolding(pos: number): Run | undefined {
    const run = this.runs[firstNotBefore(this.runs, (r) => r.end < pos)];
    return run && run.start <= pos ? run : undefined;
  }

  private addFor(person: string, e: RecentEvent): void {
    let list = this.byPerson.get(person);
    if (!list) this.byPerson.set(person, (list = []));
    let i = list.length;
    while (i > 0 && list[i - 1].stream_pos > e.stream_pos) i--;
    list.splice(i, 0, e);
  }

  /** Drops everything at or below `upTo`. */
  private forget(upTo: number): void {
    if (upTo <= this.forgotten) return;
    this.forgotten = upTo;
    while (this.runs.length && this.runs[0].end <= upTo) this.runs.shift();
    if (this.runs.length && this.runs[0].start <= upTo) this.runs[0].start = upTo + 1;
    for (const [first, b] of this.batches) {
      if (b.last > upTo) break;
      this.batches.delete(first);
      for (const e of b.events)
        for (const person of e.joined) {
          const list = this.byPerson.get(person);
          if (!list) continue;
          while (list.length && list[0].stream_pos <= upTo) list.shift();
          if (!list.length) this.byPerson.delete(person);
        }
    }
  }
}

/** The index of the first event after position `pos` in a list in stream order. */
function firstAfter(list: RecentEvent[], pos: number): number {
  return firstNotBefore(list, (e) => e.stream_pos <= pos);
}

/** Binary search: the index of the first item of `list` that is not `before` (all that are come first). */
function firstNotBefore<T>(list: T[], before: (item: T) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(list[mid])) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
