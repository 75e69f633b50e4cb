// Access tokens: random 256-bit values handed out once, stored only as a hash.
// Browser sessions (cookie), API tokens (bearer), Matrix access and refresh
// tokens and one-time login tokens (m.login.token) are all rows of access_tokens.
// A token minted by another (minted_by) is deleted with it: a Matrix session
// ends with the web session that handed it over.
import type { Queryable } from '../store/db.ts';
import { hashToken, randomToken } from '../crypto/sodium.ts';
import type { Actor, Role, RoleGrant } from './actor.ts';

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

interface ActorRow {
  staff_id: string;
  kind: Actor['tokenKind'];
  display_name: string;
  organisation_id: string;
  root_organisation_id: string;
  root_kind: 'kela' | 'county';
  roles: { role: Role; organisationId: string }[] | null;
}

/** The actor behind a token, or undefined when the token is unknown, expired or its person inactive. */
export async function actorForToken(
  q: Queryable,
  token: string,
  via: Actor['via'],
  now: Date,
  kinds: Actor['tokenKind'][],
): Promise<Actor | undefined> {
  const tokenHash = await hashToken(token);
  const rows = await q.query<ActorRow>(
    `SELECT t.staff_id, t.kind, s.display_name, s.organisation_id,
            COALESCE(o.parent_id, o.id) AS root_organisation_id,
            CASE WHEN o.kind = 'county' THEN 'county' ELSE 'kela' END AS root_kind,
            (SELECT json_agg(json_build_object('role', r.role, 'organisationId', r.organisation_id))
               FROM staff_roles r WHERE r.staff_id = s.id) AS roles
       FROM access_tokens t
       JOIN staff s ON s.id = t.staff_id
       JOIN organisations o ON o.id = s.organisation_id
      WHERE t.token_hash = $1 AND s.active AND (t.expires_at IS NULL OR t.expires_at > $2)
        AND t.kind = ANY($3::text[])`,
    [tokenHash, now, kinds],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    staffId: r.staff_id,
    displayName: r.display_name,
    organisationId: r.organisation_id,
    rootOrganisationId: r.root_organisation_id,
    organisationKind: r.root_kind,
    roles: (r.roles ?? []) as RoleGrant[],
    via,
    tokenKind: r.kind,
    tokenHash,
  };
}
