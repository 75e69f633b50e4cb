// Browser sessions: a 'web' access token in an httpOnly cookie, and what a
// sign-in answers (the person and the CSRF token for cookie-authenticated writes).
import type { Response } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ROLES, type Actor } from './actor.ts';
import { SESSION_COOKIE, csrfTokenFor } from './authenticate.ts';
import { actorForToken, issueToken, revokeToken, type IssuedToken } from './tokens.ts';

export const userSummarySchema = z.object({
  id: z.string(),
  displayName: z.string(),
  organisationId: z.string(),
  rootOrganisationId: z.string(),
  organisationKind: z.enum(['kela', 'county']),
  roles: z.array(z.object({ role: z.enum(ROLES), organisationId: z.string() })),
});
export type UserSummary = z.infer<typeof userSummarySchema>;

export function userSummary(actor: Actor): UserSummary {
  return {
    id: actor.staffId,
    displayName: actor.displayName,
    organisationId: actor.organisationId,
    rootOrganisationId: actor.rootOrganisationId,
    organisationKind: actor.organisationKind,
    roles: actor.roles,
  };
}

/**
 * SameSite=Strict: the cookie is never sent on a request another site starts.
 * After an OIDC sign-in, the redirect to / comes at the end of a cross-site
 * chain, so that first page load goes without it; the app's own fetch of
 * /api/auth/me (same-site) carries it.
 */
export function setSessionCookie(deps: Deps, res: Response, issued: IssuedToken): void {
  res.cookie(SESSION_COOKIE, issued.token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: deps.config.secureCookies,
    path: '/',
    ...(issued.expiresAt ? { expires: issued.expiresAt } : {}),
  });
}

export function clearSessionCookie(deps: Deps, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: deps.config.secureCookies, path: '/' });
}

/** Issues a web session for a person who has just proved who they are; undefined when they are inactive. */
export async function startWebSession(
  deps: Deps,
  res: Response,
  staffId: string,
): Promise<{ user: UserSummary; csrfToken: string } | undefined> {
  const now = deps.clock.now();
  const issued = await issueToken(deps.db, { staffId, kind: 'web', ttlMs: deps.config.sessionTtlMs, now });
  const actor = await actorForToken(deps.directory, deps.db, issued.token, 'cookie', now, ['web']);
  if (!actor) {
    await revokeToken(deps.db, issued.tokenHash);
    return undefined;
  }
  setSessionCookie(deps, res, issued);
  return { user: userSummary(actor), csrfToken: csrfTokenFor(deps.keys.cookieSecret, issued.tokenHash) };
}
