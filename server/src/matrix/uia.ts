// User-interactive authentication (spec: "User-Interactive Authentication
// API") for deleting a device and replacing cross-signing keys. The flows a
// person is offered follow their account: m.login.password when they have a
// Rinki password, m.login.sso when they sign in through their organisation's
// identity provider (the fallback page sends them there; the callback records
// the fresh sign-in on the session). A session is bound to one person and one
// operation and is used once.
import { createHash } from 'node:crypto';
import { completeReauthStage, endReauth, findReauth, linkedProviders, startReauth } from '../auth/reauth.ts';
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import { type Caller, type MatrixContext } from './context.ts';
import { MatrixError, mxForbidden } from './errors.ts';
import { checkPassword } from './login.ts';

export interface UiaAuth {
  type?: string;
  session?: string;
  identifier?: { user?: string };
  user?: string;
  password?: string;
}

const PASSWORD = 'm.login.password';
const SSO = 'm.login.sso';

/** What the session is bound to: the method, the path and the body without its auth part. */
export function uiaOperation(req: { method?: string; path: string }, body: Record<string, unknown>): string {
  const { auth: _auth, ...rest } = body;
  return createHash('sha256').update(`${req.method} ${req.path}\n${canonicalJson(rest)}`).digest('hex');
}

async function stagesFor(ctx: MatrixContext, staffId: string): Promise<string[]> {
  const account = await ctx.deps.directory.account(ctx.deps.db, { id: staffId });
  const configured = new Set(ctx.deps.config.oidcProviders.map((p) => p.id));
  const stages: string[] = [];
  if (account?.passwordHash) stages.push(PASSWORD);
  if (account && (await linkedProviders(ctx.deps.db, staffId)).some((p) => configured.has(p))) stages.push(SSO);
  return stages;
}

/** Returns when the caller has just proved who they are for this operation; otherwise throws the spec's 401 challenge. */
export async function userInteractiveAuth(ctx: MatrixContext, caller: Caller, operation: string, auth: UiaAuth | undefined, ip?: string): Promise<void> {
  const now = ctx.deps.clock.now();
  const stages = await stagesFor(ctx, caller.staffId);
  if (!stages.length) throw mxForbidden('This account has no way to confirm the operation');
  let session = auth?.session ? await findReauth(ctx.deps.db, auth.session, now) : undefined;
  if (auth?.session) {
    if (!session || session.staffId !== caller.staffId) throw new MatrixError(400, 'M_UNKNOWN', 'Unknown or expired session');
    if (session.operation !== operation) throw mxForbidden('The request changed during the authentication session');
  }
  session ??= await startReauth(ctx.deps.db, caller.staffId, operation, now);
  const current = session;
  const challenge = (errcode?: string, error?: string) =>
    new MatrixError(401, errcode ?? '', error ?? 'Authentication required', {
      flows: stages.map((s) => ({ stages: [s] })),
      params: {},
      session: current.id,
      completed: current.completed,
    });

  if (auth?.type === PASSWORD && stages.includes(PASSWORD)) {
    const user = auth.identifier?.user ?? auth.user ?? caller.userId;
    // Over the sign-in limits: 429 M_LIMIT_EXCEEDED, not another challenge.
    const staffId =
      auth.password === undefined
        ? undefined
        : await checkPassword(ctx, user, auth.password, { ip }).catch((err: unknown) => {
            if (err instanceof MatrixError && err.status === 429) throw err;
            return undefined;
          });
    if (staffId !== caller.staffId) throw challenge('M_FORBIDDEN', 'Invalid password');
    await completeReauthStage(ctx.deps.db, session.id, caller.staffId, PASSWORD, now);
    session = { ...session, completed: [...session.completed, PASSWORD] };
  }
  // Any one completed stage is a whole flow here; the session is then spent.
  if (session.completed.some((s) => stages.includes(s)) && (await endReauth(ctx.deps.db, session.id))) return;
  throw challenge();
}

/**
 * The SSO stage's fallback page: where the person's identity provider is
 * (the one their Rinki account is linked to), with the session riding along.
 * Undefined when the session is unknown or its owner has no provider.
 */
export async function ssoFallbackTarget(ctx: MatrixContext, sessionId: string): Promise<string | undefined> {
  const session = await findReauth(ctx.deps.db, sessionId, ctx.deps.clock.now());
  if (!session) return undefined;
  const configured = new Set(ctx.deps.config.oidcProviders.map((p) => p.id));
  const provider = (await linkedProviders(ctx.deps.db, session.staffId)).find((p) => configured.has(p));
  if (!provider) return undefined;
  return `/api/auth/oidc/${encodeURIComponent(provider)}/login?reauthSession=${encodeURIComponent(session.id)}`;
}
