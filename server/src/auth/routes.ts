// Sign-in, sign-out and tokens: /api/auth/...
// Passport runs without its session support: our access tokens are the session.
import express, { type Request, type RequestHandler, type Response } from 'express';
import passport from 'passport';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { HttpError, notFound, unauthorized } from '../http/errors.ts';
import { csrfTokenFor } from './authenticate.ts';
import { BAD_CREDENTIALS, localStrategy } from './local.ts';
import { OidcSignIn, runPassport } from './oidc.ts';
import { signInLimits, tooManySignIns } from './rate-limit.ts';
import { completeReauthStage } from './reauth.ts';
import { clearSessionCookie, startWebSession, userSummary, userSummarySchema } from './session.ts';
import { actorForToken, announceAccessRevoked, deleteExpiredTokens, issueToken, revokeAllTokens, revokeToken } from './tokens.ts';

const TAG = 'auth';
const DAY_S = 86_400;
const API_TOKEN_DEFAULT_TTL_S = 90 * DAY_S;
const API_TOKEN_MAX_TTL_S = 365 * DAY_S;
const EXPIRED_TOKEN_CLEANUP_INTERVAL_MS = 60_000;

const loginBody = z.strictObject({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1000),
  /** 'cookie' (default): a browser session; 'token': an API bearer token in the answer. */
  mode: z.enum(['cookie', 'token']).optional(),
});

const signedIn = z.object({ user: userSummarySchema, csrfToken: z.string().optional() });
const issuedApiToken = z.object({
  token: z.string(),
  label: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

/** A path on this site only: no scheme, no host, no protocol-relative //. */
const returnToSchema = z
  .string()
  .max(500)
  .regex(/^\/(?![/\\])[\x21-\x7e]*$/, 'must be a path on this site, starting with a single /')
  .refine((s) => !s.includes('\\'), 'must not contain a backslash');

/**
 * Sign-in takes JSON only: a form on another site cannot send
 * application/json without a CORS preflight, which blocks login CSRF.
 */
const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) next(new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json'));
  else next();
};

export interface AuthHooks {
  /** Called after tokens are revoked (sign-out), e.g. to drop their live sockets. */
  tokensRevoked?(tokenHashes: Buffer[]): void;
}

export function authMounts(deps: Deps, hooks: AuthHooks = {}): Mount[] {
  const router = express.Router();
  // Our own instance: nothing shared with other apps (or test nodes) in this process.
  const auth = new passport.Passport();
  auth.use('local', localStrategy(deps));
  const oidc = new OidcSignIn(deps, auth);
  const cleanupExpiredTokens = expiredTokenCleanup(deps);

  route(router, {
    method: 'get',
    path: '/api/auth/providers',
    tag: TAG,
    summary: 'Identity providers to offer on the sign-in page',
    auth: 'public',
    response: z.object({ providers: z.array(z.object({ id: z.string(), name: z.string() })) }),
    handler: async () => ({ providers: oidc.providers().map((p) => ({ id: p.id, name: p.name })) }),
  });

  const limits = signInLimits(deps);
  router.post('/api/auth/login', requireJson);
  route(router, {
    method: 'post',
    path: '/api/auth/login',
    tag: TAG,
    summary: 'Sign in with a local account: a session cookie, or with mode "token" an API bearer token',
    auth: 'public',
    body: loginBody,
    response: signedIn.extend({ token: z.string().optional(), expiresAt: z.string().nullable().optional() }),
    handler: async ({ req, res, body }) => {
      await cleanupExpiredTokens();
      const attempt = await limits.attempt({ account: body.username, ip: req.ip });
      if (attempt.limited) throw tooManySignIns(attempt.limited.retryAfterMs);
      const outcome = await runPassport(auth, 'local', req, res, {});
      // Only a wrong username or password counts against the limits.
      if (outcome.kind !== 'failed') await attempt.uncount();
      if (outcome.kind === 'error') throw outcome.err;
      if (outcome.kind !== 'signed-in') throw unauthorized(BAD_CREDENTIALS);
      const { staffId } = outcome.user;
      if (body.mode === 'token') {
        const now = deps.clock.now();
        const issued = await issueToken(deps.db, { staffId, kind: 'api', ttlMs: API_TOKEN_DEFAULT_TTL_S * 1000, now });
        const actor = await actorForToken(deps.directory, deps.db, issued.token, 'bearer', now, ['api']);
        if (!actor) throw unauthorized(BAD_CREDENTIALS);
        return { user: userSummary(actor), token: issued.token, expiresAt: issued.expiresAt?.toISOString() ?? null };
      }
      const session = await startWebSession(deps, res, staffId);
      if (!session) throw unauthorized(BAD_CREDENTIALS);
      return session;
    },
  });

  route(router, {
    method: 'get',
    path: '/api/auth/oidc/:provider/login',
    tag: TAG,
    summary: "Start signing in through an organisation's identity provider (redirects there)",
    auth: 'public',
    params: z.strictObject({ provider: z.string() }),
    query: z.strictObject({
      returnTo: returnToSchema.optional(),
      /** A re-authentication session to confirm (Matrix UIA's SSO stage) instead of signing in. */
      reauthSession: z.string().regex(/^[\w-]{10,64}$/).optional(),
    }),
    handler: async ({ req, res, params, query }) => {
      const provider = oidc.provider(params.provider);
      if (!provider) throw notFound('No such identity provider');
      await oidc.begin(provider, query.returnTo ?? '/', req, res, { reauthSession: query.reauthSession });
    },
  });

  route(router, {
    method: 'get',
    path: '/api/auth/oidc/:provider/callback',
    tag: TAG,
    summary: 'Where the identity provider sends the browser back; signs in and redirects into the app',
    auth: 'public',
    params: z.strictObject({ provider: z.string() }),
    // The strategy reads the authorization response itself; these are documentation.
    query: z.object({
      code: z.string().optional(),
      state: z.string().optional(),
      iss: z.string().optional(),
      error: z.string().optional(),
    }),
    handler: async ({ req, res, params }) => {
      const provider = oidc.provider(params.provider);
      if (!provider) throw notFound('No such identity provider');
      const result = await oidc.complete(provider, req, res);
      if ('failure' in result) return signInFailure(req, res, result.failure);
      if (result.reauthSession) {
        // A fresh sign-in that confirms an operation: recorded on the session if it is this person's; no web session.
        const confirmed = await completeReauthStage(deps.db, result.reauthSession, result.staffId, 'm.login.sso', deps.clock.now());
        if (!confirmed) return signInFailure(req, res, 'failed');
        deps.log.info({ staffId: result.staffId }, 're-authentication confirmed through the identity provider');
        res
          .status(200)
          .type('html')
          .send('<!doctype html><meta charset="utf-8"><title>Rinki</title><p>Vahvistettu. Voit sulkea ikkunan. / Bekräftat. Du kan stänga fönstret.</p><script src="/_matrix/client/v3/auth/fallback/done.js"></script>');
        return;
      }
      const session = await startWebSession(deps, res, result.staffId);
      if (!session) return signInFailure(req, res, 'no_account');
      res.redirect(302, result.returnTo);
    },
  });

  route(router, {
    method: 'get',
    path: '/api/auth/me',
    tag: TAG,
    summary: 'The signed-in person (and, for a cookie session, a fresh CSRF token)',
    response: signedIn,
    handler: async ({ actor }) => ({
      user: userSummary(actor),
      ...(actor.via === 'cookie' ? { csrfToken: csrfTokenFor(deps.keys.cookieSecret, actor.tokenHash) } : {}),
    }),
  });

  route(router, {
    method: 'post',
    path: '/api/auth/logout',
    tag: TAG,
    summary: 'Sign out: revokes the token of this request, and the Matrix session it handed over, and clears the session cookie',
    status: 204,
    handler: async ({ res, actor }) => {
      // The Matrix tokens this session minted go with its row (minted_by cascades).
      await revokeToken(deps.db, actor.tokenHash);
      hooks.tokensRevoked?.([actor.tokenHash]);
      await announceMatrixRevoked(actor.staffId);
      clearSessionCookie(deps, res);
    },
  });

  route(router, {
    method: 'post',
    path: '/api/auth/logout-all',
    tag: TAG,
    summary: "Sign out everywhere: revokes all the person's browser sessions, API tokens and Matrix sessions",
    status: 204,
    handler: async ({ res, actor }) => {
      const revoked = await revokeAllTokens(deps.db, actor.staffId, ['web', 'api', 'matrix', 'matrix_refresh', 'login']);
      hooks.tokensRevoked?.(revoked);
      await announceMatrixRevoked(actor.staffId);
      deps.log.info({ staffId: actor.staffId, revoked: revoked.length }, 'signed out everywhere');
      clearSessionCookie(deps, res);
    },
  });

  route(router, {
    method: 'post',
    path: '/api/auth/tokens',
    tag: TAG,
    summary: 'Create an API bearer token (shown once; from a browser session only)',
    status: 201,
    body: z.strictObject({
      label: z.string().min(1).max(100).optional(),
      ttlSeconds: z.number().int().min(60).max(API_TOKEN_MAX_TTL_S).optional(),
    }),
    response: issuedApiToken,
    handler: async ({ body, actor }) => {
      // Only a signed-in browser session mints API tokens: a leaked token cannot renew itself forever.
      if (actor.via !== 'cookie' || actor.tokenKind !== 'web') throw new HttpError(403, 'forbidden', 'Create API tokens from a signed-in browser session');
      const issued = await issueToken(deps.db, {
        staffId: actor.staffId,
        kind: 'api',
        label: body.label,
        ttlMs: (body.ttlSeconds ?? API_TOKEN_DEFAULT_TTL_S) * 1000,
        now: deps.clock.now(),
      });
      return { token: issued.token, label: body.label ?? null, expiresAt: issued.expiresAt?.toISOString() ?? null };
    },
  });

  route(router, {
    method: 'delete',
    path: '/api/auth/tokens/current',
    tag: TAG,
    summary: 'Revoke the token this request authenticated with (and the Matrix session it handed over)',
    status: 204,
    handler: async ({ res, actor }) => {
      await revokeToken(deps.db, actor.tokenHash);
      hooks.tokensRevoked?.([actor.tokenHash]);
      await announceMatrixRevoked(actor.staffId);
      if (actor.via === 'cookie') clearSessionCookie(deps, res);
    },
  });

  /** Nodes drop the Matrix tokens they keep in memory for this person (a lost message: they live at most a few seconds). */
  async function announceMatrixRevoked(staffId: string): Promise<void> {
    await announceAccessRevoked(deps.bus, [staffId]).catch((err: unknown) => deps.log.warn({ err }, 'access revocation not published'));
  }

  return [{ path: '/', router }];
}

const FAILURES = {
  expired: { status: 400, message: 'The sign-in expired or was started elsewhere; start again' },
  failed: { status: 401, message: 'The identity provider sign-in could not be verified' },
  no_account: { status: 403, message: 'No Rinki account for this identity' },
} as const;

/**
 * A failed OIDC callback. A browser gets a page that sends it to the app with
 * the reason in the query (the app shows it in the user's language); an API
 * client gets the JSON error.
 */
function signInFailure(req: Request, res: Response, reason: keyof typeof FAILURES): void {
  const { status, message } = FAILURES[reason];
  if (req.accepts(['json', 'html']) === 'html') {
    const target = `/?signInError=${reason}`;
    res
      .status(status)
      .type('html')
      .send(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}"><a href="${target}">Rinki</a>`);
    return;
  }
  throw new HttpError(status, reason === 'no_account' ? 'no_account' : reason === 'expired' ? 'invalid_request' : 'unauthorized', message);
}

/** Deletes expired token rows, at most once a minute per node; a failure never fails a sign-in. */
function expiredTokenCleanup(deps: Deps): () => Promise<void> {
  let lastRun = -Infinity;
  return async () => {
    const now = deps.clock.now();
    if (now.getTime() - lastRun < EXPIRED_TOKEN_CLEANUP_INTERVAL_MS) return;
    lastRun = now.getTime();
    try {
      const deleted = await deleteExpiredTokens(deps.db, now);
      if (deleted) deps.log.debug({ deleted }, 'expired tokens deleted');
    } catch (err) {
      deps.log.warn({ err }, 'deleting expired tokens failed');
    }
  };
}
