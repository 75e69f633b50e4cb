// Reading a room (history, state, members, single events) and the small
// per-person data around it: receipts, read markers, typing, account data.
// Only members read a room, and only the part of its history after they joined.
import type { Queryable } from '../store/db.ts';
import { type Caller, type EventRow, EVENT_COLUMNS, type MatrixContext, clientEvent, write } from './context.ts';
import { MatrixError, mxForbidden, mxInvalidParam, mxNotFound } from './errors.ts';
import { currentState, type MembershipRow, requireJoined, roomMembers, stateEvent } from './rooms.ts';
import { checkRoomAccountData } from './conference-content.ts';
import { headPos, lockStream, nextPos, parseStreamToken, streamToken } from './stream.ts';

/** The stream positions of a room's history the caller may read. */
function visibleRange(m: MembershipRow): { from: number; until: number } {
  return { from: Number(m.visible_from ?? Number.MAX_SAFE_INTEGER), until: Number(m.visible_until ?? Number.MAX_SAFE_INTEGER) };
}

function token(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const pos = parseStreamToken(value);
  if (pos === undefined) throw mxInvalidParam(`${name} is not a valid token`);
  return pos;
}

export async function messages(
  ctx: MatrixContext,
  caller: Caller,
  roomId: string,
  opts: { dir: string; from?: string; to?: string; limit?: string },
) {
  if (opts.dir !== 'b' && opts.dir !== 'f') throw mxInvalidParam("dir must be 'b' or 'f'");
  const limit = opts.limit === undefined ? 10 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw mxInvalidParam('limit must be a non-negative integer');
  const n = Math.min(limit, 100);
  const q = ctx.deps.db;
  const m = await requireJoined(q, roomId, caller);
  const { from: visibleFrom, until } = visibleRange(m);
  const head = await headPos(q);
  const now = ctx.deps.clock.now().getTime();
  const fromPos = token(opts.from, 'from');
  const toPos = token(opts.to, 'to');
  let rows: EventRow[];
  let start: number;
  let end: number | undefined;
  if (opts.dir === 'b') {
    start = Math.min(fromPos ?? head, head);
    const lowest = Math.max(visibleFrom, (toPos ?? -1) + 1);
    rows = await q.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.stream_pos <= $2 AND e.stream_pos >= $3 AND e.stream_pos <= $4
        ORDER BY e.stream_pos DESC LIMIT $5`,
      [roomId, start, lowest, until, n],
    );
    if (rows.length === n && n > 0) end = rows[rows.length - 1].stream_pos - 1;
  } else {
    start = fromPos ?? visibleFrom - 1;
    const highest = Math.min(head, until, toPos ?? Number.MAX_SAFE_INTEGER);
    rows = await q.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.stream_pos > $2 AND e.stream_pos >= $3 AND e.stream_pos <= $4
        ORDER BY e.stream_pos ASC LIMIT $5`,
      [roomId, start, visibleFrom, highest, n],
    );
    if (rows.length) end = rows[rows.length - 1].stream_pos;
  }
  return {
    start: streamToken(start),
    ...(end !== undefined ? { end: streamToken(end) } : {}),
    chunk: rows.map((e) => clientEvent(e, caller, now)),
  };
}

export async function getEvent(ctx: MatrixContext, caller: Caller, roomId: string, eventId: string) {
  const q = ctx.deps.db;
  const m = await requireJoined(q, roomId, caller);
  const { from, until } = visibleRange(m);
  const rows = await q.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.event_id = $2`, [roomId, eventId]);
  const e = rows[0];
  // Current state is readable whenever one is joined; history only inside one's window.
  const isCurrentState = e && e.state_key !== null && (await stateEvent(q, roomId, e.type, e.state_key))?.event_id === e.event_id;
  if (!e || (!isCurrentState && (e.stream_pos < from || e.stream_pos > until))) throw mxNotFound('Event not found');
  return clientEvent(e, caller, ctx.deps.clock.now().getTime());
}

/** An event with the events around it (GET /rooms/{roomId}/context/{eventId}), inside the caller's window. */
export async function eventContext(ctx: MatrixContext, caller: Caller, roomId: string, eventId: string, limitParam: string | undefined) {
  const limit = limitParam === undefined ? 10 : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 0) throw mxInvalidParam('limit must be a non-negative integer');
  const q = ctx.deps.db;
  const m = await requireJoined(q, roomId, caller);
  const { from, until } = visibleRange(m);
  const head = await headPos(q);
  const rows = await q.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.event_id = $2`, [roomId, eventId]);
  const e = rows[0];
  if (!e || e.stream_pos < from || e.stream_pos > until) throw mxNotFound('Event not found');
  const half = Math.floor(Math.min(limit, 100) / 2);
  const before = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.stream_pos < $2 AND e.stream_pos >= $3 ORDER BY e.stream_pos DESC LIMIT $4`,
    [roomId, e.stream_pos, from, half],
  );
  const after = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM matrix_events e WHERE e.room_id = $1 AND e.stream_pos > $2 AND e.stream_pos <= $3 ORDER BY e.stream_pos ASC LIMIT $4`,
    [roomId, e.stream_pos, Math.min(until, head), Math.min(limit, 100) - half],
  );
  const now = ctx.deps.clock.now().getTime();
  return {
    event: clientEvent(e, caller, now),
    events_before: before.map((r) => clientEvent(r, caller, now)),
    events_after: after.map((r) => clientEvent(r, caller, now)),
    start: streamToken((before[before.length - 1]?.stream_pos ?? e.stream_pos) - 1),
    end: streamToken(after[after.length - 1]?.stream_pos ?? e.stream_pos),
    state: (await currentState(q, roomId)).map((r) => clientEvent(r, caller, now)),
  };
}

export async function roomState(ctx: MatrixContext, caller: Caller, roomId: string) {
  await requireJoined(ctx.deps.db, roomId, caller);
  const now = ctx.deps.clock.now().getTime();
  return (await currentState(ctx.deps.db, roomId)).map((e) => clientEvent(e, caller, now));
}

export async function roomStateContent(ctx: MatrixContext, caller: Caller, roomId: string, type: string, stateKey: string) {
  await requireJoined(ctx.deps.db, roomId, caller);
  const e = await stateEvent(ctx.deps.db, roomId, type, stateKey);
  if (!e) throw mxNotFound('No such state event');
  return e.content;
}

export async function members(ctx: MatrixContext, caller: Caller, roomId: string, opts: { membership?: string; not_membership?: string }) {
  await requireJoined(ctx.deps.db, roomId, caller);
  const now = ctx.deps.clock.now().getTime();
  const chunk = (await currentState(ctx.deps.db, roomId))
    .filter((e) => e.type === 'm.room.member')
    .filter((e) => !opts.membership || e.content.membership === opts.membership)
    .filter((e) => !opts.not_membership || e.content.membership !== opts.not_membership)
    .map((e) => clientEvent(e, caller, now));
  return { chunk };
}

export async function joinedMembers(ctx: MatrixContext, caller: Caller, roomId: string) {
  await requireJoined(ctx.deps.db, roomId, caller);
  const joined: Record<string, unknown> = {};
  for (const e of await currentState(ctx.deps.db, roomId))
    if (e.type === 'm.room.member' && e.content.membership === 'join')
      joined[e.state_key!] = { display_name: (e.content.displayname as string | undefined) ?? null, avatar_url: null };
  return { joined };
}

export async function joinedRooms(q: Queryable, caller: Caller) {
  const rows = await q.query<{ room_id: string }>(`SELECT room_id FROM matrix_memberships WHERE staff_id = $1 AND membership = 'join'`, [caller.staffId]);
  return { joined_rooms: rows.map((r) => r.room_id) };
}

// ---- receipts, read markers, typing ----

export const RECEIPT_TYPES = new Set(['m.read', 'm.read.private', 'm.fully_read']);

async function requireVisibleEvent(q: Queryable, roomId: string, eventId: string, m: MembershipRow): Promise<void> {
  const { from, until } = visibleRange(m);
  const rows = await q.query<{ stream_pos: number }>('SELECT stream_pos FROM matrix_events WHERE room_id = $1 AND event_id = $2', [roomId, eventId]);
  const pos = rows[0]?.stream_pos;
  if (pos === undefined || pos < from || pos > until) throw mxNotFound('Event not found');
}

/** Stores read receipts and the fully-read marker; `marks` maps receipt type to event id. */
export async function markRead(ctx: MatrixContext, caller: Caller, roomId: string, marks: Record<string, string>, threadId = '') {
  await write(ctx, async (q, wake) => {
    await lockStream(q);
    const m = await requireJoined(q, roomId, caller);
    let others = false;
    for (const [type, eventId] of Object.entries(marks)) {
      if (!RECEIPT_TYPES.has(type)) throw mxInvalidParam(`Unknown receipt type ${type}`);
      await requireVisibleEvent(q, roomId, eventId, m);
      const pos = await nextPos(q);
      if (type === 'm.fully_read') {
        await putAccountData(q, caller.staffId, roomId, 'm.fully_read', { event_id: eventId }, pos);
        continue;
      }
      await q.query(
        `INSERT INTO matrix_receipts (room_id, staff_id, receipt_type, thread_id, event_id, ts, stream_pos) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (room_id, staff_id, receipt_type, thread_id) DO UPDATE SET event_id = EXCLUDED.event_id, ts = EXCLUDED.ts, stream_pos = EXCLUDED.stream_pos`,
        [roomId, caller.staffId, type, threadId, eventId, ctx.deps.clock.now().getTime(), pos],
      );
      if (type === 'm.read') others = true;
    }
    wake.add(caller.staffId);
    if (others) for (const s of await roomMembers(q, roomId, ['join'])) wake.add(s);
  });
}

export async function setTyping(ctx: MatrixContext, caller: Caller, roomId: string, typing: boolean, timeoutMs: number) {
  await write(ctx, async (q, wake) => {
    await lockStream(q);
    await requireJoined(q, roomId, caller);
    const until = typing ? ctx.deps.clock.now().getTime() + Math.min(Math.max(timeoutMs, 0), 120_000) : 0;
    await q.query(
      `INSERT INTO matrix_typing (room_id, staff_id, until_ts, stream_pos) VALUES ($1, $2, $3, $4)
       ON CONFLICT (room_id, staff_id) DO UPDATE SET until_ts = EXCLUDED.until_ts, stream_pos = EXCLUDED.stream_pos`,
      [roomId, caller.staffId, until, await nextPos(q)],
    );
    for (const s of await roomMembers(q, roomId, ['join'])) wake.add(s);
  });
}

// ---- account data ----

async function putAccountData(q: Queryable, staffId: string, roomId: string, type: string, content: unknown, pos: number) {
  await q.query(
    `INSERT INTO matrix_account_data (staff_id, room_id, type, content, stream_pos) VALUES ($1, $2, $3, $4::jsonb, $5)
     ON CONFLICT (staff_id, room_id, type) DO UPDATE SET content = EXCLUDED.content, stream_pos = EXCLUDED.stream_pos`,
    [staffId, roomId, type, JSON.stringify(content), pos],
  );
}

export async function setAccountData(ctx: MatrixContext, caller: Caller, roomId: string, type: string, content: Record<string, unknown>) {
  if (type === 'm.fully_read' || type === 'm.push_rules')
    throw new MatrixError(405, 'M_BAD_JSON', `${type} cannot be set through the account data API`);
  // Every room is a conference: what a person keeps about one holds codes only.
  if (roomId) checkRoomAccountData(type, content);
  await write(ctx, async (q, wake) => {
    await lockStream(q);
    if (roomId) {
      const m = await q.query('SELECT 1 FROM matrix_memberships WHERE room_id = $1 AND staff_id = $2', [roomId, caller.staffId]);
      if (!m.length) throw mxForbidden('You are not in this room');
    }
    await putAccountData(q, caller.staffId, roomId, type, content, await nextPos(q));
    wake.add(caller.staffId);
  });
}

export async function getAccountData(ctx: MatrixContext, caller: Caller, roomId: string, type: string) {
  const rows = await ctx.deps.db.query<{ content: unknown }>(
    'SELECT content FROM matrix_account_data WHERE staff_id = $1 AND room_id = $2 AND type = $3',
    [caller.staffId, roomId, type],
  );
  if (!rows[0]) throw mxNotFound('No account data of that type');
  return rows[0].content;
}
