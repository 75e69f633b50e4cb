// Who a conference is about. Routing records the identity disclosure when the
// counterpart accepts; the requester's browser then tells the counterpart the
// identifier inside the encrypted conversation, so it never passes the server in clear.
import { EventType, KnownMembership, MsgType, type Room } from 'matrix-js-sdk';
import { matrix } from '../matrix/session.ts';
import { ITEM_MSGTYPE, type ItemContent } from './items.ts';
import { pending, updatePending } from './pending-store.ts';
import { localpartForStaff, staffForLocalpart } from '../../../shared/src/matrix-ids.ts';

export type ClientRef = { hetu: string } | { applicationId: string };

/** Identifiers typed into a request, held (encrypted, see pending-store) until the counterpart has them. */
export async function rememberRequestClient(requestId: string, client: ClientRef): Promise<void> {
  await updatePending((p) => (p.identities[requestId] = client));
}

/** Forgets an identifier whose request ended without a conference. */
export async function forgetRequestClient(requestId: string): Promise<void> {
  if (pending().identities[requestId]) await updatePending((p) => delete p.identities[requestId]);
}

export async function shareClientIdentity(requestId: string, roomId: string, counterpartStaffId: string): Promise<void> {
  const client = pending().identities[requestId];
  const c = matrix();
  if (!client || !c) return;
  await updatePending((p) => delete p.identities[requestId]);
  const counterpart = userIdOf(counterpartStaffId);
  // Room keys go to members who have joined: wait for the counterpart (history is visible from joining on).
  for (let i = 0; i < 240; i++) {
    const room = c.getRoom(roomId);
    if (room?.getMember(counterpart)?.membership === KnownMembership.Join) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const content: ItemContent = { kind: 'client', fields: {}, client };
  try {
    await c.sendEvent(roomId, EventType.RoomMessage, { msgtype: ITEM_MSGTYPE as MsgType, body: 'Asiakas / Klient / Client', [ITEM_MSGTYPE]: content } as never);
  } catch (err) {
    await updatePending((p) => (p.identities[requestId] = client));
    throw err;
  }
}

export function clientOfRoom(room: Room): ClientRef | undefined {
  for (const e of room.getLiveTimeline().getEvents()) {
    if (e.getType() !== EventType.RoomMessage) continue;
    const item = e.getContent()[ITEM_MSGTYPE] as ItemContent | undefined;
    if (item?.kind === 'client' && item.client) return item.client;
  }
  return undefined;
}

export function clientLabel(ref: ClientRef): string {
  return 'hetu' in ref ? ref.hetu : ref.applicationId;
}

/** The staff id behind a Matrix user id of this server. */
export function staffIdOf(userId: string): string {
  const local = userId.slice(1, userId.indexOf(':'));
  return staffForLocalpart(local) ?? local;
}

export function userIdOf(staffId: string): string {
  const server = matrix()!.getUserId()!.split(':').slice(1).join(':');
  return `@${localpartForStaff(staffId)}:${server}`;
}
