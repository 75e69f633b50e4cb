// Matrix identifiers: user ids from staff ids (the mapping lives in shared/,
// the browser app uses it too), room, event and device ids.
import { randomBytes } from 'node:crypto';
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

/** Room version 4+ event ids: '$' and 43 url-safe characters. */
export function newEventId(): string {
  return `$${randomBytes(32).toString('base64url')}`;
}

export function newDeviceId(): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from(randomBytes(10), (b) => letters[b % 26]).join('');
}
