// A callback request's note travels end-to-end encrypted in the callback's
// conference. Conferences share room keys with members who have joined, so
// the requester's browser holds the note (encrypted in its pending store, so
// a reload keeps it) and sends it the moment the owner joins on claiming;
// the server never sees it in clear.
import { EventType, KnownMembership, MsgType, RoomMemberEvent, type MatrixClient, type MatrixEvent, type RoomMember } from 'matrix-js-sdk';
import { api } from '../api/http.ts';
import type { CallbackView } from '../api/types.ts';
import { matrix } from '../matrix/session.ts';
import { pending, updatePending } from './pending-store.ts';

export async function queueCallbackNote(callbackId: string, note: string): Promise<void> {
  const c = matrix();
  if (!c) throw new Error('no encrypted connection');
  let roomId: string | null = null;
  for (let i = 0; i < 40 && !roomId; i++) {
    roomId = (await api<CallbackView>('GET', `/api/callbacks/${callbackId}`)).roomId;
    if (!roomId) await new Promise((r) => setTimeout(r, 250));
  }
  if (!roomId) throw new Error('the callback has no conference yet');
  const room = roomId;
  await updatePending((p) => (p.notes[room] = note));
  await deliverCallbackNotes(c);
}

/** Sends every held note whose conference someone else has joined, now and on each later join. */
export async function deliverCallbackNotes(c: MatrixClient): Promise<void> {
  if (!listening.has(c)) {
    listening.add(c);
    c.on(RoomMemberEvent.Membership, (_e: MatrixEvent, member: RoomMember) => {
      if (member.membership === KnownMembership.Join && member.userId !== c.getUserId()) void flush(c, member.roomId);
    });
  }
  for (const roomId of Object.keys(pending().notes)) {
    const room = c.getRoom(roomId);
    if (room?.getJoinedMembers().some((m) => m.userId !== c.getUserId())) await flush(c, roomId);
  }
}
const listening = new WeakSet<MatrixClient>();

/** Tries after a failed send (a key share or the network failing for a moment), in ms; then the note waits for the next join or start. */
const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000];

/** Notes being sent now: a second join event meanwhile does not send one twice. */
const sending = new Set<string>();

/** Sends the room's held note; it leaves the pending store only once sent, so a reload meanwhile keeps it. */
async function flush(c: MatrixClient, roomId: string): Promise<void> {
  const note = pending().notes[roomId];
  if (!note || sending.has(roomId)) return;
  sending.add(roomId);
  try {
    for (let attempt = 0; ; attempt++) {
      const sent = await c.sendEvent(roomId, EventType.RoomMessage, { msgtype: MsgType.Text, body: note }).then(
        () => true,
        () => false,
      );
      if (sent) break;
      if (attempt >= RETRY_DELAYS_MS.length) return; // held: the next join or start sends it
      await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
    }
    await updatePending((p) => delete p.notes[roomId]);
  } finally {
    sending.delete(roomId);
  }
}
