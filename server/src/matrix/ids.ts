// Matrix identifiers. A staff id becomes a user id's localpart with the spec's
// reversible mapping from other character sets (A → _a, _ → __, others → =xx),
// so ids with capitals or ':' stay valid Matrix user ids.
import { randomBytes } from 'node:crypto';

export function localpartForStaff(staffId: string): string {
  let out = '';
  for (const ch of staffId) {
    if (/[a-z0-9.\-/]/.test(ch)) out += ch;
    else if (ch === '_') out += '__';
    else if (/[A-Z]/.test(ch)) out += '_' + ch.toLowerCase();
    else
      for (const b of Buffer.from(ch, 'utf8')) out += '=' + b.toString(16).padStart(2, '0');
  }
  return out;
}

export function staffForLocalpart(localpart: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < localpart.length; i++) {
    const ch = localpart[i];
    if (ch === '_') {
      const next = localpart[i + 1];
      if (next === '_') bytes.push(0x5f);
      else if (next && /[a-z]/.test(next)) bytes.push(next.toUpperCase().charCodeAt(0));
      else return undefined;
      i++;
    } else if (ch === '=') {
      const hex = localpart.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (/[a-z0-9.\-/]/.test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  return Buffer.from(bytes).toString('utf8');
}

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
