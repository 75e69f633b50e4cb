// What this browser still owes a conference — a callback note not yet
// delivered, a client identifier not yet told — kept across a reload in
// localStorage, encrypted (AES-GCM) with the key only a signed-in session
// gets from the server, so a copy of the browser profile reveals nothing.
import type { ClientRef } from './identity.ts';

export interface Pending {
  /** Callback notes by conference room id. */
  notes: Record<string, string>;
  /** Client identifiers by routing request id. */
  identities: Record<string, ClientRef>;
}

let key: CryptoKey | undefined;
let storageName = '';
let state: Pending = { notes: {}, identities: {} };

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Opens this person's store with the session's key; what cannot be read is dropped. */
export async function openPendingStore(staffId: string, rawKey: Uint8Array<ArrayBuffer>): Promise<Pending> {
  key = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt', 'decrypt']);
  storageName = `rinki.pending.${staffId}`;
  state = { notes: {}, identities: {} };
  const stored = localStorage.getItem(storageName);
  if (stored) {
    try {
      const { iv, data } = JSON.parse(stored) as { iv: string; data: string };
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(iv) }, key, unb64(data));
      state = JSON.parse(new TextDecoder().decode(plain)) as Pending;
    } catch {
      localStorage.removeItem(storageName);
    }
  }
  return state;
}

export async function updatePending(change: (p: Pending) => void): Promise<void> {
  change(state);
  if (!key) return;
  if (!Object.keys(state.notes).length && !Object.keys(state.identities).length) return localStorage.removeItem(storageName);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(JSON.stringify(state))));
  localStorage.setItem(storageName, JSON.stringify({ iv: b64(iv), data: b64(data) }));
}

export function pending(): Pending {
  return state;
}

export function closePendingStore(): void {
  key = undefined;
  state = { notes: {}, identities: {} };
}
