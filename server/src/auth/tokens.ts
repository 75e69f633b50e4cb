// Access tokens: random 256-bit values handed out once, stored only as a hash.
// Browser sessions (cookie), API tokens (bearer), Matrix access and refresh
// tokens and one-time login tokens (m.login.token) are all rows of access_tokens.
// A token minted by another (minted_by) is deleted with it: a Matrix session
// ends with the web session that handed it over.
import type { Deps } from '../deps.ts';
import type { Queryable } from '../store/db.ts';
import { hashToken, randomToken } from '../crypto/sodium.ts';
import type { Actor } from './actor.ts';

/** The kinds an actor authenticates with, and Matrix refresh tokens, which only renew Matrix access tokens. */
export type TokenKind = Actor['tokenKind'] | 'matrix_refresh';

export interface IssuedToken {
  token: string;
  tokenHash: Buffer;
  expiresAt: Date | null;
}

export async function issueToken(
  q: Queryable,
  opts: {
    staffId: string;
    kind: TokenKind;
    /** Lifetime from now; `expiresAt` instead gives the end itself. */
    ttlMs?: number;
    expiresAt?: Date;
    deviceId?: string;
    label?: string;
    now?: Date;
    /** The token this one ends with (its row's deletion deletes this one). */
    mintedBy?: Buffer | null;
    /** The refresh token a renewed pair replaces. */
    replaces?: Buffer | null;
  },
): Promise<IssuedToken> {
  const token = await randomToken();
  const tokenHash = await hashToken(token);
  const now = opts.now ?? new Date();
  const expiresAt = opts.expiresAt ?? (opts.ttlMs ? new Date(now.getTime() + opts.ttlMs) : null);
  await q.query(
    `INSERT INTO access_tokens (token_hash, staff_id, kind, device_id, label, created_at, expires_at, minted_by, replaces)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [tokenHash, opts.staffId, opts.kind, opts.deviceId ?? null, opts.label ?? null, now, expiresAt, opts.mintedBy ?? null, opts.replaces ?? null],
  );
  return { token, tokenHash, expiresAt };
}

/**
 * The bus channel that tells every node a person's access changed: Matrix
 * tokens removed, the person deactivated or moved. Nodes that keep token
 * look-ups in memory drop that person's entries.
 */
export const ACCESS_REVOKED_CHANNEL = 'auth:access-revoked';

/** Announces, after the change committed, that these people's tokens must be looked up again. */
export async function announceAccessRevoked(bus: { publish(channel: string, message: unknown): Promise<void> }, staffIds: string[]): Promise<void> {
  if (staffIds.length) await bus.publish(ACCESS_REVOKED_CHANNEL, { staffIds });
}

export async function revokeToken(q: Queryable, tokenHash: Buffer): Promise<void> {
  await q.query('DELETE FROM access_tokens WHERE token_hash = $1', [tokenHash]);
}

/** Revokes every token of these kinds a person holds (sign out everywhere); returns their hashes. */
export async function revokeAllTokens(q: Queryable, staffId: string, kinds: TokenKind[]): Promise<Buffer[]> {
  const rows = await q.query<{ token_hash: Uint8Array }>(
    'DELETE FROM access_tokens WHERE staff_id = $1 AND kind = ANY($2::text[]) RETURNING token_hash',
    [staffId, kinds],
  );
  return rows.map((r) => Buffer.from(r.token_hash));
}

/**
 * An expired Matrix access token is kept this long, so that a client using it
 * hears "soft logout" (renew with your refresh token) rather than "revoked".
 */
export const EXPIRED_MATRIX_TOKEN_KEPT_MS = 24 * 3600_000;

/** Removes token rows past their expiry (they already no longer authenticate), and the tokens they minted. */
export async function deleteExpiredTokens(q: Queryable, now: Date): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `WITH gone AS (DELETE FROM access_tokens WHERE expires_at < $1 AND (kind <> 'matrix' OR expires_at < $2) RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [now, new Date(now.getTime() - EXPIRED_MATRIX_TOKEN_KEPT_MS)],
  );
  return rows[0]?.n ?? 0;
}

/** Of these tokens (hashes, hex), those still valid: not expired, not revoked, their person active. */
export async function liveTokenHashes(directory: Deps['directory'], q: Queryable, hashes: string[], now: Date): Promise<Set<string>> {
  const rows = await q.query<{ h: string; staff_id: string }>(
    `SELECT encode(token_hash, 'hex') AS h, staff_id FROM access_tokens
      WHERE token_hash = ANY (SELECT decode(x, 'hex') FROM unnest($1::text[]) AS x) AND (expires_at IS NULL OR expires_at > $2)`,
    [hashes, now],
  );
  const people = await directory.snapshot(q);
  return new Set(rows.filter((r) => people.staff(r.staff_id)?.active).map((r) => r.h));
}

/** The actor behind a token, or undefined when the token is unknown, expired or its person inactive. */
export async function actorForToken(
  directory: Deps['directory'],
  q: Queryable,
  token: string,
  via: Actor['via'],
  now: Date,
  kinds: Actor['tokenKind'][],
): Promise<Actor | undefined> {
  const tokenHash = await hashToken(token);
  // The directory's version comes with the token: the person is judged by a directory at least that new.
  const [r] = await q.query<{ staff_id: string; kind: Actor['tokenKind']; directory_version: string }>(
    `SELECT staff_id, kind, ${directory.versionSql} AS directory_version FROM access_tokens
      WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > $2) AND kind = ANY($3::text[])`,
    [tokenHash, now, kinds],
  );
  if (!r) return undefined;
  const people = await directory.atVersion(q, Number(r.directory_version));
  const person = people.staff(r.staff_id);
  if (!person?.active) return undefined;
  return {
    staffId: r.staff_id,
    displayName: person.displayName,
    organisationId: person.organisationId,
    rootOrganisationId: people.rootOf(r.staff_id)!,
    organisationKind: person.organisationKind === 'county' ? 'county' : 'kela',
    roles: people.rolesOf(r.staff_id),
    via,
    tokenKind: r.kind,
    tokenHash,
  };
}

// ---- Matrix device tokens (matrix/login.ts and matrix/access-tokens.ts decide when) ----

/** Matrix access and refresh tokens belong to a device. */
const DEVICE_TOKEN_KINDS = `kind IN ('matrix', 'matrix_refresh')`;

/** The owner of a live Matrix access token, as the Matrix layer needs it. */
export interface MatrixTokenOwner {
  /** The token's hash, hex. */
  hash: string;
  staffId: string;
  deviceId: string | null;
  rootOrganisationId: string;
  expiresAt: Date | null;
  /** Set on a refreshed pair until its first use: the refresh token it replaces (hex). */
  replaces: string | null;
}

/**
 * The Matrix access tokens among `hashes` (hex) whose person is active, expired
 * ones included (their callers are told to renew them). One round trip, with
 * the directory's version; the person comes from the directory in memory.
 */
export async function matrixTokenOwners(directory: Deps['directory'], q: Queryable, hashes: readonly string[]): Promise<MatrixTokenOwner[]> {
  // Driven by the hashes asked for: as a filter on the join, a planner short of
  // statistics joined every token to its owner first (bench:messaging saw 16 ms a look-up).
  const rows = await q.query<{ hash: string; staff_id: string; device_id: string | null; expires_at: Date | null; replaces: string | null; directory_version: string }>(
    `SELECT encode(t.token_hash, 'hex') AS hash, t.staff_id, t.device_id, t.expires_at, encode(t.replaces, 'hex') AS replaces,
            ${directory.versionSql} AS directory_version
       FROM unnest($1::text[]) AS h(hex)
       JOIN access_tokens t ON t.token_hash = decode(h.hex, 'hex')
      WHERE t.kind = 'matrix'`,
    [hashes],
  );
  if (!rows.length) return [];
  const people = await directory.atVersion(q, Number(rows[0].directory_version));
  return rows
    .filter((r) => people.staff(r.staff_id)?.active)
    .map((r) => ({ hash: r.hash, staffId: r.staff_id, deviceId: r.device_id, rootOrganisationId: people.rootOf(r.staff_id)!, expiresAt: r.expires_at && new Date(r.expires_at), replaces: r.replaces }));
}

/** Deletes the Matrix tokens of one device of a person, or of all their devices. */
export async function revokeDeviceTokens(q: Queryable, staffId: string, deviceId?: string): Promise<void> {
  if (deviceId === undefined) await q.query(`DELETE FROM access_tokens WHERE staff_id = $1 AND ${DEVICE_TOKEN_KINDS}`, [staffId]);
  else await q.query(`DELETE FROM access_tokens WHERE staff_id = $1 AND ${DEVICE_TOKEN_KINDS} AND device_id = $2`, [staffId, deviceId]);
}

/** Deletes a refresh token that a newer pair replaced. */
export async function revokeReplacedRefreshToken(q: Queryable, replaced: Buffer): Promise<void> {
  await q.query(`DELETE FROM access_tokens WHERE token_hash = $1 AND kind = 'matrix_refresh'`, [replaced]);
}

/** A refreshed pair in use: it no longer names the refresh token it replaced. */
export async function forgetReplacedToken(q: Queryable, replaced: Buffer): Promise<void> {
  await q.query('UPDATE access_tokens SET replaces = NULL WHERE replaces = $1', [replaced]);
}

/** Deletes the pairs an earlier refresh with this refresh token gave. */
export async function revokePairsReplacing(q: Queryable, refreshTokenHash: Buffer): Promise<void> {
  await q.query('DELETE FROM access_tokens WHERE replaces = $1', [refreshTokenHash]);
}

/** A live refresh token of an active person, locked for its renewal (in the caller's transaction). */
export async function lockRefreshToken(
  directory: Deps['directory'],
  q: Queryable,
  tokenHash: Buffer,
  now: Date,
): Promise<{ staffId: string; deviceId: string; expiresAt: Date; mintedBy: Buffer | null; replaces: Buffer | null } | undefined> {
  const [r] = await q.query<{ staff_id: string; device_id: string; expires_at: Date; minted_by: Uint8Array | null; replaces: Uint8Array | null }>(
    `SELECT staff_id, device_id, expires_at, minted_by, replaces FROM access_tokens
      WHERE token_hash = $1 AND kind = 'matrix_refresh' AND expires_at > $2 FOR UPDATE`,
    [tokenHash, now],
  );
  if (!r || !(await directory.snapshot(q)).staff(r.staff_id)?.active) return undefined;
  return {
    staffId: r.staff_id,
    deviceId: r.device_id,
    expiresAt: new Date(r.expires_at),
    mintedBy: r.minted_by ? Buffer.from(r.minted_by) : null,
    replaces: r.replaces ? Buffer.from(r.replaces) : null,
  };
}

/**
 * Spends a one-time login token (m.login.token): deleted whether or not it is
 * still good. Its person, when the token existed, with whether they are
 * active, the token's end, the token that minted it and when that one ends.
 */
export async function spendLoginToken(
  directory: Deps['directory'],
  q: Queryable,
  tokenHash: Buffer,
): Promise<{ staffId: string; active: boolean; expiresAt: Date | null; mintedBy: Buffer | null; mintedByEndsAt: Date | null } | undefined> {
  const [r] = await q.query<{ staff_id: string; expires_at: Date | null; minted_by: Uint8Array | null; session_ends_at: Date | null }>(
    `DELETE FROM access_tokens t WHERE t.token_hash = $1 AND t.kind = 'login'
      RETURNING t.staff_id, t.expires_at, t.minted_by, (SELECT m.expires_at FROM access_tokens m WHERE m.token_hash = t.minted_by) AS session_ends_at`,
    [tokenHash],
  );
  if (!r) return undefined;
  return {
    staffId: r.staff_id,
    active: !!(await directory.snapshot(q)).staff(r.staff_id)?.active,
    expiresAt: r.expires_at && new Date(r.expires_at),
    mintedBy: r.minted_by && Buffer.from(r.minted_by),
    mintedByEndsAt: r.session_ends_at && new Date(r.session_ends_at),
  };
}
