// Matrix test helpers: people with local passwords, real matrix-js-sdk clients
// with Rust crypto (in memory), and raw Client-Server API calls.
import * as sdk from 'matrix-js-sdk';
import { logger as sdkLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import { hashPassword } from '../../server/src/auth/passwords.ts';
import { FIXTURE, makeOrgFixture } from '../../server/src/directory/fixtures.ts';
import type { Db } from '../../server/src/store/db.ts';

export const MX_PASSWORD = 'matrix test password';

/** People of the directory fixture who get a local account (username = key). */
export const MX_PEOPLE = {
  anna: FIXTURE.staff.countyAWorker,
  antti: FIXTURE.staff.countyAContact,
  arto: FIXTURE.staff.countyAOnCall,
  bertta: FIXTURE.staff.countyBWorker,
  kaisa: FIXTURE.staff.kelaWorker,
} as const;
export type MxPerson = keyof typeof MX_PEOPLE;

let hashed: Promise<string> | undefined;

/** The directory fixture plus local accounts for MX_PEOPLE. */
export async function seedMatrixPeople(db: Db): Promise<void> {
  await makeOrgFixture(db);
  hashed ??= hashPassword(MX_PASSWORD);
  const hash = await hashed;
  for (const [username, id] of Object.entries(MX_PEOPLE))
    await db.query('UPDATE staff SET username = $2, password_hash = $3 WHERE id = $1', [id, username, hash]);
}

export function requireNode22(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) throw new Error(`matrix-js-sdk 43 needs Node 22 (this is ${process.version}): run the tests with npm test or npx mocha`);
}

// The SDK logs a great deal: its root logger (whose method factory every child
// logger copies) writes nowhere, and each client gets a quiet logger too.
const rootLogger = sdkLogger as unknown as { methodFactory: unknown; rebuild(): void };
rootLogger.methodFactory = () => () => undefined;
rootLogger.rebuild();
const noop = () => undefined;
export const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  getChild: () => quietLogger,
} as unknown as Logger;

export interface MxResponse {
  status: number;
  body: Record<string, unknown>;
}

/** One raw Client-Server API call; `body` given as a string is sent as is. */
export async function mx(baseUrl: string, method: string, path: string, token?: string, body?: unknown): Promise<MxResponse> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export interface Session {
  user_id: string;
  access_token: string;
  device_id: string;
}

export async function passwordLogin(baseUrl: string, username: string, deviceId?: string): Promise<Session> {
  const r = await mx(baseUrl, 'POST', '/_matrix/client/v3/login', undefined, {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: username },
    password: MX_PASSWORD,
    ...(deviceId ? { device_id: deviceId } : {}),
  });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as unknown as Session;
}

/** A started matrix-js-sdk client with Rust crypto, synced (PREPARED). */
export async function startClient(baseUrl: string, session: Session): Promise<sdk.MatrixClient> {
  const client = sdk.createClient({
    baseUrl,
    userId: session.user_id,
    deviceId: session.device_id,
    accessToken: session.access_token,
    logger: quietLogger,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve, reject) => {
    client.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
      if (state === 'PREPARED') resolve();
      if (state === 'ERROR') reject(new Error(`sync error: ${String(data?.error)}`));
    });
  });
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: false });
  await prepared;
  return client;
}

export async function loginClient(baseUrl: string, username: string, deviceId?: string): Promise<sdk.MatrixClient> {
  return startClient(baseUrl, await passwordLogin(baseUrl, username, deviceId));
}

/** Polls until `check` returns a value (not undefined); fails after `ms`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The decrypted text bodies a client holds for a room, in timeline order. */
export function decryptedBodies(client: sdk.MatrixClient, roomId: string): string[] {
  const room = client.getRoom(roomId);
  if (!room) return [];
  return room
    .getLiveTimeline()
    .getEvents()
    .filter((e) => e.getType() === 'm.room.message' && !e.isDecryptionFailure())
    .map((e) => String(e.getContent().body));
}

export async function waitForBodies(client: sdk.MatrixClient, roomId: string, bodies: string[], ms = 20_000): Promise<void> {
  await eventually(`${client.getUserId()} to decrypt ${JSON.stringify(bodies)}`, () => {
    const have = decryptedBodies(client, roomId);
    return bodies.every((b) => have.includes(b)) || undefined;
  }, ms);
}

/** Creates a conference room and waits until the creator's client knows it is encrypted. */
export async function createConference(client: sdk.MatrixClient, invite: string[]): Promise<string> {
  const { room_id } = await client.createRoom({
    invite,
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  await waitUntilEncrypted(client, room_id);
  return room_id;
}

export async function waitUntilEncrypted(client: sdk.MatrixClient, roomId: string): Promise<void> {
  await eventually('room known as encrypted', async () => (client.getRoom(roomId) && (await client.getCrypto()!.isEncryptionEnabledInRoom(roomId))) || undefined);
}

/**
 * Joins on invite, then waits until the members already there (`seenBy`) see the join: a sender
 * shares its room key only with the members it knows of, so sending earlier leaves the newcomer
 * unable to decrypt.
 */
export async function joinWhenInvited(client: sdk.MatrixClient, roomId: string, seenBy: sdk.MatrixClient[]): Promise<void> {
  await eventually('invite to arrive', () => client.getRoom(roomId)?.getMyMembership() === 'invite' || undefined);
  await client.joinRoom(roomId);
  await waitJoined(client, roomId);
  const me = client.getUserId()!;
  await eventually('the other members to see the join', () => seenBy.every((x) => x.getRoom(roomId)?.getMember(me)?.membership === 'join') || undefined);
}

/** Waits until this client (e.g. another device of a member) sees the room as joined and encrypted. */
export async function waitJoined(client: sdk.MatrixClient, roomId: string): Promise<void> {
  await eventually('join to sync', () => client.getRoom(roomId)?.getMyMembership() === 'join' || undefined);
  await waitUntilEncrypted(client, roomId);
}

export async function sendText(client: sdk.MatrixClient, roomId: string, body: string): Promise<string> {
  const { event_id } = await client.sendMessage(roomId, { msgtype: sdk.MsgType.Text, body });
  return event_id;
}

export function stopAll(...clients: (sdk.MatrixClient | undefined)[]): void {
  for (const c of clients) c?.stopClient();
}
