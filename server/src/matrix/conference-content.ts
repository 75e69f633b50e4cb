// Nothing in clear in a case conference. The server stores and forwards only
// ciphertext and codes: a room's name and topic are request-type codes (the
// only names the control plane gives conferences), a person's room account
// data holds only known types of code values, and an m.room.encrypted event is
// Megolm ciphertext with no readable field beside it. Anything else a client
// might put there could be case content, stored readable on the server: it is
// refused with 400 M_BAD_JSON, and nothing is written.
import { z } from 'zod';
import { REQUEST_TYPES } from '../../../shared/src/routing.ts';
import { badShape, mxForbidden } from './errors.ts';

export const MEGOLM = 'm.megolm.v1.aes-sha2';

/** Room names and topics: a request-type code (or empty, which clears it). */
const roomCode = z.union([z.enum(REQUEST_TYPES), z.literal('')]);

/** Unpadded or padded base64, as Olm and Megolm write their keys, ids and ciphertext. */
const base64 = z.string().regex(/^[A-Za-z0-9+/=_-]+$/, 'must be base64');
const eventId = z.string().regex(/^\$[A-Za-z0-9+/=_.:-]{1,255}$/, 'must be an event id');

const level = z.number().int().min(-1_000_000).max(1_000_000);
const userId = z.string().regex(/^@[a-z0-9._=/+-]{1,255}:[A-Za-z0-9.:-]{1,255}$/, 'must be a user id');
const eventType = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be an event type');
const mxc = z.string().regex(/^mxc:\/\/[A-Za-z0-9.:-]{1,255}\/[A-Za-z0-9_-]{1,255}$/, 'must be an mxc URI');

/**
 * The content a client may give each state type it may set (rooms.ts decides
 * which types): codes, ids and numbers, no field for free text. The fixed
 * settings' values are checked by rooms.ts.
 */
const STATE_SHAPES: Record<string, z.ZodType> = {
  'm.room.name': z.strictObject({ name: roomCode }),
  'm.room.topic': z.strictObject({
    topic: roomCode,
    // The topic's extensible-events form (spec v1.15) carries the same text.
    'm.topic': z.array(z.strictObject({ body: roomCode, mimetype: z.literal('text/plain').optional() })).max(1).optional(),
  }),
  'm.room.avatar': z.strictObject({
    url: mxc.optional(),
    info: z
      .strictObject({ mimetype: z.string().regex(/^image\/[a-z0-9.+-]{1,64}$/).optional(), size: z.number().int().min(0).optional(), w: z.number().int().min(0).optional(), h: z.number().int().min(0).optional() })
      .optional(),
  }),
  'm.room.pinned_events': z.strictObject({ pinned: z.array(eventId).max(100) }),
  'm.room.power_levels': z.strictObject({
    users: z.record(userId, level).optional(),
    users_default: level.optional(),
    events: z.record(eventType, level).optional(),
    events_default: level.optional(),
    state_default: level.optional(),
    ban: level.optional(),
    kick: level.optional(),
    redact: level.optional(),
    invite: level.optional(),
    notifications: z.strictObject({ room: level.optional() }).optional(),
  }),
  'm.room.encryption': z.strictObject({
    algorithm: z.string().max(64),
    rotation_period_ms: z.number().int().min(0).optional(),
    rotation_period_msgs: z.number().int().min(0).optional(),
  }),
  'm.room.join_rules': z.strictObject({ join_rule: z.string().max(32) }),
  'm.room.history_visibility': z.strictObject({ history_visibility: z.string().max(32) }),
  'm.room.guest_access': z.strictObject({ guest_access: z.string().max(32) }),
};

/** Refuses state content with anything but the type's codes, ids and numbers; types without a shape are refused by rooms.ts. */
export function checkStateContent(type: string, content: Record<string, unknown>): void {
  const schema = STATE_SHAPES[type];
  if (!schema) return;
  const r = schema.safeParse(content);
  if (!r.success) throw badShape(r.error);
  if (type === 'm.room.topic') {
    const alt = (content['m.topic'] as { body: string }[] | undefined)?.[0]?.body;
    if (alt !== undefined && alt !== content.topic) throw mxForbidden('m.topic must repeat the topic code');
  }
}

/** A member's own profile in a room: their directory name as the server set it, never a name of their choosing. */
export function checkMemberContent(content: Record<string, unknown>, directoryName: string | undefined): void {
  const r = z.strictObject({ membership: z.literal('join'), displayname: z.string().optional(), avatar_url: mxc.optional() }).safeParse(content);
  if (!r.success) throw badShape(r.error);
  if (r.data.displayname !== undefined && r.data.displayname !== directoryName) throw mxForbidden("A member's name in a case conference is their name in the directory");
}

/** A room's name given at creation: a code, as for m.room.name. */
export function checkRoomCode(field: 'name' | 'topic', value: string): void {
  const r = roomCode.safeParse(value);
  if (!r.success) throw badShape(new z.ZodError(r.error.issues.map((i) => ({ ...i, path: [field] }))));
}

/**
 * Tags: the spec's m.* tags and a client's own u.* tags of a short code form,
 * each with an optional order between 0 and 1. No tag name is free text.
 */
const tagName = z.union([
  z.enum(['m.favourite', 'm.lowpriority', 'm.server_notice']),
  z.string().regex(/^u\.[A-Za-z0-9_-]{1,32}$/, 'tags are m.favourite, m.lowpriority or u.<code>'),
]);
const ROOM_ACCOUNT_DATA: Record<string, z.ZodType> = {
  'm.tag': z.strictObject({ tags: z.record(tagName, z.strictObject({ order: z.number().min(0).max(1).optional() })) }),
  'm.marked_unread': z.strictObject({ unread: z.boolean() }),
};

/** Room account data in a conference: known types with code values only. */
export function checkRoomAccountData(type: string, content: Record<string, unknown>): void {
  const schema = ROOM_ACCOUNT_DATA[type];
  if (!schema) throw mxForbidden(`Room account data of type ${type} is not accepted in a case conference`);
  const r = schema.safeParse(content);
  if (!r.success) throw badShape(r.error);
}

/**
 * The content of m.room.encrypted in a room: Megolm ciphertext and the ids
 * that find its session. sender_key and device_id are deprecated (spec v1.4)
 * but still sent by some clients. m.relates_to stays outside the ciphertext by
 * the spec (replies, edits, threads), and holds only ids and a relation type.
 */
export const megolmContent = z.strictObject({
  algorithm: z.literal(MEGOLM),
  ciphertext: base64.min(1),
  session_id: base64.max(256),
  sender_key: base64.max(256).optional(),
  device_id: z.string().regex(/^[A-Za-z0-9._=-]{1,64}$/).optional(),
  'm.relates_to': z
    .strictObject({
      rel_type: z.string().regex(/^[a-z0-9._]{1,64}$/).optional(),
      event_id: eventId.optional(),
      is_falling_back: z.boolean().optional(),
      'm.in_reply_to': z.strictObject({ event_id: eventId }).optional(),
    })
    .optional(),
});
