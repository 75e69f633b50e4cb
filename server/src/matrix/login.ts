// Matrix sign-in: m.login.password (a local account's username and Argon2id
// password) and m.login.token (a one-time token the signed-in web app fetches,
// so the browser's matrix-js-sdk and the control plane share one identity).
// Each login is a device with one access token: an access_tokens row of kind 'matrix'.
import { hashToken } from '../crypto/sodium.ts';
import { verifyAgainstNothing, verifyPassword } from '../auth/passwords.ts';
import { issueToken } from '../auth/tokens.ts';
import { signInLimits } from '../auth/rate-limit.ts';
import type { Queryable } from '../store/db.ts';
import { type MatrixContext } from './context.ts';
import { MatrixError, mxForbidden, mxLimitExceeded } from './errors.ts';
import { newDeviceId } from './ids.ts';
import { ensureDevice } from './keys.ts';

export const LOGIN_TOKEN_TTL_MS = 2 * 60_000;

/** A one-time m.login.token for a signed-in person; it is deleted when used. */
export async function issueMatrixLoginToken(q: Queryable, staffId: string, now = new Date()): Promise<{ loginToken: string; expiresAt: Date }> {
  const t = await issueToken(q, { staffId, kind: 'login', ttlMs: LOGIN_TOKEN_TTL_MS, now, label: 'm.login.token' });
  return { loginToken: t.token, expiresAt: t.expiresAt! };
}

const BAD_CREDENTIALS = 'Invalid username or password';

/**
 * The staff id when the password is right and the person active; the same cost and answer otherwise.
 * Counted against the sign-in limits REST sign-in shares (per account, and per address when `from.ip` is known).
 */
export async function checkPassword(ctx: MatrixContext, user: string, password: string, from: { ip?: string } = {}): Promise<string> {
  // A full user id names the staff member; anything else is a username.
  const byId = user.startsWith('@') ? ctx.ids.staffId(user) : undefined;
  const rows = await ctx.deps.db.query<{ id: string; username: string | null; password_hash: string | null; active: boolean }>(
    user.startsWith('@') ? 'SELECT id, username, password_hash, active FROM staff WHERE id = $1' : 'SELECT id, username, password_hash, active FROM staff WHERE username = $1',
    [user.startsWith('@') ? (byId ?? '') : user.trim().toLowerCase()],
  );
  const row = rows[0];
  // The account as REST sign-in names it (its username), whichever way it was named here.
  const attempt = await signInLimits(ctx.deps).attempt({ account: row?.username ?? user, ip: from.ip });
  if (attempt.limited) throw mxLimitExceeded(attempt.limited.retryAfterMs);
  let staffId: string | undefined;
  try {
    if (!row?.password_hash) await verifyAgainstNothing(password);
    else if ((await verifyPassword(row.password_hash, password)) && row.active) staffId = row.id;
  } catch (err) {
    await attempt.uncount();
    throw err;
  }
  if (!staffId) throw mxForbidden(BAD_CREDENTIALS);
  await attempt.uncount();
  return staffId;
}

export async function consumeLoginToken(ctx: MatrixContext, token: string): Promise<string> {
  const rows = await ctx.deps.db.query<{ staff_id: string }>(
    `DELETE FROM access_tokens t USING staff s
      WHERE t.token_hash = $1 AND t.kind = 'login' AND s.id = t.staff_id
      RETURNING t.staff_id, t.expires_at, s.active`,
    [await hashToken(token)],
  );
  const r = rows[0] as { staff_id: string; expires_at: Date | null; active: boolean } | undefined;
  if (!r || !r.active || (r.expires_at && new Date(r.expires_at) <= ctx.deps.clock.now())) throw mxForbidden('Invalid or expired login token');
  return r.staff_id;
}

export interface LoginResult {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
  well_known: { 'm.homeserver': { base_url: string } };
}

/** Opens (or re-opens) a device for the person; an existing device's old token stops working. */
export async function openSession(ctx: MatrixContext, staffId: string, deviceId: string | undefined, displayName: string | undefined): Promise<LoginResult> {
  const device = deviceId ?? newDeviceId();
  if (!/^[A-Za-z0-9._=-]{1,64}$/.test(device)) throw new MatrixError(400, 'M_INVALID_PARAM', 'device_id: letters, digits and . _ = - (at most 64)');
  const token = await ctx.deps.db.tx(async (q) => {
    await q.query(`DELETE FROM access_tokens WHERE staff_id = $1 AND kind = 'matrix' AND device_id = $2`, [staffId, device]);
    await ensureDevice(q, staffId, device, displayName);
    await q.query('UPDATE matrix_devices SET last_seen_at = $3 WHERE staff_id = $1 AND device_id = $2', [staffId, device, ctx.deps.clock.now()]);
    return issueToken(q, { staffId, kind: 'matrix', deviceId: device, label: 'matrix', now: ctx.deps.clock.now() });
  });
  // The device's earlier token, if any, is gone.
  await ctx.tokens.revoked([staffId]);
  return {
    user_id: ctx.ids.userId(staffId),
    access_token: token.token,
    device_id: device,
    home_server: ctx.ids.serverName,
    well_known: { 'm.homeserver': { base_url: ctx.deps.config.publicUrl } },
  };
}
