// What the views need from matrix-js-sdk's rooms: my conferences with unread
// counts, a conference's readable timeline, members, typing and receipts.
import { EventType, KnownMembership, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { matrix } from './session.ts';

export interface TimelineItem {
  id: string;
  sender: string;
  senderName: string;
  at: number;
  /** Decrypted content; null while decrypting or when this device cannot decrypt. */
  content: Record<string, unknown> | null;
  failed: boolean;
  mine: boolean;
}

const isMessage = (e: MatrixEvent) => e.getType() === EventType.RoomMessage || e.getWireType() === EventType.RoomMessageEncrypted;

export function myConferences(): { room: Room; unread: number; lastAt: number }[] {
  const c = matrix();
  if (!c) return [];
  return c
    .getRooms()
    .filter((r) => r.getMyMembership() === KnownMembership.Join)
    .map((room) => ({ room, unread: unreadCount(room), lastAt: room.getLastActiveTimestamp() }))
    .sort((a, b) => b.lastAt - a.lastAt);
}

/** Messages from others after my read receipt. */
export function unreadCount(room: Room): number {
  const c = matrix()!;
  const me = c.getUserId()!;
  const events = room.getLiveTimeline().getEvents();
  const readUpTo = room.getEventReadUpTo(me);
  let unread = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.getId() === readUpTo) break;
    if (isMessage(e) && e.getSender() !== me) unread++;
  }
  return unread;
}

export function timeline(room: Room): TimelineItem[] {
  const me = matrix()!.getUserId();
  return room
    .getLiveTimeline()
    .getEvents()
    .filter(isMessage)
    .map((e) => ({
      id: e.getId() ?? e.getTxnId() ?? '',
      sender: e.getSender() ?? '',
      senderName: room.getMember(e.getSender() ?? '')?.name ?? e.getSender() ?? '',
      at: e.getTs(),
      content: e.isDecryptionFailure() || e.isBeingDecrypted() || e.getType() !== EventType.RoomMessage ? null : (e.getContent() as Record<string, unknown>),
      failed: e.isDecryptionFailure(),
      mine: e.getSender() === me,
    }));
}
