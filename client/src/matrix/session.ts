// The conversation layer in the browser: matrix-js-sdk with its Rust crypto
// (WebAssembly), signed in with a one-time m.login.token from the web session,
// so the user never sees Matrix. Olm/Megolm keys live in IndexedDB, encrypted
// with a key only a signed-in session gets; the access and refresh tokens live
// in memory. Access tokens last minutes: renewingFetch renews them, so a long
// session keeps working, until the web session it came from ends.
import { signal } from '@preact/signals';
import {
  ClientEvent,
  createClient,
  HttpApiEvent,
  KnownMembership,
  MatrixEventEvent,
  RoomEvent,
  RoomMemberEvent,
  type MatrixClient,
  type MatrixEvent,
  type RoomMember,
} from 'matrix-js-sdk';
import { api } from '../api/http.ts';
import type { RingRequestView } from '../api/types.ts';
import { deliverCallbackNotes } from '../conference/callback-notes.ts';
import { forgetRequestClient, shareClientIdentity } from '../conference/identity.ts';
import { closePendingStore, openPendingStore, pending } from '../conference/pending-store.ts';
import { renewingFetch } from './renewing-fetch.ts';

export type MatrixState = 'off' | 'starting' | 'ready' | 'failed';
export const matrixState = signal<MatrixState>('off');
export const matrixError = signal<string>('');
/** Bumped on every timeline, receipt, typing or membership change: views re-read the rooms. */
export const matrixTick = signal(0);

let client: MatrixClient | undefined;

export function matrix(): MatrixClient | undefined {
  return client;
}

const deviceKey = (staffId: string) => `rinki.matrixDevice.${staffId}`;

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export async function startMatrix(staffId: string): Promise<void> {
  if (client) return;
  matrixState.value = 'starting';
  try {
    client = await signIn(staffId, localStorage.getItem(deviceKey(staffId)) ?? undefined).catch(async (err: unknown) => {
      // A device whose keys this browser no longer holds (store cleared): start as a new device.
      if (!localStorage.getItem(deviceKey(staffId))) throw err;
      localStorage.removeItem(deviceKey(staffId));
      return signIn(staffId, undefined);
    });
    const c = client;
    const bump = () => (matrixTick.value = matrixTick.value + 1);
    c.on(RoomEvent.Timeline, bump);
    c.on(RoomEvent.Receipt, bump);
    c.on(RoomEvent.MyMembership, bump);
    c.on(RoomEvent.Name, bump);
    c.on(RoomMemberEvent.Typing, bump);
    c.on(MatrixEventEvent.Decrypted, bump);
    c.on(ClientEvent.Room, bump);
    // Conference invitations come only from routing (the server's policy hook): join them at once.
    c.on(RoomMemberEvent.Membership, (_e: MatrixEvent, member: RoomMember) => {
      if (member.userId === c.getUserId() && member.membership === KnownMembership.Invite) void c.joinRoom(member.roomId).catch(() => undefined);
    });
    c.on(ClientEvent.Sync, (state) => {
      if (state === 'PREPARED' || state === 'SYNCING') matrixState.value = 'ready';
      bump();
    });
    // The session was revoked (signed out elsewhere, or the web session ended): stop, keeping the device's keys.
    c.on(HttpApiEvent.SessionLoggedOut, () => {
      c.stopClient();
      if (client === c) client = undefined;
      matrixState.value = 'failed';
    });
    await c.startClient({ initialSyncLimit: 50, lazyLoadMembers: false });
    c.once(ClientEvent.Sync, () => void resumePending(c));
  } catch (err) {
    client = undefined;
    matrixError.value = (err as Error).message;
    matrixState.value = 'failed';
  }
}

async function signIn(staffId: string, deviceId: string | undefined): Promise<MatrixClient> {
  const { loginToken, cryptoStoreKey } = await api<{ loginToken: string; cryptoStoreKey: string }>('POST', '/api/auth/matrix-login-token', {});
  const baseUrl = location.origin;
  const login = await createClient({ baseUrl }).loginRequest({
    type: 'm.login.token',
    token: loginToken,
    ...(deviceId ? { device_id: deviceId } : {}),
    initial_device_display_name: `Rinki ${navigator.platform || 'browser'}`,
    refresh_token: true,
  });
  const holder: { client?: MatrixClient } = {};
  const fetchFn = renewingFetch(
    baseUrl,
    { accessToken: login.access_token, refreshToken: login.refresh_token, expiresInMs: login.expires_in_ms },
    (t) => holder.client?.setAccessToken(t.accessToken),
  );
  // Conferences are text and files: no calls, so no TURN look-ups.
  const c = createClient({ baseUrl, userId: login.user_id, deviceId: login.device_id, accessToken: login.access_token, disableVoip: true, fetchFn });
  holder.client = c;
  const storeKey = base64ToBytes(cryptoStoreKey);
  await c.initRustCrypto({ storageKey: storeKey, cryptoDatabasePrefix: `rinki-${staffId}` });
  await openPendingStore(staffId, storeKey);
  localStorage.setItem(deviceKey(staffId), login.device_id);
  return c;
}

/** After a reload: deliver held callback notes, and tell accepted counterparts who the client is. */
async function resumePending(c: MatrixClient): Promise<void> {
  await deliverCallbackNotes(c).catch(() => undefined);
  for (const requestId of Object.keys(pending().identities)) {
    const r = await api<RingRequestView>('GET', `/api/ringing/requests/${requestId}`).catch(() => undefined);
    if (r?.state === 'accepted' && r.roomId && r.acceptedBy) await shareClientIdentity(requestId, r.roomId, r.acceptedBy.staffId).catch(() => undefined);
    else if (!r || r.state !== 'ringing') await forgetRequestClient(requestId);
  }
}

/** Signing out of Rinki ends this Matrix device too: its token and its local keys. */
export async function stopMatrix(staffId: string): Promise<void> {
  const c = client;
  client = undefined;
  matrixState.value = 'off';
  if (!c) return;
  closePendingStore();
  c.stopClient();
  await c.logout(true).catch(() => undefined);
  await c.clearStores().catch(() => undefined);
  localStorage.removeItem(deviceKey(staffId));
}
