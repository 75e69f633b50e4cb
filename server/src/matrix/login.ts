// Matrix sign-in: m.login.password (a local account's username and Argon2id
// password) and m.login.token (a one-time token the signed-in web app fetches,
// so the browser's matrix-js-sdk and the control plane share one identity).
// Each login is a device with an access token (access_tokens, kind 'matrix')
// and, when the client asks, a refresh token (kind 'matrix_refresh').
//
// A Matrix session ends when the sign-in it came from does: an m.login.token
// login ends with the web session that minted the token (its sign-out, its
// expiry; the rows are linked by minted_by), a password login after
// SESSION_TTL_HOURS, like a browser session. Access tokens of clients that ask
// for refresh tokens last MATRIX_ACCESS_TOKEN_TTL_S and are renewed through
// POST /refresh. A client that does not ask gets one access token for the whole
// session (the spec lets such clients keep a token; the session's end still
// applies): logging in again every few minutes would only train people to
// type passwords more often.
import { hashToken } from '../crypto/sodium.ts';
import { verifyAgainstNothing, verifyPassword } from '../auth/passwords.ts';
import { issueToken, lockRefreshToken, revokeDeviceTokens, revokePairsReplacing, revokeReplacedRefreshToken, spendLoginToken } from '../auth/tokens.ts';
import { signInLimits } from '../auth/rate-limit.ts';
import type { Queryable } from '../store/db.ts';
import { type MatrixContext } from './context.ts';
import { MatrixError, mxForbidden, mxLimitExceeded, mxUnknownToken } from './errors.ts';
import { newDeviceId } from './ids.ts';
import { ensureDevice } from './keys.ts';

export const LOGIN_TOKEN_TTL_MS = 2 * 60_000;

/** A one-time m.login.token for a signed-in person, minted by the token of their sign-in; it is deleted when used. */
export async function issueMatrixLoginToken(
  q: Queryable,
  staffId: string,
  mintedBy: Buffer,
  now = new Date(),
): Promise<{ loginToken: string; expiresAt: Date }> {
  const t = await issueToken(q, { staffId, kind: 'login', ttlMs: LOGIN_TOKEN_TTL_MS, now, label: 'm.login.token', mintedBy });
  return { loginToken: t.token, expiresAt: t.expiresAt! };
}

/** Who signs in, and the sign-in the Matrix session belongs to: it ends when that does. */
export interface SignIn {
  staffId: string;
  /** The web session (or API token) that handed the session over; null for a password login. */
  mintedBy: Buffer | null;
  sessionEndsAt: Date;
}

export function passwordSignIn(ctx: MatrixContext, staffId: string): SignIn {
  return { staffId, mintedBy: null, sessionEndsAt: new Date(ctx.deps.clock.now().getTime() + ctx.deps.config.sessionTtlMs) };
}

const BAD_CREDENTIALS = 'Invalid username or password';

/**
 * The staff id when the password is right and the person active; the same cost and answer otherwise.
 * Counted against the sign-in limits REST sign-in shares (per account, and per address when `from.ip` is known).
 */
export async function checkPassword(ctx: MatrixContext, user: string, password: string, from: { ip?: string } = {}): Promise<string> {
  // A full user id names the staff member; anything else is a username.
  const byId = user.startsWith('@') ? ctx.ids.staffId(user) : undefined;
  const account = await ctx.deps.directory.account(ctx.deps.db, user.startsWith('@') ? { id: byId ?? '' } : { username: user.trim().toLowerCase() });
  // The account as REST sign-in names it (its username), whichever way it was named here.
  const attempt = await signInLimits(ctx.deps).attempt({ account: account?.username ?? user, ip: from.ip });
  if (attempt.limited) throw mxLimitExceeded(attempt.limited.retryAfterMs);
  let staffId: string | undefined;
  try {
    if (!account?.passwordHash) await verifyAgainstNothing(password);
    else if ((await verifyPassword(account.passwordHash, password)) && account.active) staffId = account.id;
  } catch (err) {
    await attempt.uncount();
    throw err;
  }
  if (!staffId) throw mxForbidden(BAD_CREDENTIALS);
  await attempt.uncount();
  return staffId;
}

export async function consumeLoginToken(ctx: MatrixContext, token: string): Promise<SignIn> {
  const r = await spendLoginToken(ctx.deps.directory, ctx.deps.db, await hashToken(token));
  const now = ctx.deps.clock.now();
  if (!r || !r.active || (r.expiresAt && r.expiresAt <= now)) throw mxForbidden('Invalid or expired login token');
  if (!r.mintedBy) return passwordSignIn(ctx, r.staffId);
  // A web session lasts SESSION_TTL_HOURS; an API token may carry no end, and then its session gets that long.
  const sessionEnd = new Date(now.getTime() + ctx.deps.config.sessionTtlMs);
  const endsAt = r.mintedByEndsAt && r.mintedByEndsAt < sessionEnd ? r.mintedByEndsAt : sessionEnd;
  return { staffId: r.staffId, mintedBy: r.mintedBy, sessionEndsAt: endsAt };
}

export interface LoginResult {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
  well_known: { 'm.homeserver': { base_url: string } };
  refresh_token?: string;
  expires_in_ms: number;
}

interface TokenPair {
  access_token: string;
  refresh_token?: string;
  expires_in_ms: number;
}

/** An access token (and a refresh token when asked for) of a device, ending no later than the session. */
async function issuePair(
  ctx: MatrixContext,
  q: Queryable,
  o: { staffId: string; deviceId: string; mintedBy: Buffer | null; sessionEndsAt: Date; refresh: boolean; replaces?: Buffer },
): Promise<TokenPair> {
  const now = ctx.deps.clock.now();
  const end = o.sessionEndsAt.getTime();
  const accessEnd = new Date(o.refresh ? Math.min(now.getTime() + ctx.deps.config.matrixAccessTokenTtlMs, end) : end);
  const common = { staffId: o.staffId, deviceId: o.deviceId, now, mintedBy: o.mintedBy, replaces: o.replaces ?? null };
  const access = await issueToken(q, { ...common, kind: 'matrix', label: 'matrix', expiresAt: accessEnd });
  const refresh = o.refresh ? await issueToken(q, { ...common, kind: 'matrix_refresh', label: 'matrix refresh', expiresAt: o.sessionEndsAt }) : undefined;
  return {
    access_token: access.token,
    ...(refresh ? { refresh_token: refresh.token } : {}),
    expires_in_ms: Math.max(0, accessEnd.getTime() - now.getTime()),
  };
}

/** Opens (or re-opens) a device for the person; an existing device's old tokens stop working. */
export async function openSession(
  ctx: MatrixContext,
  signIn: SignIn,
  opts: { deviceId?: string; displayName?: string; refresh: boolean },
): Promise<LoginResult> {
  const { staffId } = signIn;
  const device = opts.deviceId ?? newDeviceId();
  if (!/^[A-Za-z0-9._=-]{1,64}$/.test(device)) throw new MatrixError(400, 'M_INVALID_PARAM', 'device_id: letters, digits and . _ = - (at most 64)');
  const tokens = await ctx.deps.db.tx(async (q) => {
    await revokeDeviceTokens(q, staffId, device);
    await ensureDevice(q, staffId, device, opts.displayName);
    await q.query('UPDATE matrix_devices SET last_seen_at = $3 WHERE staff_id = $1 AND device_id = $2', [staffId, device, ctx.deps.clock.now()]);
    return issuePair(ctx, q, { staffId, deviceId: device, mintedBy: signIn.mintedBy, sessionEndsAt: signIn.sessionEndsAt, refresh: opts.refresh });
  });
  // The device's earlier token, if any, is gone.
  await ctx.tokens.revoked([staffId]);
  return {
    user_id: ctx.ids.userId(staffId),
    device_id: device,
    home_server: ctx.ids.serverName,
    well_known: { 'm.homeserver': { base_url: ctx.deps.config.publicUrl } },
    ...tokens,
  };
}

/**
 * POST /refresh: a new access token and refresh token for the refresh token's
 * device, within its session. The refresh token stays usable until the new pair
 * is first used (the client may not have received this answer); a pair an
 * earlier refresh with the same token gave is dropped, since asking again means
 * that answer was lost. The old access token lives out its short life.
 */
export async function refreshSession(ctx: MatrixContext, refreshToken: string): Promise<TokenPair> {
  const hash = await hashToken(refreshToken);
  return ctx.deps.db.tx(async (q) => {
    const r = await lockRefreshToken(ctx.deps.directory, q, hash, ctx.deps.clock.now());
    if (!r) throw mxUnknownToken(false);
    await revokePairsReplacing(q, hash);
    // This refresh token is in use: the one it replaced is done.
    if (r.replaces) await revokeReplacedRefreshToken(q, r.replaces);
    return issuePair(ctx, q, {
      staffId: r.staffId,
      deviceId: r.deviceId,
      mintedBy: r.mintedBy,
      sessionEndsAt: r.expiresAt,
      refresh: true,
      replaces: hash,
    });
  });
}
