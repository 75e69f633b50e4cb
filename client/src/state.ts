// The app's state as signals: who is signed in, what rings, my requests and
// callbacks, the connection, and which view is open. Views read these; the
// realtime and Matrix modules write them. Nothing here is persisted.
import { signal } from '@preact/signals';
import type { CallbackView, ConcernView, RingOfferView, RingRequestView, SignedIn } from './api/types.ts';

export type View =
  | { name: 'home' }
  | { name: 'request'; requestId?: string }
  | { name: 'conference'; roomId: string }
  | { name: 'urgent'; region?: string }
  | { name: 'admin' }
  | { name: 'audit' };

export const session = signal<SignedIn | null | undefined>(undefined);
export const view = signal<View>({ name: 'home' });
export const offers = signal<RingOfferView[]>([]);
/** Requests this person started in this browser session, newest first. */
export const myRequests = signal<RingRequestView[]>([]);
export const callbacks = signal<CallbackView[]>([]);
/** Concern notifications my organisation sent (Kela) or my county received. */
export const concerns = signal<ConcernView[]>([]);
export type Connection = 'connecting' | 'online' | 'offline' | 'restored';
export const connection = signal<Connection>('connecting');
export const presence = signal<{ status: string; until: string | null }>({ status: 'available', until: null });
export const soundOn = signal(false);
/** Urgency assessments told to my organisation ('urgent:assessed'), newest first, until dismissed. */
export interface UrgentNotice {
  itemId: string;
  routingRequestId: string | null;
  assessment: 'urgent' | 'not_urgent';
  criteria: string[];
}
export const notices = signal<UrgentNotice[]>([]);
/** Escalation levels that reached me ('urgent:escalation'), shown on every view until the item is taken or I dismiss it. */
export interface EscalationAlert {
  itemId: string;
  region: string;
  level: number;
}
export const escalationAlerts = signal<EscalationAlert[]>([]);

export function navigate(next: View): void {
  view.value = next;
  // Move focus to the new view's heading so keyboard and screen-reader users land there.
  queueMicrotask(() => document.querySelector<HTMLElement>('main h1')?.focus());
}

export function upsertRequest(r: RingRequestView): void {
  const rest = myRequests.value.filter((x) => x.requestId !== r.requestId);
  myRequests.value = [r, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
