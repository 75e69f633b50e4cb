// Matrix identifiers: user ids from staff ids (the mapping lives in shared/,
// the browser app uses it too), room, event and device ids.
import { randomBytes, randomFillSync } from 'node:crypto';
import { localpartForStaff, staffForLocalpart } from '../../../shared/src/matrix-ids.ts';

export { localpartForStaff, staffForLocalpart };

export class MatrixIds {
  constructor(readonly serverName: string) {}

  userId(staffId: string): string {
    return `@${localpartForStaff(staffId)}:${this.serverName}`;
  }

  /** The staff id behind a user id of this server, or undefined (another server, malformed). */
  staffId(userId: string): string | undefined {
    if (typeof userId !== 'string' || !userId.startsWith('@')) return undefined;
    const colon = userId.indexOf(':');
    if (colon < 2 || userId.slice(colon + 1) !== this.serverName) return undefined;
    return staffForLocalpart(userId.slice(1, colon));
  }

  newRoomId(): string {
    return `!${randomBytes(18).toString('base64url')}:${this.serverName}`;
  }
}

// Event ids are taken from a pool of random bytes refilled 128 ids at a time
// (as node's randomUUID does): one call into the CSPRNG per 128 sends, not per send.
const ID_BYTES = 32;
const idPool = Buffer.alloc(ID_BYTES * 128);
let idOffset = idPool.length;

/** Room version 4+ event ids: '$' and 43 url-safe characters (256 random bits). */
export function newEventId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return `$${id}`;
}

export function newDeviceId(): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from(randomBytes(10), (b) => letters[b % 26]).join('');
}
