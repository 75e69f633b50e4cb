// /sync: everything after `since` that the caller may see, read from the
// database at one stream position. With nothing new it waits (long-poll) for a
// wake-up from any node, looking again now and then in case one was missed.
// A long-poll continuing this node's last answer, when only message events
// came since, is answered from the batches the node heard (recent.ts).
import type { Queryable } from '../store/db.ts';
import { type Caller, type EventRow, EVENT_COLUMNS, type MatrixContext, MESSAGE_COLUMNS, type MessageRow, clientEvent, clientEventJson } from './context.ts';
import { JsonPieces } from './http.ts';
import { oneTimeKeyCounts, sharingUsers, unusedFallbackKeyTypes } from './keys.ts';
import { currentState, type Membership } from './rooms.ts';
import { headPos, type Listener, streamToken } from './stream.ts';

export interface SyncOptions {
  since?: number;
  fullState: boolean;
  timelineLimit: number;
  includeLeave: boolean;
  timeoutMs: number;
}

/**
 * A look at the database when no wake-up came for this long. Wake-ups are
 * lost only when a node is cut off from Redis (once it is back, every
 * long-poll on it and, when what it published may be lost, on every node
 * looks again: Bus.onGap) or dies between a commit and its announcement;
 * this covers the last case. Idle long-polls cost one query each per
 * interval: thousands of them online make this a real load.
 */
const RECHECK_MS = 30_000;
const MAX_TIMEOUT_MS = 120_000;

/** The client's end of a long-poll, as node's ServerResponse has it: 'close' follows a hang-up and every answer sent. */
export interface Connection {
  readonly closed: boolean;
  readonly writableFinished: boolean;
  on(event: 'close', listener: () => void): unknown;
}

/** Answers a /sync on `conn`: at once when there is news, else when a wake-up brings some or the timeout ends. */
export function sync(ctx: MatrixContext, caller: Caller, opts: SyncOptions, conn: Connection, sinceToken?: string): Promise<unknown> {
  return new Promise((resolve, reject) => new LongPoll(ctx, caller, opts, sinceToken, resolve, reject).start(conn));
}

/**
 * One /sync until it is answered. It looks (in memory when it can, else in the
 * database); with nothing to answer it waits, as this one object, for a
 * wake-up, the periodic look or its deadline. No function frame or promise
 * waits with it: a node holds thousands, and what they hold every
 * young-generation collection copies.
 */
class LongPoll implements Listener {
  private readonly deadline: number;
  /** Continues this node's last answer to the device: may be answered from memory. */
  private readonly continues: boolean;
  private looking = false;
  /** A wake-up came during the current look: look again when it is done. */
  private woken = false;
  /** The last wait ended without a wake-up: look in the database, in case one was lost. */
  private recheck = false;
  private hungUp = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: MatrixContext,
    private readonly caller: Caller,
    private readonly opts: SyncOptions,
    private readonly sinceToken: string | undefined,
    private readonly resolve: (answer: unknown) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.deadline = Date.now() + Math.min(Math.max(0, opts.timeoutMs), MAX_TIMEOUT_MS);
    this.continues = sinceToken !== undefined && opts.since !== undefined && !opts.fullState && opts.timeoutMs > 0;
  }

  start(conn: Connection): void {
    this.ctx.notifier.listen(this.caller.staffId, this);
    // Only a client that went away hangs up: 'close' also follows every answer sent.
    // It may have gone already, while its request was read or its token looked up.
    if (conn.closed) this.hungUp = true;
    else
      conn.on('close', () => {
        if (!conn.writableFinished) this.hangUp();
      });
    void this.look();
  }

  wake(): void {
    if (this.looking) this.woken = true;
    else if (this.timer) this.lookAgain(false);
  }

  private hangUp(): void {
    this.hungUp = true;
    if (this.timer) this.finish(emptyAnswer(this.opts));
  }

  /** Ends the wait: on a wake-up, or (recheck) when it timed out. */
  lookAgain(recheck: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.recheck = recheck;
    void this.look();
  }

  private async look(): Promise<void> {
    this.looking = true;
    try {
      for (;;) {
        this.woken = false;
        const answer = await this.lookOnce();
        if (answer !== undefined) return this.finish(answer);
        if (!this.woken) break;
        this.recheck = false;
      }
    } catch (err) {
      return this.finish(undefined, err);
    } finally {
      this.looking = false;
    }
    if (this.hungUp) return this.finish(emptyAnswer(this.opts));
    this.timer = setTimeout(timedOut, Math.min(Math.max(0, this.deadline - Date.now()), RECHECK_MS), this);
    this.timer.unref();
  }

  /** One look: the answer, or undefined when there is nothing to answer yet. */
  private async lookOnce(): Promise<unknown> {
    // Nobody to answer: no look in memory or the database.
    if (this.hungUp) return emptyAnswer(this.opts);
    const { ctx, caller, opts } = this;
    const { notifier } = ctx;
    const heard = notifier.heardFor(caller.staffId);
    const late = Date.now() >= this.deadline;
    const last = this.continues && !late && !this.recheck ? notifier.quietSince(caller.staffId, caller.deviceId, this.sinceToken!) : undefined;
    if (last) {
      const recent = notifier.recent.after(opts.since!, caller.staffId);
      // Nothing for this person in what this node heard, and no position it cannot account for: keep waiting.
      if (!recent.events.length && !recent.beyond) return undefined;
      const answer = recent.events.length
        ? timelineAnswer(caller, recent.events, recent.head, ctx.deps.clock.now().getTime(), opts.timelineLimit, last.oneTimeKeyCounts, last.unusedFallbackKeyTypes)
        : undefined;
      if (answer) {
        notifier.answeredWith(caller.staffId, caller.deviceId, { ...last, token: answer.nextBatch });
        return answer.body;
      }
    }
    const { answer, hasNews } = await buildSync(ctx, caller, opts);
    if (!hasNews && opts.since !== undefined && Date.now() < this.deadline) return undefined;
    notifier.answeredWith(caller.staffId, caller.deviceId, {
      token: answer.nextBatch,
      heard,
      oneTimeKeyCounts: answer.oneTimeKeyCounts,
      unusedFallbackKeyTypes: answer.unusedFallbackKeyTypes,
    });
    return answer.body;
  }

  private finish(answer: unknown, err?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.ctx.notifier.unlisten(this.caller.staffId, this);
    if (err === undefined) this.resolve(answer);
    else this.reject(err);
  }
}

function timedOut(poll: LongPoll): void {
  poll.lookAgain(true);
}

/** A /sync answer, and what a later answer from memory repeats of it. */
interface SyncAnswer {
  /** The body: an object, or its JSON text already made. */
  body: unknown;
  nextBatch: string;
  oneTimeKeyCounts: Record<string, number>;
  unusedFallbackKeyTypes: string[];
}

/** The answer to a poll abandoned before anything was read: nothing new, same token. */
function emptyAnswer(opts: SyncOptions) {
  return { next_batch: streamToken(opts.since ?? 0), rooms: { join: {}, invite: {}, leave: {} } };
}

interface MembershipState {
  room_id: string;
  membership: Membership;
  stream_pos: number;
  visible_from: number | null;
  visible_until: number | null;
  forgotten: boolean;
}

async function buildSync(ctx: MatrixContext, caller: Caller, opts: SyncOptions): Promise<{ answer: SyncAnswer; hasNews: boolean }> {
  const q = ctx.deps.db;
  const now = ctx.deps.clock.now().getTime();
  // Read the head first: every change at or below it has committed.
  if (opts.since !== undefined && !opts.fullState) {
    const quick = await timelineOnlySync(ctx, caller, opts.since, now, opts.timelineLimit);
    if (quick) return quick;
  }
  const head = await headPos(q);
  const since = opts.since;
  const initial = since === undefined;
  const after = since ?? 0;

  // The device acknowledged everything up to `since`: those to-device messages are done.
  if (!initial)
    await q.query('DELETE FROM matrix_to_device WHERE staff_id = $1 AND device_id = $2 AND stream_pos <= $3', [caller.staffId, caller.deviceId, since]);

  const memberships = await q.query<MembershipState>(
    `SELECT room_id, membership, stream_pos, visible_from, visible_until, forgotten
       FROM matrix_memberships WHERE staff_id = $1 AND stream_pos <= $2`,
    [caller.staffId, head],
  );

  const join: Record<string, unknown> = {};
  const invite: Record<string, unknown> = {};
  const leave: Record<string, unknown> = {};
  const newlyJoined: string[] = [];
  const leftRooms: string[] = [];

  for (const m of memberships) {
    if (m.membership === 'join') {
      const fresh = initial || opts.fullState || Number(m.visible_from) > after;
      if (fresh && !initial) newlyJoined.push(m.room_id);
      const room = await joinedRoom(ctx, q, caller, m, { head, after, fresh, now, limit: opts.timelineLimit, initial });
      if (room) join[m.room_id] = room;
    } else if (m.membership === 'invite') {
      if (initial || opts.fullState || m.stream_pos > after) invite[m.room_id] = { invite_state: { events: await strippedState(q, m.room_id) } };
    } else if (!m.forgotten && (initial ? opts.includeLeave : m.stream_pos > after)) {
      leftRooms.push(m.room_id);
      leave[m.room_id] = await leftRoom(q, caller, m, after, now, opts.timelineLimit);
    }
  }

  const toDevice = await q.query<{ sender: string; type: string; content: unknown }>(
    `SELECT sender, type, content FROM matrix_to_device WHERE staff_id = $1 AND device_id = $2 AND stream_pos <= $3 ORDER BY stream_pos, id`,
    [caller.staffId, caller.deviceId, head],
  );
  const accountData = await q.query<{ type: string; content: unknown }>(
    `SELECT type, content FROM matrix_account_data WHERE staff_id = $1 AND room_id = '' AND stream_pos > $2 AND stream_pos <= $3`,
    [caller.staffId, after, head],
  );
  const deviceLists = initial ? { changed: [], left: [] } : await deviceListChanges(ctx, q, caller, after, head, newlyJoined, leftRooms);

  const response = {
    next_batch: streamToken(head),
    rooms: { join, invite, leave },
    to_device: { events: toDevice },
    device_lists: deviceLists,
    device_one_time_keys_count: await oneTimeKeyCounts(q, caller.staffId, caller.deviceId),
    device_unused_fallback_key_types: await unusedFallbackKeyTypes(q, caller.staffId, caller.deviceId),
    account_data: { events: accountData },
    presence: { events: [] },
  };
  const hasNews =
    Object.keys(join).length + Object.keys(invite).length + Object.keys(leave).length + toDevice.length + accountData.length > 0 ||
    deviceLists.changed.length + deviceLists.left.length > 0;
  const answer = {
    body: response,
    nextBatch: response.next_batch,
    oneTimeKeyCounts: response.device_one_time_keys_count,
    unusedFallbackKeyTypes: response.device_unused_fallback_key_types,
  };
  return { answer, hasNews };
}

/**
 * The common case of an incremental sync, in three queries: when nothing but
 * new timeline events happened since `since` (no membership, key, to-device,
 * account data, typing or receipt changes, no room over the timeline limit),
 * the answer is those events. Otherwise undefined: the full build runs.
 */
async function timelineOnlySync(ctx: MatrixContext, caller: Caller, since: number, now: number, limit: number) {
  const q = ctx.deps.db;
  // One statement, one snapshot: the head, whether anything but timeline events
  // changed, the key counts, and (if nothing else changed) the new events.
  const rows = await q.query<MessageRow & { head: number; other: boolean; otk: Record<string, number> | null; fallback: string[] }>(
    `WITH h AS (SELECT pos FROM matrix_stream_head WHERE id = 1),
     f AS (
     SELECT h.pos AS head,
            EXISTS (SELECT 1 FROM matrix_to_device WHERE staff_id = $1 AND device_id = $3)
         OR EXISTS (SELECT 1 FROM matrix_memberships WHERE staff_id = $1 AND stream_pos > $2)
         OR EXISTS (SELECT 1 FROM matrix_account_data WHERE staff_id = $1 AND stream_pos > $2 AND stream_pos <= h.pos)
         OR EXISTS (SELECT 1 FROM matrix_device_list_changes WHERE stream_pos > $2 AND stream_pos <= h.pos)
         OR EXISTS (SELECT 1 FROM matrix_memberships me JOIN matrix_memberships o ON o.room_id = me.room_id
                     WHERE me.staff_id = $1 AND me.membership = 'join' AND o.stream_pos > $2 AND o.stream_pos <= h.pos)
         OR EXISTS (SELECT 1 FROM matrix_memberships me JOIN matrix_typing t ON t.room_id = me.room_id
                     WHERE me.staff_id = $1 AND me.membership = 'join' AND t.stream_pos > $2 AND t.stream_pos <= h.pos)
         OR EXISTS (SELECT 1 FROM matrix_memberships me JOIN matrix_receipts r ON r.room_id = me.room_id
                     WHERE me.staff_id = $1 AND me.membership = 'join' AND r.stream_pos > $2 AND r.stream_pos <= h.pos) AS other,
            (SELECT json_object_agg(algorithm, n) FROM (SELECT algorithm, count(*)::int AS n FROM matrix_one_time_keys
              WHERE staff_id = $1 AND device_id = $3 GROUP BY algorithm) k) AS otk,
            ARRAY(SELECT algorithm FROM matrix_fallback_keys WHERE staff_id = $1 AND device_id = $3 AND NOT used ORDER BY algorithm) AS fallback
       FROM h)
     SELECT f.head, f.other, f.otk, f.fallback, ev.* FROM f LEFT JOIN LATERAL (
       SELECT ${MESSAGE_COLUMNS} FROM matrix_memberships m JOIN matrix_events e ON e.room_id = m.room_id
        WHERE NOT f.other AND m.staff_id = $1 AND m.membership = 'join'
          AND e.stream_pos > GREATEST($2::bigint, m.visible_from - 1) AND e.stream_pos <= f.head) ev ON true
     ORDER BY ev.stream_pos`,
    [caller.staffId, since, caller.deviceId],
  );
  const flags = rows[0];
  const head = Number(flags.head);
  if (flags.other) return undefined;
  const events = rows.filter((r) => r.event_id !== null);
  const answer = timelineAnswer(caller, events, head, now, limit, { signed_curve25519: 0, ...(flags.otk ?? {}) }, flags.fallback);
  return answer && { answer, hasNews: events.length > 0 };
}

/**
 * The answer when only timeline events are new: those events, grouped by
 * room; undefined when a room has more than the limit. Made as pieces of
 * JSON text, the events' content put in as the text it is.
 */
function timelineAnswer(
  caller: Caller,
  events: MessageRow[],
  head: number,
  now: number,
  limit: number,
  oneTimeKeyCounts: Record<string, number>,
  unusedFallbackKeyTypes: string[],
): SyncAnswer | undefined {
  const byRoom = new Map<string, MessageRow[]>();
  for (const e of events) {
    let list = byRoom.get(e.room_id);
    if (!list) byRoom.set(e.room_id, (list = []));
    list.push(e);
  }
  if ([...byRoom.values()].some((l) => l.length > limit)) return undefined;
  const nextBatch = streamToken(head);
  const out = [`{"next_batch":"${nextBatch}","rooms":{"join":{`];
  let firstRoom = true;
  for (const [roomId, list] of byRoom) {
    out.push(`${firstRoom ? '' : ','}${JSON.stringify(roomId)}:{"timeline":{"events":[`);
    firstRoom = false;
    list.forEach((e, i) => {
      if (i) out.push(',');
      clientEventJson(e, caller, now, out);
    });
    out.push(
      `],"limited":false,"prev_batch":"${streamToken(Number(list[0].stream_pos) - 1)}"},"state":{"events":[]},"ephemeral":{"events":[]},` +
        `"account_data":{"events":[]},"unread_notifications":{},"summary":{}}`,
    );
  }
  out.push(
    `},"invite":{},"leave":{}},"to_device":{"events":[]},"device_lists":{"changed":[],"left":[]},` +
      `"device_one_time_keys_count":${JSON.stringify(oneTimeKeyCounts)},"device_unused_fallback_key_types":${JSON.stringify(unusedFallbackKeyTypes)},` +
      `"account_data":{"events":[]},"presence":{"events":[]}}`,
  );
  return { body: new JsonPieces(out), nextBatch, oneTimeKeyCounts, unusedFallbackKeyTypes };
}

async function joinedRoom(
  ctx: MatrixContext,
  q: Queryable,
  caller: Caller,
  m: MembershipState,
  o: { head: number; after: number; fresh: boolean; now: number; limit: number; initial: boolean },
) {
  const visibleFrom = Number(m.visible_from ?? m.stream_pos);
  const lower = o.fresh ? visibleFrom - 1 : Math.max(o.after, visibleFrom - 1);
  const rows = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.stream_pos > $2 AND e.stream_pos <= $3
      ORDER BY e.stream_pos DESC LIMIT $4`,
    [m.room_id, lower, o.head, o.limit + 1],
  );
  const limited = rows.length > o.limit;
  const timeline = rows.slice(0, o.limit).reverse();
  const firstPos = timeline[0]?.stream_pos ?? o.head + 1;

  let state: EventRow[] = [];
  if (o.fresh) state = (await currentState(q, m.room_id)).filter((e) => e.stream_pos < firstPos);
  else if (limited)
    state = await q.query<EventRow>(
      `SELECT DISTINCT ON (e.type, e.state_key) ${EVENT_COLUMNS} FROM matrix_events e
        WHERE e.room_id = $1 AND e.state_key IS NOT NULL AND e.stream_pos > $2 AND e.stream_pos < $3
        ORDER BY e.type, e.state_key, e.stream_pos DESC`,
      [m.room_id, o.after, firstPos],
    );

  const ephemeral = await ephemeralEvents(ctx, q, caller, m.room_id, o.fresh ? 0 : o.after, o.head, o.now);
  const roomAccountData = await q.query<{ type: string; content: unknown }>(
    `SELECT type, content FROM matrix_account_data WHERE staff_id = $1 AND room_id = $2 AND stream_pos > $3 AND stream_pos <= $4`,
    [caller.staffId, m.room_id, o.fresh ? 0 : o.after, o.head],
  );
  if (!o.fresh && !timeline.length && !ephemeral.length && !roomAccountData.length) return undefined;
  return {
    timeline: {
      events: timeline.map((e) => clientEvent(e, caller, o.now, false)),
      limited,
      prev_batch: streamToken(firstPos - 1),
    },
    state: { events: state.map((e) => clientEvent(e, caller, o.now, false)) },
    ephemeral: { events: ephemeral },
    account_data: { events: roomAccountData },
    unread_notifications: {},
    summary: {},
  };
}

async function leftRoom(q: Queryable, caller: Caller, m: MembershipState, after: number, now: number, limit: number) {
  // History up to the leave, from the join on (a rejected invite shows just the leave).
  const lower = m.visible_from !== null ? Math.max(after, Number(m.visible_from) - 1) : m.stream_pos - 1;
  const rows = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.stream_pos > $2 AND e.stream_pos <= $3
      ORDER BY e.stream_pos DESC LIMIT $4`,
    [m.room_id, lower, m.stream_pos, limit + 1],
  );
  const timeline = rows.slice(0, limit).reverse();
  return {
    timeline: {
      events: timeline.map((e) => clientEvent(e, caller, now, false)),
      limited: rows.length > limit,
      prev_batch: streamToken((timeline[0]?.stream_pos ?? m.stream_pos) - 1),
    },
    state: { events: [] },
    account_data: { events: [] },
  };
}

/** What an invitee may see of the room before joining: the spec's stripped state. */
async function strippedState(q: Queryable, roomId: string) {
  const shown = new Set(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.encryption', 'm.room.topic']);
  const state = await currentState(q, roomId);
  return state
    .filter((e) => shown.has(e.type) || e.type === 'm.room.member')
    .filter((e) => e.type !== 'm.room.member' || e.content.membership === 'invite' || e.content.membership === 'join')
    .map((e) => ({ type: e.type, state_key: e.state_key, sender: e.sender, content: e.content }));
}

async function ephemeralEvents(ctx: MatrixContext, q: Queryable, caller: Caller, roomId: string, after: number, head: number, now: number) {
  const events: unknown[] = [];
  const typing = await q.query<{ staff_id: string; until_ts: number; stream_pos: number }>(
    'SELECT staff_id, until_ts, stream_pos FROM matrix_typing WHERE room_id = $1 AND stream_pos <= $2',
    [roomId, head],
  );
  const typingNow = typing.filter((t) => Number(t.until_ts) > now).map((t) => ctx.ids.userId(t.staff_id));
  if (after === 0 ? typingNow.length > 0 : typing.some((t) => Number(t.stream_pos) > after))
    events.push({ type: 'm.typing', content: { user_ids: typingNow } });

  const receipts = await q.query<{ staff_id: string; receipt_type: string; thread_id: string; event_id: string; ts: number }>(
    `SELECT staff_id, receipt_type, thread_id, event_id, ts FROM matrix_receipts
      WHERE room_id = $1 AND stream_pos > $2 AND stream_pos <= $3 AND (receipt_type <> 'm.read.private' OR staff_id = $4)`,
    [roomId, after, head, caller.staffId],
  );
  if (receipts.length) {
    const content: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const r of receipts)
      ((content[r.event_id] ??= {})[r.receipt_type] ??= {})[ctx.ids.userId(r.staff_id)] = {
        ts: Number(r.ts),
        ...(r.thread_id ? { thread_id: r.thread_id } : {}),
      };
    events.push({ type: 'm.receipt', content });
  }
  return events;
}

/** Who to (re)fetch keys for: people sharing a room whose devices or memberships changed; who one no longer shares any room with. */
async function deviceListChanges(
  ctx: MatrixContext,
  q: Queryable,
  caller: Caller,
  after: number,
  head: number,
  newlyJoined: string[],
  leftRooms: string[],
) {
  const sharing = await sharingUsers(q, caller.staffId);
  const changed = new Set<string>();
  const gone = new Set<string>();
  const keyRows = await q.query<{ staff_id: string }>(
    'SELECT DISTINCT staff_id FROM matrix_device_list_changes WHERE stream_pos > $1 AND stream_pos <= $2 AND staff_id = ANY($3::text[])',
    [after, head, [...sharing]],
  );
  for (const r of keyRows) changed.add(r.staff_id);
  const memberRows = await q.query<{ staff_id: string; membership: Membership }>(
    `SELECT o.staff_id, o.membership FROM matrix_memberships o
      WHERE o.room_id IN (SELECT room_id FROM matrix_memberships WHERE staff_id = $1 AND membership = 'join')
        AND o.stream_pos > $2 AND o.stream_pos <= $3`,
    [caller.staffId, after, head],
  );
  for (const r of memberRows) (r.membership === 'join' || r.membership === 'invite' ? changed : gone).add(r.staff_id);
  if (newlyJoined.length || leftRooms.length) {
    const rows = await q.query<{ room_id: string; staff_id: string }>(
      `SELECT room_id, staff_id FROM matrix_memberships WHERE room_id = ANY($1::text[]) AND membership IN ('join', 'invite', 'leave')`,
      [[...newlyJoined, ...leftRooms]],
    );
    for (const r of rows) (newlyJoined.includes(r.room_id) ? changed : gone).add(r.staff_id);
  }
  const left = [...gone].filter((s) => !sharing.has(s));
  return {
    changed: [...changed].filter((s) => sharing.has(s)).map((s) => ctx.ids.userId(s)),
    left: left.map((s) => ctx.ids.userId(s)),
  };
}
