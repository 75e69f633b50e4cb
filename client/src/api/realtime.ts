// The control plane's live channel: Socket.IO with the session cookie. It
// reconnects by itself; the banner says so, and on reconnect the state that
// pushes may have missed (offers, requests, callbacks) is read again over REST.
import { io, type Socket } from 'socket.io-client';
import type { CallbackView, ConcernView, RingOfferView, RingRequestView } from './types.ts';
import { api } from './http.ts';
import { forgetRequestClient, shareClientIdentity } from '../conference/identity.ts';
import { upsertCallback } from '../components/CallbackStatus.tsx';
import { callbacks, concerns, connection, escalationAlerts, myRequests, notices, offers, presence, session, soundOn, upsertRequest, type EscalationAlert, type UrgentNotice } from '../state.ts';

let socket: Socket | undefined;

export function connectRealtime(): Socket {
  socket?.close();
  const s = io({ withCredentials: true, transports: ['websocket', 'polling'], reconnectionDelayMax: 5_000 });
  socket = s;
  let wasOnline = false;
  s.on('connect', () => {
    connection.value = wasOnline ? 'restored' : 'online';
    if (wasOnline) setTimeout(() => connection.value === 'restored' && (connection.value = 'online'), 4_000);
    wasOnline = true;
    void refreshAfterConnect();
  });
  s.on('disconnect', () => (connection.value = 'offline'));
  s.on('connect_error', () => (connection.value = 'offline'));
  s.on('ring:offer', (offer: RingOfferView) => {
    offers.value = [...offers.value.filter((o) => o.offerId !== offer.offerId), offer];
    if (soundOn.value) chime();
  });
  s.on('ring:offer-ended', (e: { offerId: string }) => {
    offers.value = offers.value.filter((o) => o.offerId !== e.offerId);
  });
  s.on('ring:progress', (r: RingRequestView) => {
    if (r.requester.staffId !== session.value?.user.id) return;
    upsertRequest(r);
    if (r.state === 'accepted' && r.roomId && r.acceptedBy) void shareClientIdentity(r.requestId, r.roomId, r.acceptedBy.staffId).catch(() => undefined);
    else if (r.state !== 'ringing') void forgetRequestClient(r.requestId);
  });
  s.on('callback:changed', upsertCallback);
  const concernChanged = (c: ConcernView) => (concerns.value = [c, ...concerns.value.filter((x) => x.id !== c.id)]);
  s.on('concern:status', concernChanged);
  s.on('concern:reminder', concernChanged);
  s.on('urgent:assessed', (n: UrgentNotice) => {
    notices.value = [n, ...notices.value.filter((x) => x.itemId !== n.itemId)];
  });
  s.on('urgent:escalation', (e: EscalationAlert) => {
    escalationAlerts.value = [{ itemId: e.itemId, region: e.region, level: e.level }, ...escalationAlerts.value.filter((x) => x.itemId !== e.itemId)];
    if (soundOn.value) chime();
  });
  s.on('presence', (p: { staffId: string; status: string; until: string | null }) => {
    if (p.staffId === session.value?.user.id) presence.value = { status: p.status, until: p.until };
  });
  return s;
}

export function realtimeSocket(): Socket | undefined {
  return socket;
}

export function disconnectRealtime(): void {
  socket?.close();
  socket = undefined;
}

async function refreshAfterConnect(): Promise<void> {
  const [o, ...lists] = await Promise.all([
    api<RingOfferView[]>('GET', '/api/ringing/offers').catch(() => offers.value),
    ...(['created', 'team', 'mine'] as const).map((view) => api<CallbackView[]>('GET', `/api/callbacks?view=${view}`).catch(() => [])),
  ]);
  offers.value = o;
  const view = session.value?.user.organisationKind === 'county' ? 'received' : 'sent';
  concerns.value = await api<ConcernView[]>('GET', `/api/concerns?view=${view}`).catch(() => concerns.value);
  const byId = new Map([...callbacks.value, ...lists.flat()].map((c) => [c.id, c]));
  callbacks.value = [...byId.values()];
  // My requests as the server knows them: they survive a reload and catch up after a drop.
  const mine = await api<RingRequestView[]>('GET', '/api/ringing/requests').catch(() => undefined);
  if (mine) myRequests.value = mine;
}

/** A short two-tone alert made on the spot: no audio file to fetch. */
function chime(): void {
  try {
    const ctx = new AudioContext();
    for (const [i, freq] of [660, 880].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + i * 0.25);
      osc.stop(ctx.currentTime + i * 0.25 + 0.2);
    }
  } catch {
    // No audio (autoplay policy): the visual alert remains.
  }
}
