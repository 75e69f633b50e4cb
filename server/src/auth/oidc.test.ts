// Sign-in through OpenID Connect against a real provider process (oidc-provider).
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { REDACTED_PATHS } from '../log.ts';
import { freshPgDatabase, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { CookieJar, freePort, startOidcProvider, type TestOidcProvider } from '../../../tests/helpers/oidc-provider.ts';
import { SESSION_COOKIE } from './authenticate.ts';
import { OIDC_STATE_COOKIE, openPendingSignIn, pendingSignInSealer } from './oidc.ts';
import { STAFF, seedAuthFixtures } from './test-fixtures.ts';

const PROVIDER_ID = 'county-a';

const ACCOUNTS = [
  // Email matches Maija (county A) in another letter case.
  { sub: 'idp-maija', email: 'Maija.Meikalainen@County-A.fi', email_verified: true, name: 'Maija' },
  // Nobody in Rinki has this address.
  { sub: 'idp-stranger', email: 'stranger@county-a.fi', email_verified: true },
  // Bea works in county B: county A's provider must not sign her in.
  { sub: 'idp-bea', email: STAFF.bea.email, email_verified: true },
  // Ville's account is inactive.
  { sub: 'idp-ville', email: STAFF.ville.email, email_verified: true },
  // Kalle's address, but the provider says it is unverified.
  { sub: 'idp-unverified', email: STAFF.kalle.email, email_verified: false },
];

function providersEnv(idp: TestOidcProvider, organisationId = 'county-a') {
  return JSON.stringify([
    { id: PROVIDER_ID, name: 'Hyvinvointialue A', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, organisationId },
  ]);
}

async function identities(rinki: TestRinki) {
  return rinki.deps.db.query<{ provider: string; subject: string; staff_id: string }>(
    'SELECT provider, subject, staff_id FROM staff_identities ORDER BY subject',
  );
}

describe('OIDC sign-in against oidc-provider', function () {
  this.timeout(60_000);
  let idp: TestOidcProvider;
  let rinki: TestRinki;
  let base: string;
  let callbackPrefix: string;
  // A second pair of nodes on PostgreSQL: sign-in started on one, finished on the other.
  let multiBase: string;
  const logLines: string[] = [];
  /** Codes, session tokens and state cookies seen: none may be logged. */
  const secrets: string[] = [];
  const remember = (callback: string, jar: CookieJar) => {
    secrets.push(new URL(callback).searchParams.get('code')!);
    const state = jar.get(base, OIDC_STATE_COOKIE);
    if (state) secrets.push(state);
  };

  before(async () => {
    const [port, multiPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    multiBase = `http://127.0.0.1:${multiPort}`;
    callbackPrefix = `${base}/api/auth/oidc/${PROVIDER_ID}/callback`;
    idp = await startOidcProvider({
      redirectUris: [callbackPrefix, `${multiBase}/api/auth/oidc/${PROVIDER_ID}/callback`],
      accounts: ACCOUNTS,
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    rinki = await startTestRinki({
      env: { PORT: String(port), PUBLIC_URL: base, OIDC_PROVIDERS: providersEnv(idp) },
      log: pino({ level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink),
    });
    await seedAuthFixtures(rinki.deps.db);
  });
  after(async () => {
    await rinki?.cleanup();
    await idp?.stop();
  });

  it('lists the provider for the sign-in page, without its secrets', async () => {
    const res = await fetch(`${base}/api/auth/providers`);
    expect(await res.json()).to.deep.equal({ providers: [{ id: PROVIDER_ID, name: 'Hyvinvointialue A' }] });
  });

  it('redirects to the provider with PKCE, state and nonce, keeping them in an encrypted cookie', async () => {
    const jar = new CookieJar();
    const res = await jar.fetch(`${base}/api/auth/oidc/${PROVIDER_ID}/login`);
    expect(res.status).to.equal(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).to.equal(idp.issuer);
    expect(to.searchParams.get('client_id')).to.equal(idp.clientId);
    expect(to.searchParams.get('redirect_uri')).to.equal(callbackPrefix);
    expect(to.searchParams.get('response_type')).to.equal('code');
    expect(to.searchParams.get('scope')).to.equal('openid email profile');
    expect(to.searchParams.get('code_challenge_method')).to.equal('S256');
    for (const p of ['code_challenge', 'state', 'nonce']) expect(to.searchParams.get(p), p).to.match(/^[\w-]{20,}$/);

    const line = res.headers.getSetCookie().find((c) => c.startsWith(`${OIDC_STATE_COOKIE}=`))!;
    expect(line).to.match(/HttpOnly/i).and.match(/SameSite=Lax/i).and.match(/Path=\/api\/auth\/oidc\//);
    const sealed = jar.get(base, OIDC_STATE_COOKIE)!;
    // Neither the verifier nor the state is readable in the cookie.
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.to.contain(to.searchParams.get('state'));
    const pending = await openPendingSignIn(rinki.deps.keys.cookieSecret, sealed, new Date());
    expect(pending).to.deep.include({ provider: PROVIDER_ID, returnTo: '/' });
    expect((pending!.strategyState as { state: string }).state).to.equal(to.searchParams.get('state'));
  });

  it('signs a person in end to end, linking the identity by email, then by subject', async () => {
    const jar = new CookieJar();
    const callback = await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login?returnTo=/cases/42?tab=notes`, 'idp-maija', jar, callbackPrefix);
    remember(callback, jar);
    const url = new URL(callback);
    expect(url.searchParams.get('code')).to.be.a('string');
    expect(url.searchParams.get('iss')).to.equal(idp.issuer);

    const res = await jar.fetch(callback);
    expect(res.status, await res.clone().text()).to.equal(302);
    expect(res.headers.get('location')).to.equal('/cases/42?tab=notes');
    const session = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(session).to.match(/HttpOnly/i).and.match(/SameSite=Strict/i).and.match(/Path=\//);
    expect(jar.get(base, OIDC_STATE_COOKIE)).to.equal(undefined);
    secrets.push(jar.get(base, SESSION_COOKIE)!);

    const me = await jar.fetch(`${base}/api/auth/me`);
    expect(me.status).to.equal(200);
    const body = (await me.json()) as { user: { id: string; organisationId: string }; csrfToken: string };
    expect(body.user).to.include({ id: STAFF.maija.id, organisationId: 'county-a' });
    expect(body.csrfToken).to.be.a('string');
    expect(await identities(rinki)).to.deep.equal([{ provider: PROVIDER_ID, subject: 'idp-maija', staff_id: STAFF.maija.id }]);

    // Once linked, the subject decides, even if the address in Rinki changes.
    await rinki.deps.db.query("UPDATE staff SET email = 'maija.new@county-a.fi' WHERE id = $1", [STAFF.maija.id]);
    try {
      const jar2 = new CookieJar();
      const res2 = await jar2.fetch(await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login`, 'idp-maija', jar2, callbackPrefix));
      expect(res2.status).to.equal(302);
      expect(res2.headers.get('location')).to.equal('/');
      const me2 = (await (await jar2.fetch(`${base}/api/auth/me`)).json()) as { user: { id: string } };
      expect(me2.user.id).to.equal(STAFF.maija.id);
    } finally {
      await rinki.deps.db.query('UPDATE staff SET email = $2 WHERE id = $1', [STAFF.maija.id, STAFF.maija.email]);
    }
  });

  it('confirms a Matrix device deletion with a fresh sign-in at the identity provider (UIA m.login.sso)', async () => {
    const web = new CookieJar();
    expect((await web.fetch(await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login`, 'idp-maija', web, callbackPrefix))).status).to.equal(302);
    const { csrfToken } = (await (await web.fetch(`${base}/api/auth/me`)).json()) as { csrfToken: string };
    const matrixLogin = async () => {
      const t = await web.fetch(`${base}/api/auth/matrix-login-token`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: '{}' });
      expect(t.status).to.equal(200);
      const { loginToken } = (await t.json()) as { loginToken: string };
      const r = await fetch(`${base}/_matrix/client/v3/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'm.login.token', token: loginToken }) });
      return (await r.json()) as { access_token: string; device_id: string };
    };
    const [mine, old] = [await matrixLogin(), await matrixLogin()];
    const del = (body: object) =>
      fetch(`${base}/_matrix/client/v3/devices/${old.device_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${mine.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const challenge = (await (await del({})).json()) as { flows: { stages: string[] }[]; session: string };
    expect(challenge.flows).to.deep.include({ stages: ['m.login.sso'] });
    const session = challenge.session;
    // Not yet confirmed: the session alone does nothing.
    expect((await del({ auth: { session } })).status).to.equal(401);
    expect((await fetch(`${base}/_matrix/client/v3/auth/m.login.sso/fallback/web?session=no-such-session`, { redirect: 'manual' })).status).to.equal(404);
    const fallback = await fetch(`${base}/_matrix/client/v3/auth/m.login.sso/fallback/web?session=${session}`, { redirect: 'manual' });
    expect(fallback.status).to.equal(302);
    const start = fallback.headers.get('location')!;
    expect(start).to.equal(`/api/auth/oidc/${PROVIDER_ID}/login?reauthSession=${session}`);
    const popup = new CookieJar();
    const done = await popup.fetch(await idp.signIn(`${base}${start}`, 'idp-maija', popup, callbackPrefix));
    expect(done.status, await done.clone().text()).to.equal(200);
    expect(await done.text()).to.contain('/_matrix/client/v3/auth/fallback/done.js');
    // Confirming opens no web session.
    expect(popup.get(base, SESSION_COOKIE)).to.equal(undefined);
    expect((await del({ auth: { session } })).status).to.equal(200);
    const gone = await fetch(`${base}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${old.access_token}` } });
    expect(((await gone.json()) as { errcode: string }).errcode).to.equal('M_UNKNOWN_TOKEN');
  });

  it('refuses a callback whose state was tampered with, and signs nobody in', async () => {
    const jar = new CookieJar();
    const callback = new URL(await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login`, 'idp-maija', jar, callbackPrefix));
    callback.searchParams.set('state', 'x'.repeat(43));
    const res = await jar.fetch(callback);
    expect(res.status).to.equal(401);
    expect(await res.json()).to.have.property('error', 'unauthorized');
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).to.equal(false);
  });

  it('refuses a callback without the state cookie (another browser) and a replayed callback', async () => {
    const jar = new CookieJar();
    const callback = await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login`, 'idp-maija', jar, callbackPrefix);
    const elsewhere = await fetch(callback, { redirect: 'manual' });
    expect(elsewhere.status).to.equal(400);
    expect(await elsewhere.json()).to.have.property('error', 'invalid_request');

    expect((await jar.fetch(callback)).status).to.equal(302);
    // The state cookie was used up; the code too.
    const replay = await jar.fetch(callback);
    expect(replay.status).to.equal(400);
  });

  it('refuses a callback without an authorization response', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${base}/api/auth/oidc/${PROVIDER_ID}/login`);
    const res = await jar.fetch(`${base}/api/auth/oidc/${PROVIDER_ID}/callback`);
    expect(res.status).to.equal(401);
    expect(res.headers.get('location')).to.equal(null);
  });

  it('refuses an error answer from the provider', async () => {
    const jar = new CookieJar();
    const start = await jar.fetch(`${base}/api/auth/oidc/${PROVIDER_ID}/login`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const q = new URLSearchParams({ error: 'access_denied', state, iss: idp.issuer });
    const res = await jar.fetch(`${base}/api/auth/oidc/${PROVIDER_ID}/callback?${q}`);
    expect(res.status).to.equal(401);
  });

  it('refuses a forged or tampered state cookie', async () => {
    const jar = new CookieJar();
    const callback = await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login`, 'idp-maija', jar, callbackPrefix);
    const sealed = Buffer.from(jar.get(base, OIDC_STATE_COOKIE)!, 'base64url');
    sealed[sealed.length - 1] ^= 1;
    jar.set(base, OIDC_STATE_COOKIE, sealed.toString('base64url'));
    expect((await jar.fetch(callback)).status).to.equal(400);

    // Sealed with another node's secret (a deployment with different keys):
    const otherSeal = await pendingSignInSealer(randomBytes(32));
    jar.set(base, OIDC_STATE_COOKIE, otherSeal({ provider: PROVIDER_ID, returnTo: '/', strategyState: {}, expiresAt: Date.now() + 60_000 }));
    expect((await jar.fetch(callback)).status).to.equal(400);
  });

  it('answers 403 to an identity without a Rinki account, and links nothing', async () => {
    for (const account of ['idp-stranger', 'idp-bea', 'idp-ville', 'idp-unverified']) {
      const jar = new CookieJar();
      const callback = await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login`, account, jar, callbackPrefix);
      const res = await jar.fetch(callback);
      expect(res.status, account).to.equal(403);
      expect(await res.json()).to.deep.equal({ error: 'no_account', message: 'No Rinki account for this identity' });
      expect(res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).to.equal(false);
    }
    expect((await identities(rinki)).map((i) => i.subject)).to.deep.equal(['idp-maija']);
  });

  it('sends a browser to the app with the reason instead of a JSON error', async () => {
    const jar = new CookieJar();
    const callback = await idp.signIn(`${base}/api/auth/oidc/${PROVIDER_ID}/login`, 'idp-stranger', jar, callbackPrefix);
    const res = await jar.fetch(callback, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).to.equal(403);
    expect(res.headers.get('content-type')).to.match(/text\/html/);
    expect(await res.text()).to.contain('url=/?signInError=no_account');
  });

  it('refuses an unsafe returnTo and an unknown provider', async () => {
    for (const returnTo of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/a b']) {
      const res = await fetch(`${base}/api/auth/oidc/${PROVIDER_ID}/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
      expect(res.status, returnTo).to.equal(400);
      expect(((await res.json()) as { message: string }).message).to.contain('returnTo');
    }
    expect((await fetch(`${base}/api/auth/oidc/nope/login`, { redirect: 'manual' })).status).to.equal(404);
    expect((await fetch(`${base}/api/auth/oidc/nope/callback?code=x&state=y`, { redirect: 'manual' })).status).to.equal(404);
  });

  it('answers 502 when the provider cannot be reached, and retries discovery later', async () => {
    const port = await freePort();
    const down = await startTestRinki({
      env: {
        OIDC_PROVIDERS: JSON.stringify([
          { id: 'down', name: 'Down', issuer: `http://127.0.0.1:${port}`, clientId: 'c', clientSecret: 's', organisationId: 'county-a' },
        ]),
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${down.url}/api/auth/oidc/down/login`, { redirect: 'manual' });
        expect(res.status).to.equal(502);
        expect(await res.json()).to.have.property('error', 'idp_unavailable');
      }
    } finally {
      await down.cleanup();
    }
  });

  describe('logs', () => {
    it('hold no client secret, authorization code, state cookie or session token', () => {
      const logged = logLines.join('');
      expect(logged).to.contain('OIDC provider discovered');
      expect(secrets.length).to.be.at.least(3);
      for (const secret of [idp.clientSecret, ...secrets]) expect(logged.includes(secret), `secret of length ${secret.length}`).to.equal(false);
    });
  });

  describe('across two nodes (PostgreSQL)', () => {
    let a: TestRinki;
    let b: TestRinki;
    let db: Awaited<ReturnType<typeof freshPgDatabase>>;

    before(async () => {
      db = await freshPgDatabase();
      // Both nodes answer for one public address and share the database and the cookie secret.
      const env = {
        DATABASE_URL: db.url,
        PUBLIC_URL: multiBase,
        COOKIE_SECRET: randomBytes(32).toString('base64'),
        OIDC_PROVIDERS: providersEnv(idp),
      };
      a = await startTestRinki({ env: { ...env, PORT: new URL(multiBase).port } });
      b = await startTestRinki({ env });
      await seedAuthFixtures(a.deps.db);
    });
    after(async () => {
      await a?.cleanup();
      await b?.cleanup();
      await db?.drop();
    });

    it('finishes on node B a sign-in started on node A', async () => {
      const jar = new CookieJar();
      const callback = new URL(
        await idp.signIn(`${a.url}/api/auth/oidc/${PROVIDER_ID}/login`, 'idp-maija', jar, `${multiBase}/api/auth/oidc/${PROVIDER_ID}/callback`),
      );
      // The load balancer sends the callback to B: same cookies, other node.
      const atB = new URL(callback.pathname + callback.search, b.url);
      const res = await fetch(atB, { redirect: 'manual', headers: { cookie: jar.header(a.url)! } });
      expect(res.status, await res.clone().text()).to.equal(302);
      jar.absorb(a.url, res);
      const me = await jar.fetch(`${a.url}/api/auth/me`);
      expect(me.status).to.equal(200);
      expect(((await me.json()) as { user: { id: string } }).user.id).to.equal(STAFF.maija.id);
    });
  });
});
