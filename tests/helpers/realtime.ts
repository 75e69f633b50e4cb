// Socket.IO client helpers for the realtime suites.
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import { push, type PushSpec } from '../../server/src/realtime/api.ts';
import type { Queryable } from '../../server/src/store/db.ts';

export type ClientSocket = Socket;

export interface ConnectOptions {
  token?: string;
  headers?: Record<string, string>;
}

/** A connected socket; rejects with the connect_error (message 'unauthorized' when refused). */
export function connectSocket(url: string, opts: ConnectOptions = {}): Promise<ClientSocket> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(opts.token ? { auth: { token: opts.token } } : {}),
    ...(opts.headers ? { extraHeaders: opts.headers } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** A push of the tests' own, to see which sockets an emit reaches (not in /api/asyncapi.json). */
export const testPush = (name: string): PushSpec<Record<string, unknown>> =>
  push({ name, summary: 'a test event', to: 'whichever room the test names', payload: z.record(z.string(), z.unknown()) });

/** Resolves with the first `event` payload that matches; events already received do not count. */
export function nextEvent<T = Record<string, unknown>>(
  socket: ClientSocket,
  event: string,
  match: (payload: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const handler = (payload: T) => {
      if (!match(payload)) return;
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

/** Every `event` payload this socket receives from now on. */
export function recordEvents<T = Record<string, unknown>>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (p: T) => seen.push(p));
  return seen;
}

export function emitWithAck<T = Record<string, unknown>>(socket: ClientSocket, event: string, payload: unknown): Promise<T> {
  return socket.timeout(10_000).emitWithAck(event, payload) as Promise<T>;
}

/**
 * A small directory: Kela with one district, two counties, teams in county A.
 * Plain SQL, so these suites do not depend on the directory import.
 */
export async function seedRealtimeDirectory(q: Queryable): Promise<void> {
  await q.exec(`
    INSERT INTO organisations (id, kind, parent_id, name_fi, name_sv) VALUES
      ('kela', 'kela', NULL, 'Kela', 'FPA'),
      ('kela-d1', 'kela_district', 'kela', 'Vakuutuspiiri 1', 'Försäkringsdistrikt 1'),
      ('county-a', 'county', NULL, 'Hyvinvointialue A', 'Välfärdsområde A'),
      ('county-b', 'county', NULL, 'Hyvinvointialue B', 'Välfärdsområde B');
    INSERT INTO staff (id, organisation_id, display_name) VALUES
      ('handler', 'kela-d1', 'Kela Handler'),
      ('worker', 'county-a', 'County Worker'),
      ('colleague', 'county-a', 'County Colleague'),
      ('outsider', 'county-b', 'Other County Worker');
    INSERT INTO teams (id, organisation_id, name_fi, name_sv) VALUES
      ('team-a', 'county-a', 'Tiimi A', 'Team A'),
      ('team-a2', 'county-a', 'Tiimi A2', 'Team A2');
    INSERT INTO team_members (team_id, staff_id) VALUES ('team-a', 'worker'), ('team-a', 'colleague');
  `);
}

/** The parts of /api/asyncapi.json the suites read. */
export interface AsyncApiDocument {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { payload: Record<string, unknown> }> }>;
  operations: Record<string, { action: 'send' | 'receive'; channel: { $ref: string }; messages: { $ref: string }[]; reply?: { channel: { $ref: string }; messages: { $ref: string }[] } }>;
}

/** The event names of the operations of one direction: 'receive' are the commands Rinki answers, 'send' its pushes. */
export function eventsOf(doc: AsyncApiDocument, action: 'send' | 'receive'): string[] {
  return Object.values(doc.operations)
    .filter((op) => op.action === action)
    .map((op) => doc.channels[op.channel.$ref.replace('#/channels/', '')].address);
}
