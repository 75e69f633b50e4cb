// A real OpenID Connect provider (the `oidc-provider` package) for sign-in
// tests, run as a separate process on 127.0.0.1 with a random port, so Rinki
// talks to it over HTTP exactly as to an organisation's identity provider.
//
// The provider has one client and an in-memory account store. Its own login
// and consent pages are replaced by one interaction route that signs in the
// account named by `?account=<sub>` and grants the requested scopes, so a test
// (playing the browser with fetch, manual redirects and a cookie jar) picks
// who signs in.
//
// This file is both the helper (imported by tests) and the provider process
// (run with `node --import tsx tests/helpers/oidc-provider.ts`).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const THIS_FILE = fileURLToPath(import.meta.url);
const CONFIG_ENV = 'RINKI_TEST_OIDC_CONFIG';

export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

interface ProviderProcessConfig {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  accounts: TestAccount[];
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Plays the browser from `startUrl` (Rinki's login endpoint) through the
   * provider, signing in `account`, up to the redirect back to Rinki: returns
   * that callback URL without visiting it.
   */
  signIn(startUrl: string, account: string, jar: CookieJar, callbackPrefix: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (for a PUBLIC_URL known before Rinki starts). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Cookies per origin, enough for a test playing a browser with fetch. */
export class CookieJar {
  private byOrigin = new Map<string, Map<string, string>>();

  /** The Cookie header for a request to `url` (undefined when there are none). */
  header(url: string | URL): string | undefined {
    const cookies = this.byOrigin.get(new URL(url).origin);
    if (!cookies?.size) return undefined;
    return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(url: string | URL, name: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin)?.get(name);
  }

  set(url: string | URL, name: string, value: string): void {
    const origin = new URL(url).origin;
    if (!this.byOrigin.has(origin)) this.byOrigin.set(origin, new Map());
    this.byOrigin.get(origin)!.set(name, value);
  }

  /** Takes in the Set-Cookie headers of a response from `url`. */
  absorb(url: string | URL, res: Response): void {
    const origin = new URL(url).origin;
    if (!this.byOrigin.has(origin)) this.byOrigin.set(origin, new Map());
    const cookies = this.byOrigin.get(origin)!;
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.trim().split('=');
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(a.trim().slice(8)) <= Date.now();
        return false;
      });
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  }

  /** fetch without following redirects, sending and keeping cookies. */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.absorb(url, res);
    return res;
  }
}

export async function startOidcProvider(opts: {
  redirectUris: string[];
  accounts: TestAccount[];
  clientId?: string;
  clientSecret?: string;
}): Promise<TestOidcProvider> {
  const config: ProviderProcessConfig = {
    clientId: opts.clientId ?? 'rinki-test',
    clientSecret: opts.clientSecret ?? randomBytes(24).toString('base64url'),
    redirectUris: opts.redirectUris,
    accounts: opts.accounts,
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', THIS_FILE], {
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider exited with ${code}:\n${out}`));
    });
  });

  return {
    issuer,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    output: () => out,
    async signIn(startUrl, account, jar, callbackPrefix) {
      let url = new URL(startUrl);
      for (let hop = 0; hop < 20; hop++) {
        const res = await jar.fetch(url);
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || !location) {
          throw new Error(`sign-in stopped at ${url.href} with ${res.status}: ${await res.text()}`);
        }
        await res.body?.cancel();
        const next = new URL(location, url);
        if (next.href.startsWith(callbackPrefix)) return next.href;
        if (next.origin === issuer && next.pathname.startsWith('/interaction/')) next.searchParams.set('account', account);
        url = next;
      }
      throw new Error('too many redirects');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// ---- the provider process ----

async function runProviderProcess(): Promise<void> {
  const { default: Provider } = await import('oidc-provider');
  const config = JSON.parse(process.env[CONFIG_ENV]!) as ProviderProcessConfig;
  const accounts = new Map(config.accounts.map((a) => [a.sub, a]));

  // Signs in ?account=<sub> (or the account of the provider's own session,
  // when only consent is asked) and grants the requested scopes.
  async function interaction(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const details = await provider.interactionDetails(req, res);
    const accountId = url.searchParams.get('account') ?? details.session?.accountId;
    if (!accountId || !accounts.has(accountId)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('pass ?account=<sub> of a test account');
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && /^\/interaction\/[\w-]+$/.test(url.pathname)) {
      interaction(req, res, url).catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message);
      });
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Declared after the server (the issuer needs its port); no request arrives before LISTENING.
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: config.clientId,
        client_secret: config.clientSecret,
        redirect_uris: config.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  });
  const handle = provider.callback();
  process.stdout.write(`LISTENING ${issuer}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  runProviderProcess().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
