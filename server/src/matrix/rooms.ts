// Rooms: every room is a case conference — Megolm-encrypted from its first
// event, invite-only, history visible to members from their join on. The
// server refuses anything that would put readable content on the server or
// weaken those settings, and asks the control-plane policy who may be invited.
import { canInviteToConference } from '../auth/policies.ts';
import type { Queryable } from '../store/db.ts';
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import { type Caller, type EventRow, EVENT_COLUMNS, type MatrixContext, write } from './context.ts';
import { MatrixError, mxBadJson, mxForbidden, mxInvalidParam, mxNotFound } from './errors.ts';
import { newEventId } from './ids.ts';
import { lockStream, nextPos } from './stream.ts';
import type { MessageBatch, RecentEvent } from './recent.ts';
import { MEGOLM, checkMemberContent, checkRoomCode, checkStateContent } from './conference-content.ts';

export const ROOM_VERSION = '10';

/** The settings a conference keeps for its whole life. */
const FIXED_STATE: Record<string, (content: Record<string, unknown>) => boolean> = {
  'm.room.encryption': (c) => c.algorithm === MEGOLM,
  'm.room.join_rules': (c) => c.join_rule === 'invite',
  'm.room.history_visibility': (c) => c.history_visibility === 'joined',
  'm.room.guest_access': (c) => c.guest_access === 'forbidden',
};

/** State a member may set besides the fixed settings (names and topics are codes: conference-content.ts). */
const SETTABLE_STATE = new Set(['m.room.name', 'm.room.topic', 'm.room.avatar', 'm.room.power_levels', 'm.room.pinned_events']);

/** The only message event type a conference accepts: Megolm ciphertext. */
export const ENCRYPTED = 'm.room.encrypted';

export type Membership = 'invite' | 'join' | 'leave' | 'ban';

export interface MembershipRow {
  membership: Membership;
  stream_pos: number;
  visible_from: number | null;
  visible_until: number | null;
  forgotten: boolean;
}

export async function membershipOf(q: Queryable, roomId: string, staffId: string): Promise<MembershipRow | undefined> {
  const rows = await q.query<MembershipRow>(
    'SELECT membership, stream_pos, visible_from, visible_until, forgotten FROM matrix_memberships WHERE room_id = $1 AND staff_id = $2',
    [roomId, staffId],
  );
  return rows[0];
}

/** The caller's membership, required to be 'join'; otherwise 403 (whether the room exists or not). */
export async function requireJoined(q: Queryable, roomId: string, caller: Caller): Promise<MembershipRow> {
  const m = await membershipOf(q, roomId, caller.staffId);
  if (m?.membership !== 'join') throw mxForbidden('You are not a member of this room');
  return m;
}

export async function roomMembers(q: Queryable, roomId: string, memberships: Membership[] = ['join', 'invite']): Promise<string[]> {
  const rows = await q.query<{ staff_id: string }>(
    'SELECT staff_id FROM matrix_memberships WHERE room_id = $1 AND membership = ANY($2::text[])',
    [roomId, memberships],
  );
  return rows.map((r) => r.staff_id);
}

export async function currentState(q: Queryable, roomId: string): Promise<EventRow[]> {
  return q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM matrix_room_state s JOIN matrix_events e ON e.stream_pos = s.stream_pos
      WHERE s.room_id = $1 ORDER BY e.stream_pos`,
    [roomId],
  );
}

export async function stateEvent(q: Queryable, roomId: string, type: string, stateKey: string): Promise<EventRow | undefined> {
  const rows = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM matrix_room_state s JOIN matrix_events e ON e.stream_pos = s.stream_pos
      WHERE s.room_id = $1 AND s.type = $2 AND s.state_key = $3`,
    [roomId, type, stateKey],
  );
  return rows[0];
}

interface NewEvent {
  roomId: string;
  senderStaffId: string;
  type: string;
  stateKey?: string;
  content: Record<string, unknown>;
  deviceId?: string;
  txnId?: string;
}

/** Appends an event (and for state, the room's current state and memberships) at the next stream position. */
async function appendEvent(ctx: MatrixContext, q: Queryable, ev: NewEvent): Promise<EventRow> {
  const pos = await nextPos(q);
  const row: EventRow = {
    stream_pos: pos,
    event_id: newEventId(),
    room_id: ev.roomId,
    sender: ctx.ids.userId(ev.senderStaffId),
    type: ev.type,
    state_key: ev.stateKey ?? null,
    content: ev.content,
    origin_server_ts: ctx.deps.clock.now().getTime(),
    sender_staff_id: ev.senderStaffId,
    device_id: ev.deviceId ?? null,
    txn_id: ev.txnId ?? null,
  };
  await q.query(
    `INSERT INTO matrix_events (stream_pos, event_id, room_id, sender, type, state_key, content, origin_server_ts, sender_staff_id, device_id, txn_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)`,
    [pos, row.event_id, row.room_id, row.sender, row.type, row.state_key, JSON.stringify(row.content), row.origin_server_ts, row.sender_staff_id, row.device_id, row.txn_id],
  );
  if (ev.stateKey !== undefined) {
    await q.query(
      `INSERT INTO matrix_room_state (room_id, type, state_key, stream_pos) VALUES ($1, $2, $3, $4)
       ON CONFLICT (room_id, type, state_key) DO UPDATE SET stream_pos = EXCLUDED.stream_pos`,
      [ev.roomId, ev.type, ev.stateKey, pos],
    );
    if (ev.type === 'm.room.member') {
      const target = ctx.ids.staffId(ev.stateKey)!;
      await q.query(
        `INSERT INTO matrix_memberships (room_id, staff_id, membership, stream_pos, visible_from, visible_until)
         VALUES ($1, $2, $3::text, $4::bigint, CASE WHEN $3::text = 'join' THEN $4::bigint END, NULL)
         ON CONFLICT (room_id, staff_id) DO UPDATE SET
           membership = EXCLUDED.membership, stream_pos = EXCLUDED.stream_pos, forgotten = false,
           visible_from = CASE WHEN EXCLUDED.membership = 'join' AND matrix_memberships.membership <> 'join'
                               THEN EXCLUDED.stream_pos ELSE matrix_memberships.visible_from END,
           visible_until = CASE WHEN EXCLUDED.membership = 'join' THEN NULL
                                WHEN matrix_memberships.membership = 'join' THEN EXCLUDED.stream_pos
                                ELSE matrix_memberships.visible_until END`,
        [ev.roomId, target, ev.content.membership, pos],
      );
    }
  }
  return row;
}

// ---- power levels (the spec's defaults for a private chat; the creator holds 100) ----

type PowerLevels = {
  users?: Record<string, number>;
  users_default?: number;
  events?: Record<string, number>;
  events_default?: number;
  state_default?: number;
  invite?: number;
  kick?: number;
  ban?: number;
  redact?: number;
};

function defaultPowerLevels(creatorUserId: string): PowerLevels & Record<string, unknown> {
  return {
    users: { [creatorUserId]: 100 },
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
      'm.room.join_rules': 100,
      'm.room.guest_access': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    notifications: { room: 50 },
  };
}

export async function powerLevels(q: Queryable, roomId: string): Promise<PowerLevels> {
  return ((await stateEvent(q, roomId, 'm.room.power_levels', ''))?.content ?? {}) as PowerLevels;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const userLevel = (pl: PowerLevels, userId: string) => num(pl.users?.[userId], num(pl.users_default, 0));
const eventLevel = (pl: PowerLevels, type: string, state: boolean) =>
  num(pl.events?.[type], state ? num(pl.state_default, 50) : num(pl.events_default, 0));

/**
 * The power-level rule for sending an event: the sender's level reaches the
 * type's. It and the membership check before it (requireJoined) have a twin
 * for message events in SQL, in matrix_append_messages (migration 0026), and
 * both stay: group commit checks a whole batch of sends in one statement under
 * the stream lock, with no round trip per send, while state events, invites,
 * kicks and level changes are decided here with the content in hand.
 * send-rules.test.ts runs one table of cases through both and requires the
 * same answers. They could part only on a level beyond what a JavaScript
 * number holds, which conference-content.ts never lets be stored.
 */
export function canSend(pl: PowerLevels, userId: string, type: string, state: boolean): boolean {
  return userLevel(pl, userId) >= eventLevel(pl, type, state);
}

function requireLevel(pl: PowerLevels, userId: string, needed: number, what: string): void {
  if (userLevel(pl, userId) < needed) throw mxForbidden(`Your power level is too low to ${what}`);
}

// ---- conference rules ----

function checkStateAllowed(type: string, stateKey: string, content: Record<string, unknown>, caller: Caller): void {
  const fixed = FIXED_STATE[type];
  if (fixed) {
    if (stateKey !== '' || !fixed(content)) throw mxForbidden(`A case conference keeps its ${type} setting`);
    checkStateContent(type, content);
    return;
  }
  if (!SETTABLE_STATE.has(type)) throw mxForbidden(`State events of type ${type} are not accepted in a case conference`);
  if (stateKey.startsWith('@') && stateKey !== caller.userId) throw mxForbidden('You may only set state keyed to yourself');
  checkStateContent(type, content);
}

async function inviteeAllowed(ctx: MatrixContext, q: Queryable, inviter: Caller, inviteeStaffId: string, roomId: string | undefined): Promise<{ displayName: string }> {
  const directory = await ctx.deps.directory.snapshot(q);
  const invitee = directory.staff(inviteeStaffId);
  const granted = !!invitee && !!roomId && (await q.query('SELECT 1 FROM conference_grants WHERE room_id = $1 AND staff_id = $2', [roomId, inviteeStaffId])).length > 0;
  // Unknown and not-allowed people get the same answer: no probing of the directory.
  if (!invitee || !canInviteToConference(inviter, { active: invitee.active, rootOrganisationId: directory.rootOf(inviteeStaffId)! }, granted))
    throw mxForbidden('This person may not be invited to this conference');
  return { displayName: invitee.displayName };
}

function inviteeStaffId(ctx: MatrixContext, userId: unknown): string {
  const staffId = typeof userId === 'string' ? ctx.ids.staffId(userId) : undefined;
  if (!staffId) throw mxForbidden('This person may not be invited to this conference');
  return staffId;
}

async function displayNameOf(ctx: MatrixContext, q: Queryable, staffId: string): Promise<string | undefined> {
  return (await ctx.deps.directory.snapshot(q)).staff(staffId)?.displayName;
}

// ---- operations ----

export interface CreateRoomRequest {
  visibility?: string;
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  invite_3pid?: unknown[];
  room_version?: string;
  creation_content?: Record<string, unknown>;
  initial_state?: { type: string; state_key?: string; content: Record<string, unknown> }[];
  preset?: string;
  is_direct?: boolean;
  power_level_content_override?: Record<string, unknown>;
}

export async function createRoom(ctx: MatrixContext, caller: Caller, req: CreateRoomRequest): Promise<{ room_id: string }> {
  if (req.visibility === 'public' || req.preset === 'public_chat') throw mxForbidden('Case conferences are never public');
  if (req.room_alias_name !== undefined) throw mxInvalidParam('Room aliases are not supported');
  if (req.invite_3pid?.length) throw mxInvalidParam('Third-party invites are not supported');
  if (req.room_version !== undefined && req.room_version !== ROOM_VERSION)
    throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Only room version ${ROOM_VERSION} is supported`);
  if (req.power_level_content_override !== undefined) throw mxForbidden('Power levels of a case conference are fixed at creation');
  if (req.name !== undefined) checkRoomCode('name', req.name);
  if (req.topic !== undefined) checkRoomCode('topic', req.topic);
  checkCreationContent(req.creation_content);
  const initial = req.initial_state ?? [];
  for (const s of initial) {
    if (s.type === 'm.room.member' || s.type === 'm.room.create' || s.type === 'm.room.power_levels')
      throw mxForbidden(`${s.type} cannot be part of initial_state`);
    checkStateAllowed(s.type, s.state_key ?? '', s.content, caller);
  }
  const invitees = [...new Set((req.invite ?? []).map((u) => inviteeStaffId(ctx, u)))].filter((s) => s !== caller.staffId);

  return write(ctx, async (q, wake) => {
    const inviteeNames = new Map<string, string>();
    for (const s of invitees) inviteeNames.set(s, (await inviteeAllowed(ctx, q, caller, s, undefined)).displayName);
    const roomId = ctx.ids.newRoomId();
    await q.query('INSERT INTO matrix_rooms (room_id, creator_id, root_organisation_id) VALUES ($1, $2, $3)', [
      roomId,
      caller.staffId,
      caller.rootOrganisationId,
    ]);
    const state = (type: string, content: Record<string, unknown>, stateKey = '') =>
      appendEvent(ctx, q, { roomId, senderStaffId: caller.staffId, type, stateKey, content });
    await state('m.room.create', { ...(req.creation_content ?? {}), creator: caller.userId, room_version: ROOM_VERSION });
    const creatorName = await displayNameOf(ctx, q, caller.staffId);
    await state('m.room.member', { membership: 'join', ...(creatorName ? { displayname: creatorName } : {}) }, caller.userId);
    await state('m.room.power_levels', defaultPowerLevels(caller.userId));
    await state('m.room.join_rules', { join_rule: 'invite' });
    await state('m.room.history_visibility', { history_visibility: 'joined' });
    await state('m.room.guest_access', { guest_access: 'forbidden' });
    await state('m.room.encryption', { algorithm: MEGOLM });
    const fixedTypes = new Set(Object.keys(FIXED_STATE));
    for (const s of initial) if (!fixedTypes.has(s.type)) await state(s.type, s.content, s.state_key ?? '');
    if (req.name !== undefined) await state('m.room.name', { name: req.name });
    if (req.topic !== undefined) await state('m.room.topic', { topic: req.topic });
    for (const [staffId, displayName] of inviteeNames) {
      await state('m.room.member', { membership: 'invite', displayname: displayName, ...(req.is_direct ? { is_direct: true } : {}) }, ctx.ids.userId(staffId));
    }
    wake.add(caller.staffId);
    for (const s of invitees) wake.add(s);
    return { room_id: roomId };
  });
}

/** m.room.create takes nothing readable from the client: only m.federate (false or true; rooms never federate anyway). */
function checkCreationContent(content: Record<string, unknown> | undefined): void {
  for (const [k, v] of Object.entries(content ?? {}))
    if (k !== 'm.federate' || typeof v !== 'boolean') throw mxBadJson(`creation_content: ${k} is not accepted in a case conference`);
}

export async function sendMessageEvent(
  ctx: MatrixContext,
  caller: Caller,
  roomId: string,
  type: string,
  txnId: string,
  contentJson: string,
): Promise<{ event_id: string }> {
  if (type !== ENCRYPTED) throw mxForbidden('A case conference accepts only encrypted messages (m.room.encrypted)');
  try {
    return { event_id: await appendBatched(ctx, { caller, roomId, type, txnId, contentJson, eventId: newEventId() }) };
  } catch (err) {
    // The same transaction sent twice at once: the unique index let one in; both answer its event.
    const again = (err as { code?: string }).code === '23505' ? await eventForTxn(ctx.deps.db, caller, txnId) : undefined;
    if (again) return { event_id: again };
    throw err;
  }
}

interface PendingSend {
  caller: Caller;
  roomId: string;
  type: string;
  txnId: string;
  /** The content as the JSON text the client sent (a JSON object). */
  contentJson: string;
  eventId: string;
  done?: (err: unknown, eventId?: string) => void;
}

const batchers = new WeakMap<MatrixContext, { pending: PendingSend[]; running: boolean }>();

/**
 * Group commit for message events: sends waiting on this node go into one
 * statement that takes the stream lock once, so the lock (which orders every
 * writer on every node) is held once per batch, not once per event. Each send
 * is checked under the lock: its transaction id, the sender's membership and
 * power level. Resolves to the event's id (an earlier one for a repeated
 * transaction id). One batch at a time: the lock is held through a batch's
 * commit, so a second batch in flight would only wait at it (bench:messaging
 * measured that slower); while one is stored the next one gathers.
 */
function appendBatched(ctx: MatrixContext, item: PendingSend): Promise<string> {
  let b = batchers.get(ctx);
  if (!b) batchers.set(ctx, (b = { pending: [], running: false }));
  const batcher = b;
  return new Promise<string>((resolve, reject) => {
    item.done = (err, eventId) => (err ? reject(err) : resolve(eventId!));
    batcher.pending.push(item);
    if (!batcher.running) {
      batcher.running = true;
      void (async () => {
        while (batcher.pending.length) {
          const batch = batcher.pending.splice(0, 200);
          // Whatever goes wrong, every send gets an answer (settling one twice does nothing) and the loop goes on.
          await runBatch(ctx, batch).catch((err: unknown) => batch.forEach((x) => x.done!(err)));
        }
        batcher.running = false;
      })();
    }
  });
}

type AppendRow = Omit<RecentEvent, 'content_json'> & { i: number; outcome: 'stored' | 'earlier' | 'not_member' | 'power'; batch_first: number; batch_last: number };

async function runBatch(ctx: MatrixContext, batch: PendingSend[]): Promise<void> {
  let rows: AppendRow[];
  try {
    // matrix_append_messages (migrations 0025, 0026): lock the stream head, check (membership, then canSend's rule
    // in SQL), take the positions, insert, in one statement. It returns each stored event but its content, which
    // this node sent and still has.
    rows = await ctx.deps.db.query<AppendRow>(
      `SELECT * FROM matrix_append_messages($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9)`,
      [
        batch.map((x) => x.eventId),
        batch.map((x) => x.roomId),
        batch.map((x) => x.caller.userId),
        batch.map((x) => x.type),
        batch.map((x) => x.contentJson),
        batch.map((x) => x.caller.staffId),
        batch.map((x) => x.caller.deviceId),
        batch.map((x) => x.txnId),
        ctx.deps.clock.now().getTime(),
      ],
    );
  } catch (err) {
    // One bad row (a transaction id sent twice at once) must not fail the others: retry them one by one.
    if (batch.length > 1) for (const item of batch) await runBatch(ctx, [item]);
    else batch[0].done!(err);
    return;
  }
  const events: RecentEvent[] = [];
  for (const r of rows) {
    const item = batch[Number(r.i) - 1];
    if (r.outcome === 'stored') {
      const { i: _i, outcome: _o, batch_first: _f, batch_last: _l, ...event } = r;
      events.push({ ...event, content_json: item.contentJson, stream_pos: Number(event.stream_pos), origin_server_ts: Number(event.origin_server_ts) });
      item.done!(undefined, r.event_id);
    } else if (r.outcome === 'earlier') item.done!(undefined, r.event_id);
    else if (r.outcome === 'not_member') item.done!(mxForbidden('You are not a member of this room'));
    else item.done!(mxForbidden(`Your power level is too low to send ${item.type}`));
  }
  if (!rows.length) return;
  const stored: MessageBatch = { first: Number(rows[0].batch_first), last: Number(rows[0].batch_last), events };
  // Not awaited: the next batch need not wait for Redis.
  void ctx.notifier.announce(stored).catch((err: unknown) => ctx.deps.log.warn({ err }, 'matrix wake-up not published'));
}

async function eventForTxn(q: Queryable, caller: Caller, txnId: string): Promise<string | undefined> {
  const rows = await q.query<{ event_id: string }>('SELECT event_id FROM matrix_events WHERE sender_staff_id = $1 AND device_id = $2 AND txn_id = $3', [
    caller.staffId,
    caller.deviceId,
    txnId,
  ]);
  return rows[0]?.event_id;
}

export async function setState(
  ctx: MatrixContext,
  caller: Caller,
  roomId: string,
  type: string,
  stateKey: string,
  content: Record<string, unknown>,
): Promise<{ event_id: string }> {
  return write(ctx, async (q, wake) => {
    await lockStream(q);
    await requireJoined(q, roomId, caller);
    const current = await stateEvent(q, roomId, type, stateKey);
    if (type === 'm.room.member') {
      // Profile updates of one's own joined membership only; membership changes use /invite, /join, /leave, /kick.
      if (stateKey !== caller.userId || content.membership !== 'join') throw mxForbidden('Use the membership endpoints to change membership');
      checkMemberContent(content, await displayNameOf(ctx, q, caller.staffId));
    } else {
      checkStateAllowed(type, stateKey, content, caller);
      if (type === 'm.room.power_levels') checkPowerLevelsChange(caller, (current?.content ?? {}) as PowerLevels, content as PowerLevels);
    }
    if (current && canonicalJson(current.content) === canonicalJson(content)) return { event_id: current.event_id };
    const pl = await powerLevels(q, roomId);
    if (type !== 'm.room.member' && !canSend(pl, caller.userId, type, true)) throw mxForbidden(`Your power level is too low to set ${type}`);
    const ev = await appendEvent(ctx, q, { roomId, senderStaffId: caller.staffId, type, stateKey, content, deviceId: caller.deviceId });
    for (const s of await roomMembers(q, roomId)) wake.add(s);
    return { event_id: ev.event_id };
  });
}

/** The spec's rule: nobody grants or changes a level above their own, nor changes a peer's or superior's level. */
function checkPowerLevelsChange(caller: Caller, before: PowerLevels, after: PowerLevels): void {
  const mine = userLevel(before, caller.userId);
  const users = new Set([...Object.keys(before.users ?? {}), ...Object.keys(after.users ?? {})]);
  for (const u of users) {
    const a = before.users?.[u];
    const b = after.users?.[u];
    if (a === b) continue;
    if ((a !== undefined && a > mine) || (b !== undefined && b > mine)) throw mxForbidden('You cannot change levels above your own');
    if (u !== caller.userId && a !== undefined && a >= mine) throw mxForbidden("You cannot change a peer's or superior's level");
  }
  for (const key of ['users_default', 'events_default', 'state_default', 'invite', 'kick', 'ban', 'redact'] as const) {
    if (before[key] !== after[key] && (num(before[key], 0) > mine || num(after[key], 0) > mine))
      throw mxForbidden('You cannot change levels above your own');
  }
}

export async function invite(ctx: MatrixContext, caller: Caller, roomId: string, userId: unknown, reason?: string): Promise<void> {
  const target = inviteeStaffId(ctx, userId);
  await write(ctx, async (q, wake) => {
    await lockStream(q);
    await requireJoined(q, roomId, caller);
    const pl = await powerLevels(q, roomId);
    requireLevel(pl, caller.userId, num(pl.invite, 0), 'invite');
    const { displayName } = await inviteeAllowed(ctx, q, caller, target, roomId);
    const m = await membershipOf(q, roomId, target);
    if (m?.membership === 'join') throw mxForbidden('This person is already in the room');
    if (m?.membership === 'ban') throw mxForbidden('This person is banned from the room');
    if (m?.membership === 'invite') return;
    await appendEvent(ctx, q, {
      roomId,
      senderStaffId: caller.staffId,
      type: 'm.room.member',
      stateKey: ctx.ids.userId(target),
      content: { membership: 'invite', displayname: displayName, ...(reason ? { reason } : {}) },
    });
    for (const s of await roomMembers(q, roomId)) wake.add(s);
  });
}

export async function join(ctx: MatrixContext, caller: Caller, roomIdOrAlias: string): Promise<{ room_id: string }> {
  if (roomIdOrAlias.startsWith('#')) throw mxNotFound('Room aliases are not supported');
  const roomId = roomIdOrAlias;
  return write(ctx, async (q, wake) => {
    await lockStream(q);
    const m = await membershipOf(q, roomId, caller.staffId);
    if (m?.membership === 'join') return { room_id: roomId };
    if (m?.membership !== 'invite') throw mxForbidden('You are not invited to this room');
    const name = await displayNameOf(ctx, q, caller.staffId);
    await appendEvent(ctx, q, {
      roomId,
      senderStaffId: caller.staffId,
      type: 'm.room.member',
      stateKey: caller.userId,
      content: { membership: 'join', ...(name ? { displayname: name } : {}) },
    });
    for (const s of await roomMembers(q, roomId)) wake.add(s);
    return { room_id: roomId };
  });
}

/** Leaving (or rejecting an invite), or being kicked when `target` is someone else. */
export async function leave(ctx: MatrixContext, caller: Caller, roomId: string, target?: string, reason?: string): Promise<void> {
  const targetStaffId = target === undefined ? caller.staffId : ctx.ids.staffId(target);
  await write(ctx, async (q, wake) => {
    await lockStream(q);
    const kicking = targetStaffId !== caller.staffId;
    if (kicking) {
      await requireJoined(q, roomId, caller);
      const pl = await powerLevels(q, roomId);
      const m = targetStaffId ? await membershipOf(q, roomId, targetStaffId) : undefined;
      if (!targetStaffId || !m || (m.membership !== 'join' && m.membership !== 'invite')) throw mxForbidden('This person is not in the room');
      requireLevel(pl, caller.userId, num(pl.kick, 50), 'kick');
      if (userLevel(pl, target!) >= userLevel(pl, caller.userId)) throw mxForbidden('You cannot kick a peer or superior');
    } else {
      const m = await membershipOf(q, roomId, caller.staffId);
      if (!m) throw mxForbidden('You are not in this room');
      if (m.membership === 'leave' || m.membership === 'ban') return;
    }
    const members = await roomMembers(q, roomId);
    await appendEvent(ctx, q, {
      roomId,
      senderStaffId: caller.staffId,
      type: 'm.room.member',
      stateKey: ctx.ids.userId(targetStaffId!),
      content: { membership: 'leave', ...(reason ? { reason } : {}) },
    });
    for (const s of members) wake.add(s);
  });
}

export async function forget(ctx: MatrixContext, caller: Caller, roomId: string): Promise<void> {
  const m = await membershipOf(ctx.deps.db, roomId, caller.staffId);
  if (!m) return;
  if (m.membership === 'join' || m.membership === 'invite') throw mxUnknownInRoom();
  await ctx.deps.db.query('UPDATE matrix_memberships SET forgotten = true WHERE room_id = $1 AND staff_id = $2', [roomId, caller.staffId]);
}

const mxUnknownInRoom = () => new MatrixError(400, 'M_UNKNOWN', 'You are still in this room: leave it first');

/** Grants a person access to a conference across organisations (the routing layer writes these). */
export async function grantConferenceAccess(q: Queryable, roomId: string, staffId: string, reason: string, grantedBy?: string): Promise<void> {
  await q.query(
    `INSERT INTO conference_grants (room_id, staff_id, granted_by, reason) VALUES ($1, $2, $3, $4)
     ON CONFLICT (room_id, staff_id) DO UPDATE SET reason = EXCLUDED.reason, granted_by = EXCLUDED.granted_by`,
    [roomId, staffId, grantedBy ?? null, reason],
  );
}
