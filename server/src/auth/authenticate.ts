// Resolves req.actor from a bearer token (API clients) or the session cookie
// (the browser app). Cookie-authenticated writes must carry the CSRF token the
// sign-in answer gave: an HMAC of the session, so another site cannot forge it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Deps } from '../deps.ts';
import { HttpError, unauthorized } from '../http/errors.ts';
import { actorForToken } from './tokens.ts';

export const SESSION_COOKIE = 'rinki_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Sign-in starts a new session: an old session cookie is ignored there, so it needs no CSRF token. */
const SESSION_IGNORED = new Set(['/api/auth/login']);

export function csrfTokenFor(cookieSecret: Uint8Array, sessionTokenHash: Buffer): string {
  return createHmac('sha256', cookieSecret).update(sessionTokenHash).digest('base64url');
}

export function authenticate(deps: Deps): RequestHandler {
  return async (req, _res, next) => {
    // Matrix endpoints authenticate with Matrix access tokens in matrix/.
    if (req.path.startsWith('/_matrix/')) return next();
    try {
      const header = req.headers.authorization;
      if (header) {
        const m = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header);
        if (!m) throw unauthorized('Malformed Authorization header');
        const actor = await actorForToken(deps.directory, deps.db, m[1], 'bearer', deps.clock.now(), ['api']);
        if (!actor) throw unauthorized('Unknown or expired token');
        req.actor = actor;
        return next();
      }
      const cookie = req.cookies?.[SESSION_COOKIE];
      if (typeof cookie === 'string' && cookie && !SESSION_IGNORED.has(req.path)) {
        const actor = await actorForToken(deps.directory, deps.db, cookie, 'cookie', deps.clock.now(), ['web']);
        // An expired session is treated as none: public routes still work.
        if (actor) {
          if (!SAFE_METHODS.has(req.method)) {
            const sent = req.headers[CSRF_HEADER];
            const expected = csrfTokenFor(deps.keys.cookieSecret, actor.tokenHash);
            if (typeof sent !== 'string' || sent.length !== expected.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(expected)))
              throw new HttpError(403, 'csrf', 'Missing or wrong CSRF token');
          }
          req.actor = actor;
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}
