// Sign-in through an organisation's OpenID Connect provider: openid-client's
// Passport strategy (authorization code flow with PKCE, state and nonce).
//
// The strategy keeps its transient state (PKCE verifier, state, nonce) in
// `req.session`. Rinki has no server sessions: any node may receive the
// callback. So `req.session` is a stand-in backed by a short-lived cookie,
// encrypted and authenticated with libsodium's secretbox under a key derived
// from the cookie secret every node shares.
import type { Request, Response } from 'express';
import type passportModule from 'passport';

export type PassportInstance = InstanceType<typeof passportModule.Passport>;
import * as client from 'openid-client';
import { Strategy, type AuthenticateOptions } from 'openid-client/passport';
import type { OidcProviderConfig } from '../config.ts';
import { sodium } from '../crypto/sodium.ts';
import type { Deps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import type { Queryable } from '../store/db.ts';
import type { SignedInStaff } from './local.ts';

export const OIDC_STATE_COOKIE = 'rinki_oidc';
const OIDC_STATE_PATH = '/api/auth/oidc/';
const OIDC_STATE_TTL_MS = 10 * 60_000;
const SESSION_KEY = 'oidc';
const SCOPE = 'openid email profile';

/** What the state cookie carries from the redirect to the IdP to its callback. */
interface PendingSignIn {
  provider: string;
  returnTo: string;
  /** Set when the sign-in confirms a sensitive operation (auth/reauth.ts) instead of opening a session. */
  reauthSession?: string;
  /** openid-client's own state: code_verifier, state, nonce. */
  strategyState: unknown;
  expiresAt: number;
}

async function stateKey(cookieSecret: Uint8Array): Promise<Uint8Array> {
  const s = await sodium();
  // A key of its own, so CSRF HMACs and state encryption never share one.
  return s.crypto_generichash(32, s.from_string('rinki oidc state cookie v1'), cookieSecret);
}

/** A synchronous sealer (libsodium is ready and the key derived), for use inside the strategy's callbacks. */
export async function pendingSignInSealer(cookieSecret: Uint8Array): Promise<(pending: PendingSignIn) => string> {
  const s = await sodium();
  const key = await stateKey(cookieSecret);
  return (pending) => {
    const nonce = s.randombytes_buf(s.crypto_secretbox_NONCEBYTES);
    const box = s.crypto_secretbox_easy(s.from_string(JSON.stringify(pending)), nonce, key);
    return Buffer.concat([nonce, box]).toString('base64url');
  };
}

/** The pending sign-in, or undefined when the cookie is missing, forged, tampered with or stale. */
export async function openPendingSignIn(cookieSecret: Uint8Array, sealed: unknown, now: Date): Promise<PendingSignIn | undefined> {
  if (typeof sealed !== 'string' || sealed.length > 4096) return undefined;
  const s = await sodium();
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length <= s.crypto_secretbox_NONCEBYTES + s.crypto_secretbox_MACBYTES) return undefined;
  try {
    const plain = s.crypto_secretbox_open_easy(
      raw.subarray(s.crypto_secretbox_NONCEBYTES),
      raw.subarray(0, s.crypto_secretbox_NONCEBYTES),
      await stateKey(cookieSecret),
    );
    const pending = JSON.parse(s.to_string(plain)) as PendingSignIn;
    return pending.expiresAt > now.getTime() ? pending : undefined;
  } catch {
    return undefined;
  }
}

/** openid-client's strategy, also sending `state` and `nonce` (it would send only PKCE to a provider that supports it). */
class RinkiOidcStrategy extends Strategy {
  override authorizationRequestParams<T extends AuthenticateOptions>(req: Request, options: T) {
    const params = new URLSearchParams(super.authorizationRequestParams(req, options));
    params.set('state', client.randomState());
    params.set('nonce', client.randomNonce());
    return params;
  }
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export type Outcome =
  | { kind: 'responded' }
  | { kind: 'error'; err: unknown }
  | { kind: 'failed'; info: unknown }
  | { kind: 'signed-in'; user: SignedInStaff };

/** Runs a Passport strategy as a promise: it either answers itself (a redirect) or reports back. */
export function runPassport(passport: PassportInstance, strategy: string, req: Request, res: Response, options: object): Promise<Outcome> {
  return new Promise((resolve) => {
    const onFinish = () => resolve({ kind: 'responded' });
    res.once('finish', onFinish);
    const done = (outcome: Outcome) => {
      res.off('finish', onFinish);
      resolve(outcome);
    };
    passport.authenticate(strategy, { ...options, session: false }, (err: unknown, user: SignedInStaff | false, info: unknown) => {
      if (err) done({ kind: 'error', err });
      else if (!user) done({ kind: 'failed', info });
      else done({ kind: 'signed-in', user });
    })(req, res, (err?: unknown) => done(err ? { kind: 'error', err } : { kind: 'failed', info: undefined }));
  });
}

export const NO_ACCOUNT = 'no_account';

/**
 * The Rinki person behind an identity at `provider`. A known (provider,
 * subject) link wins; otherwise the IdP's email claim is matched once against
 * the active staff of the provider's organisation (and its units) and the
 * link is stored. Undefined: no (active) Rinki account.
 */
export async function staffForIdentity(
  directory: Deps['directory'],
  q: Queryable,
  provider: Pick<OidcProviderConfig, 'id' | 'organisationId'>,
  identity: { subject: string; email?: string; emailVerified?: boolean },
): Promise<{ staffId: string; linked: boolean } | undefined> {
  const [known] = await q.query<{ staff_id: string }>('SELECT staff_id FROM staff_identities WHERE provider = $1 AND subject = $2', [provider.id, identity.subject]);
  if (known) return (await directory.account(q, { id: known.staff_id }))?.active ? { staffId: known.staff_id, linked: false } : undefined;
  // An email the provider itself says is unverified never links an account.
  if (!identity.email || identity.emailVerified === false) return undefined;
  const withEmail = await directory.activeStaffWithEmail(q, identity.email, provider.organisationId);
  const alreadyLinked = new Set(
    (await q.query<{ staff_id: string }>('SELECT staff_id FROM staff_identities WHERE provider = $1 AND staff_id = ANY($2::text[])', [provider.id, withEmail])).map((r) => r.staff_id),
  );
  const matches = withEmail.filter((id) => !alreadyLinked.has(id)).map((id) => ({ id }));
  // Two people with one address: nobody is linked by guesswork.
  if (matches.length !== 1) return undefined;
  await q.query(
    `INSERT INTO staff_identities (provider, subject, staff_id) VALUES ($1, $2, $3)
     ON CONFLICT (provider, subject) DO NOTHING`,
    [provider.id, identity.subject, matches[0].id],
  );
  const linked = await q.query<{ staff_id: string }>(
    'SELECT staff_id FROM staff_identities WHERE provider = $1 AND subject = $2',
    [provider.id, identity.subject],
  );
  return linked[0] ? { staffId: linked[0].staff_id, linked: linked[0].staff_id === matches[0].id } : undefined;
}

/** The configured providers, each discovered on first use and then kept. */
export class OidcSignIn {
  private strategies = new Map<string, Promise<string>>();

  constructor(
    private deps: Deps,
    private passport: PassportInstance,
  ) {}

  providers(): OidcProviderConfig[] {
    return this.deps.config.oidcProviders;
  }

  provider(id: string): OidcProviderConfig | undefined {
    return this.providers().find((p) => p.id === id);
  }

  callbackUrl(provider: OidcProviderConfig): string {
    return `${this.deps.config.publicUrl}/api/auth/oidc/${provider.id}/callback`;
  }

  /** The Passport strategy name for `provider`, discovering the issuer the first time. */
  strategyFor(provider: OidcProviderConfig): Promise<string> {
    let strategy = this.strategies.get(provider.id);
    if (!strategy) {
      strategy = this.discover(provider);
      this.strategies.set(provider.id, strategy);
      // A failed discovery is retried on the next sign-in.
      strategy.catch(() => this.strategies.delete(provider.id));
    }
    return strategy;
  }

  private async discover(provider: OidcProviderConfig): Promise<string> {
    const issuer = new URL(provider.issuer);
    // Plain HTTP only for a provider on this machine (development, tests).
    const insecure = issuer.protocol === 'http:';
    if (insecure && !isLoopback(issuer)) throw new Error(`OIDC issuer of ${provider.id} must use https`);
    let config: client.Configuration;
    try {
      config = await client.discovery(issuer, provider.clientId, undefined, client.ClientSecretBasic(provider.clientSecret), {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
    } catch (err) {
      this.deps.log.error({ provider: provider.id, err: errorSummary(err) }, 'OIDC discovery failed');
      throw new HttpError(502, 'idp_unavailable', 'The identity provider cannot be reached; try again later');
    }
    const name = `oidc:${provider.id}`;
    this.passport.use(
      name,
      new RinkiOidcStrategy(
        { config, name, sessionKey: SESSION_KEY, callbackURL: this.callbackUrl(provider), scope: SCOPE },
        (tokens, verified) => {
          this.verify(provider, config, tokens).then(
            (user) => (user ? verified(null, user) : verified(null, false, { message: NO_ACCOUNT })),
            (err: unknown) => verified(err),
          );
        },
      ),
    );
    this.deps.log.info({ provider: provider.id }, 'OIDC provider discovered');
    return name;
  }

  private async verify(
    provider: OidcProviderConfig,
    config: client.Configuration,
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  ): Promise<SignedInStaff | undefined> {
    const claims = tokens.claims();
    if (!claims) throw new Error('no ID token');
    let email = typeof claims.email === 'string' ? claims.email : undefined;
    let emailVerified = typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined;
    if (!email) {
      // Many providers give the email only at the userinfo endpoint.
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      email = typeof info.email === 'string' ? info.email : undefined;
      emailVerified = typeof info.email_verified === 'boolean' ? info.email_verified : undefined;
    }
    const found = await staffForIdentity(this.deps.directory, this.deps.db, provider, { subject: claims.sub, email, emailVerified });
    if (!found) {
      this.deps.log.info({ provider: provider.id }, 'OIDC sign-in without a Rinki account');
      return undefined;
    }
    if (found.linked) this.deps.log.info({ provider: provider.id, staffId: found.staffId }, 'OIDC identity linked by email');
    return { staffId: found.staffId };
  }

  /** Sends the browser to the provider; the pending sign-in goes into the state cookie. */
  async begin(provider: OidcProviderConfig, returnTo: string, req: Request, res: Response, opts: { reauthSession?: string } = {}): Promise<void> {
    const strategy = await this.strategyFor(provider);
    const { deps } = this;
    const seal = await pendingSignInSealer(deps.keys.cookieSecret);
    const session: Record<string, unknown> = {};
    // The strategy stores its state just before it redirects: that goes into the cookie.
    Object.defineProperty(session, SESSION_KEY, {
      enumerable: true,
      set(strategyState: unknown) {
        const expiresAt = deps.clock.now().getTime() + OIDC_STATE_TTL_MS;
        const sealed = seal({ provider: provider.id, returnTo, ...(opts.reauthSession ? { reauthSession: opts.reauthSession } : {}), strategyState, expiresAt });
        res.cookie(OIDC_STATE_COOKIE, sealed, stateCookieOptions(deps, OIDC_STATE_TTL_MS));
      },
    });
    setSession(req, session);
    const outcome = await runPassport(this.passport, strategy, req, res, {});
    if (outcome.kind === 'error') throw outcome.err;
    if (outcome.kind !== 'responded') throw new Error('OIDC strategy did not redirect');
  }

  /** Completes a sign-in at the callback: the person signed in, or why not. */
  async complete(
    provider: OidcProviderConfig,
    req: Request,
    res: Response,
  ): Promise<{ staffId: string; returnTo: string; reauthSession?: string } | { failure: 'expired' | 'failed' | 'no_account' }> {
    const { deps } = this;
    const pending = await openPendingSignIn(deps.keys.cookieSecret, req.cookies?.[OIDC_STATE_COOKIE], deps.clock.now());
    // One use only, whatever the outcome.
    res.clearCookie(OIDC_STATE_COOKIE, stateCookieOptions(deps));
    if (!pending || pending.provider !== provider.id) return { failure: 'expired' };
    // Without an authorization response the strategy would start a new sign-in instead.
    const query = req.query as Record<string, unknown>;
    if (!query.code && !query.error) return { failure: 'failed' };
    const strategy = await this.strategyFor(provider);
    setSession(req, { [SESSION_KEY]: pending.strategyState });
    const outcome = await runPassport(this.passport, strategy, req, res, {});
    if (outcome.kind === 'signed-in') return { staffId: outcome.user.staffId, returnTo: pending.returnTo, ...(pending.reauthSession ? { reauthSession: pending.reauthSession } : {}) };
    if (outcome.kind === 'failed' && (outcome.info as { message?: string } | undefined)?.message === NO_ACCOUNT)
      return { failure: 'no_account' };
    if (outcome.kind === 'responded') throw new Error('OIDC strategy answered a callback itself');
    if (outcome.kind === 'error') {
      if (outcome.err instanceof client.ClientError || outcome.err instanceof client.AuthorizationResponseError)
        deps.log.warn({ provider: provider.id, err: errorSummary(outcome.err) }, 'OIDC sign-in rejected');
      else throw outcome.err;
    }
    return { failure: 'failed' };
  }
}

function stateCookieOptions(deps: Deps, maxAge?: number) {
  return {
    httpOnly: true,
    // Lax: the provider sends the browser back with a cross-site top-level GET.
    sameSite: 'lax' as const,
    secure: deps.config.secureCookies,
    path: OIDC_STATE_PATH,
    ...(maxAge ? { maxAge } : {}),
  };
}

function setSession(req: Request, session: Record<string, unknown>): void {
  (req as Request & { session: Record<string, unknown> }).session = session;
}

/** Name, code and message only: an error's cause may hold a token response. */
function errorSummary(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  return { name: err.name, message: err.message, code: (err as { code?: unknown }).code };
}
