import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { REDACTED_PATHS } from '../log.ts';
import { STORE_KINDS, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { SESSION_COOKIE } from './authenticate.ts';
import { PASSWORD, STAFF, seedAuthFixtures } from './test-fixtures.ts';
import { deleteExpiredTokens, issueToken } from './tokens.ts';
import { hashToken } from '../crypto/sodium.ts';
import { connectSocket } from '../../../tests/helpers/realtime.ts';

const JSON_HEADERS = { 'content-type': 'application/json' };

function postLogin(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function sessionCookieLine(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
}

function sessionTokenOf(res: Response): string {
  const line = sessionCookieLine(res);
  if (!line) throw new Error('no session cookie');
  return line.split(';')[0].slice(SESSION_COOKIE.length + 1);
}

interface Session {
  token: string;
  csrf: string;
  cookie: string;
}

async function signIn(url: string, username: string, password = PASSWORD): Promise<Session> {
  const res = await postLogin(url, { username, password });
  expect(res.status, await res.clone().text()).to.equal(200);
  const body = (await res.json()) as { csrfToken: string };
  const token = sessionTokenOf(res);
  return { token, csrf: body.csrfToken, cookie: `${SESSION_COOKIE}=${token}` };
}

function me(url: string, headers: Record<string, string>) {
  return fetch(`${url}/api/auth/me`, { headers });
}

async function tokenRows(rinki: TestRinki): Promise<number> {
  const [row] = await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM access_tokens');
  return row.n;
}

for (const store of STORE_KINDS) {
  describe(`local sign-in on ${store}`, () => {
    let rinki: TestRinki;
    before(async () => {
      rinki = await startTestRinki({ store });
      await seedAuthFixtures(rinki.deps.db);
    });
    after(() => rinki.cleanup());

    it('signs in, reads /me, signs out', async () => {
      const res = await postLogin(rinki.url, { username: 'maija', password: PASSWORD });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as { user: Record<string, unknown>; csrfToken: string };
      expect(body.user).to.deep.equal({
        id: STAFF.maija.id,
        displayName: 'Maija Meikäläinen',
        organisationId: 'county-a',
        rootOrganisationId: 'county-a',
        organisationKind: 'county',
        roles: [{ role: 'caseworker', organisationId: 'county-a' }],
      });
      expect(body.csrfToken).to.be.a('string').with.length.greaterThan(20);
      const line = sessionCookieLine(res)!;
      expect(line).to.match(/HttpOnly/i).and.match(/SameSite=Strict/i).and.match(/Path=\//).and.match(/Expires=/);
      expect(line).not.to.match(/Secure/i);
      const cookie = `${SESSION_COOKIE}=${sessionTokenOf(res)}`;

      const who = await me(rinki.url, { cookie });
      expect(who.status).to.equal(200);
      const whoBody = (await who.json()) as { user: { id: string }; csrfToken: string };
      expect(whoBody.user.id).to.equal(STAFF.maija.id);
      expect(whoBody.csrfToken).to.equal(body.csrfToken);

      const out = await fetch(`${rinki.url}/api/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': body.csrfToken } });
      expect(out.status).to.equal(204);
      expect(sessionCookieLine(out)).to.match(/Expires=Thu, 01 Jan 1970/);
      expect((await me(rinki.url, { cookie })).status).to.equal(401);
    });

    it('a Kela district person gets Kela as the root organisation', async () => {
      const s = await signIn(rinki.url, 'kalle');
      const body = (await (await me(rinki.url, { cookie: s.cookie })).json()) as { user: Record<string, unknown> };
      expect(body.user).to.include({ organisationId: 'kela-south', rootOrganisationId: 'kela', organisationKind: 'kela' });
    });
  });
}

describe('sign-in, sessions and tokens on pglite', () => {
  let rinki: TestRinki;
  let offsetMs = 0;
  const logLines: string[] = [];
  /** Every token a test saw: none may appear in the logs. */
  const secrets: string[] = [PASSWORD, 'wrong password 123'];

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    rinki = await startTestRinki({ log, clock: { now: () => new Date(Date.now() + offsetMs) } });
    await seedAuthFixtures(rinki.deps.db);
  });
  after(() => rinki.cleanup());

  async function session(username = 'maija') {
    const s = await signIn(rinki.url, username);
    secrets.push(s.token, s.csrf);
    return s;
  }

  describe('bad credentials', () => {
    it('answers a wrong password and an unknown username alike with 401', async () => {
      const wrong = await postLogin(rinki.url, { username: 'maija', password: 'wrong password 123' });
      const unknown = await postLogin(rinki.url, { username: 'nobody-here', password: 'wrong password 123' });
      expect(wrong.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      const wrongBody = await wrong.json();
      expect(wrongBody).to.deep.equal(await unknown.json());
      expect(wrongBody).to.deep.equal({ error: 'unauthorized', message: 'Wrong username or password' });
      expect(sessionCookieLine(wrong)).to.equal(undefined);
    });

    it('refuses an inactive person with the same answer', async () => {
      const res = await postLogin(rinki.url, { username: STAFF.ville.username, password: PASSWORD });
      expect(res.status).to.equal(401);
      expect(await res.json()).to.deep.equal({ error: 'unauthorized', message: 'Wrong username or password' });
    });

    it('refuses a person without a local password (OIDC only)', async () => {
      await rinki.deps.db.query("UPDATE staff SET username = 'bea' WHERE id = $1", [STAFF.bea.id]);
      const res = await postLogin(rinki.url, { username: 'bea', password: PASSWORD });
      expect(res.status).to.equal(401);
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON with 400 and writes nothing', async () => {
      const before = await tokenRows(rinki);
      const res = await postLogin(rinki.url, '{"username": "maija", "password":');
      expect(res.status).to.equal(400);
      expect(await res.json()).to.have.property('message', 'Malformed JSON body');
      expect(await tokenRows(rinki)).to.equal(before);
    });

    it('names a missing field', async () => {
      const res = await postLogin(rinki.url, { username: 'maija' });
      expect(res.status).to.equal(400);
      const body = (await res.json()) as { message: string; issues: { path: string }[] };
      expect(body.issues.map((i) => i.path)).to.deep.equal(['body.password']);
      expect(body.message).to.contain('password');
    });

    it('names an unknown field and writes nothing', async () => {
      const before = await tokenRows(rinki);
      const res = await postLogin(rinki.url, { username: 'maija', password: PASSWORD, remember: true });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { message: string }).message).to.contain('remember');
      expect(await tokenRows(rinki)).to.equal(before);
    });

    it('rejects a bad mode', async () => {
      const res = await postLogin(rinki.url, { username: 'maija', password: PASSWORD, mode: 'session' });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { message: string }).message).to.contain('mode');
    });
  });

  describe('CSRF', () => {
    it('refuses a cookie-authenticated POST without the CSRF header', async () => {
      const s = await session();
      const res = await fetch(`${rinki.url}/api/auth/logout`, { method: 'POST', headers: { cookie: s.cookie } });
      expect(res.status).to.equal(403);
      expect(await res.json()).to.have.property('error', 'csrf');
      // Nothing happened: the session still works.
      expect((await me(rinki.url, { cookie: s.cookie })).status).to.equal(200);
    });

    it('refuses a wrong CSRF token (another session’s)', async () => {
      const a = await session();
      const b = await session('kalle');
      const res = await fetch(`${rinki.url}/api/auth/logout`, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': b.csrf } });
      expect(res.status).to.equal(403);
    });

    it('accepts a cookie-authenticated POST with the right header', async () => {
      const s = await session();
      const res = await fetch(`${rinki.url}/api/auth/tokens`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, cookie: s.cookie, 'x-csrf-token': s.csrf },
        body: JSON.stringify({ label: 'laptop script' }),
      });
      expect(res.status).to.equal(201);
      secrets.push(((await res.json()) as { token: string }).token);
    });

    it('needs no CSRF token for bearer requests', async () => {
      const res = await postLogin(rinki.url, { username: 'maija', password: PASSWORD, mode: 'token' });
      const { token } = (await res.json()) as { token: string };
      secrets.push(token);
      // A bearer token may not mint another (it could renew itself forever)...
      const minted = await fetch(`${rinki.url}/api/auth/tokens`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
        body: '{}',
      });
      expect(minted.status).to.equal(403);
      // ...but a bearer write needs no CSRF token.
      const revoked = await fetch(`${rinki.url}/api/auth/tokens/current`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      expect(revoked.status).to.equal(204);
    });

    it('exempts sign-in, even with an old session cookie, but takes JSON only', async () => {
      const s = await session();
      const again = await postLogin(rinki.url, { username: 'maija', password: PASSWORD }, { cookie: s.cookie });
      expect(again.status).to.equal(200);
      secrets.push(sessionTokenOf(again));

      // What a cross-site form could send:
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', `username=maija&password=${encodeURIComponent(PASSWORD)}`],
        ['text/plain', JSON.stringify({ username: 'maija', password: PASSWORD })],
        ['multipart/form-data; boundary=x', '--x--'],
      ]) {
        const res = await fetch(`${rinki.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': type }, body });
        expect(res.status, type).to.equal(415);
        expect(sessionCookieLine(res)).to.equal(undefined);
      }
    });
  });

  describe('API tokens', () => {
    it('mode "token" answers a bearer token and sets no cookie', async () => {
      const res = await postLogin(rinki.url, { username: 'maija', password: PASSWORD, mode: 'token' });
      expect(res.status).to.equal(200);
      expect(sessionCookieLine(res)).to.equal(undefined);
      const body = (await res.json()) as { token: string; user: { id: string }; csrfToken?: string; expiresAt: string };
      secrets.push(body.token);
      expect(body.user.id).to.equal(STAFF.maija.id);
      expect(body).not.to.have.property('csrfToken');
      expect(Date.parse(body.expiresAt)).to.be.greaterThan(Date.now());

      const who = await me(rinki.url, { authorization: `Bearer ${body.token}` });
      expect(who.status).to.equal(200);
      const whoBody = (await who.json()) as { user: { id: string } };
      expect(whoBody.user.id).to.equal(STAFF.maija.id);
      expect(whoBody).not.to.have.property('csrfToken');
    });

    it('creates a labelled token with a TTL, usable as bearer, revocable by itself', async () => {
      const s = await session();
      const res = await fetch(`${rinki.url}/api/auth/tokens`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, cookie: s.cookie, 'x-csrf-token': s.csrf },
        body: JSON.stringify({ label: 'report export', ttlSeconds: 3600 }),
      });
      expect(res.status).to.equal(201);
      const body = (await res.json()) as { token: string; label: string; expiresAt: string };
      secrets.push(body.token);
      expect(body.label).to.equal('report export');
      expect(Date.parse(body.expiresAt) - Date.now()).to.be.within(3500_000, 3700_000);
      const bearer = { authorization: `Bearer ${body.token}` };
      expect((await me(rinki.url, bearer)).status).to.equal(200);

      const del = await fetch(`${rinki.url}/api/auth/tokens/current`, { method: 'DELETE', headers: bearer });
      expect(del.status).to.equal(204);
      expect((await me(rinki.url, bearer)).status).to.equal(401);
      // The session that created it is untouched.
      expect((await me(rinki.url, { cookie: s.cookie })).status).to.equal(200);
    });

    it('refuses a bad TTL and unknown fields, writing nothing', async () => {
      const s = await session();
      const before = await tokenRows(rinki);
      for (const body of [{ ttlSeconds: 5 }, { ttlSeconds: 'long' }, { label: '' }, { scope: 'all' }]) {
        const res = await fetch(`${rinki.url}/api/auth/tokens`, {
          method: 'POST',
          headers: { ...JSON_HEADERS, cookie: s.cookie, 'x-csrf-token': s.csrf },
          body: JSON.stringify(body),
        });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(((await res.json()) as { message: string }).message).to.contain(Object.keys(body)[0]);
      }
      expect(await tokenRows(rinki)).to.equal(before);
    });

    it('needs a sign-in to create a token', async () => {
      const res = await fetch(`${rinki.url}/api/auth/tokens`, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
      expect(res.status).to.equal(401);
    });

    it('refuses a malformed or unknown bearer token', async () => {
      expect((await me(rinki.url, { authorization: 'Bearer short' })).status).to.equal(401);
      expect((await me(rinki.url, { authorization: `Bearer ${'x'.repeat(43)}` })).status).to.equal(401);
    });
  });

  describe('signing out', () => {
    it('logout revokes only the current session', async () => {
      const a = await session();
      const b = await session();
      const out = await fetch(`${rinki.url}/api/auth/logout`, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } });
      expect(out.status).to.equal(204);
      expect((await me(rinki.url, { cookie: a.cookie })).status).to.equal(401);
      expect((await me(rinki.url, { cookie: b.cookie })).status).to.equal(200);
    });

    it('logout-all revokes every session and API token of the person, nobody else’s', async () => {
      const a = await session('kalle');
      const b = await session('kalle');
      const tokenRes = await postLogin(rinki.url, { username: 'kalle', password: PASSWORD, mode: 'token' });
      const { token } = (await tokenRes.json()) as { token: string };
      secrets.push(token);
      const other = await session('maija');

      const out = await fetch(`${rinki.url}/api/auth/logout-all`, { method: 'POST', headers: { cookie: b.cookie, 'x-csrf-token': b.csrf } });
      expect(out.status).to.equal(204);
      expect((await me(rinki.url, { cookie: a.cookie })).status).to.equal(401);
      expect((await me(rinki.url, { cookie: b.cookie })).status).to.equal(401);
      expect((await me(rinki.url, { authorization: `Bearer ${token}` })).status).to.equal(401);
      expect((await me(rinki.url, { cookie: other.cookie })).status).to.equal(200);
    });

    it('drops the live sockets of a session that signs out, and of every token on logout-all', async () => {
      const a = await session();
      const b = await session();
      const socketA = await connectSocket(rinki.url, { headers: { cookie: a.cookie } });
      const socketB = await connectSocket(rinki.url, { headers: { cookie: b.cookie } });
      try {
        const droppedA = new Promise((resolve) => socketA.once('disconnect', resolve));
        await fetch(`${rinki.url}/api/auth/logout`, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } });
        await droppedA;
        expect(socketB.connected).to.equal(true);

        const c = await session();
        const droppedB = new Promise((resolve) => socketB.once('disconnect', resolve));
        await fetch(`${rinki.url}/api/auth/logout-all`, { method: 'POST', headers: { cookie: c.cookie, 'x-csrf-token': c.csrf } });
        await droppedB;
      } finally {
        socketA.close();
        socketB.close();
      }
    });

    it('deactivating a person ends their sessions', async () => {
      await rinki.deps.db.query(
        `INSERT INTO staff (id, organisation_id, display_name, username, password_hash)
         SELECT 'staff-temp', 'county-a', 'Tilapäinen', 'temp', password_hash FROM staff WHERE id = $1`,
        [STAFF.maija.id],
      );
      const s = await session('temp');
      expect((await me(rinki.url, { cookie: s.cookie })).status).to.equal(200);
      await rinki.deps.db.query("UPDATE staff SET active = false WHERE id = 'staff-temp'");
      expect((await me(rinki.url, { cookie: s.cookie })).status).to.equal(401);
    });
  });

  describe('expiry', () => {
    afterEach(() => {
      offsetMs = 0;
    });

    it('treats an expired session as signed out and deletes expired rows on a later sign-in', async () => {
      const s = await session();
      expect((await me(rinki.url, { cookie: s.cookie })).status).to.equal(200);
      offsetMs = rinki.deps.config.sessionTtlMs + 60_000;
      expect((await me(rinki.url, { cookie: s.cookie })).status).to.equal(401);
      // A public route still answers with an expired cookie.
      expect((await fetch(`${rinki.url}/api/auth/providers`, { headers: { cookie: s.cookie } })).status).to.equal(200);

      const hash = await hashToken(s.token);
      const rowsOf = async () => (await rinki.deps.db.query('SELECT 1 FROM access_tokens WHERE token_hash = $1', [hash])).length;
      expect(await rowsOf()).to.equal(1);
      await session('kalle');
      expect(await rowsOf()).to.equal(0);
    });

    it('deleteExpiredTokens removes only expired rows', async () => {
      const now = new Date();
      const expired = await issueToken(rinki.deps.db, { staffId: STAFF.maija.id, kind: 'api', ttlMs: 1000, now: new Date(now.getTime() - 10_000) });
      const live = await issueToken(rinki.deps.db, { staffId: STAFF.maija.id, kind: 'api', ttlMs: 60_000, now });
      const forever = await issueToken(rinki.deps.db, { staffId: STAFF.maija.id, kind: 'api', now });
      secrets.push(expired.token, live.token, forever.token);
      expect(await deleteExpiredTokens(rinki.deps.db, now)).to.be.at.least(1);
      const left = await rinki.deps.db.query<{ token_hash: Uint8Array }>('SELECT token_hash FROM access_tokens WHERE token_hash = ANY($1::bytea[])', [
        [expired.tokenHash, live.tokenHash, forever.tokenHash].map((b) => new Uint8Array(b)),
      ]);
      expect(left.map((r) => Buffer.from(r.token_hash).toString('hex')).sort()).to.deep.equal(
        [live.tokenHash, forever.tokenHash].map((b) => b.toString('hex')).sort(),
      );
    });
  });

  it('lists no identity providers when none are configured', async () => {
    const res = await fetch(`${rinki.url}/api/auth/providers`);
    expect(await res.json()).to.deep.equal({ providers: [] });
  });

  it('documents the endpoints in the OpenAPI description', async () => {
    const doc = (await (await fetch(`${rinki.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(doc.paths).to.include.keys('/api/auth/login', '/api/auth/me', '/api/auth/tokens', '/api/auth/oidc/{provider}/callback');
  });

  // Last (mocha runs nested suites after a suite's own tests, in order): it reads what every test above logged.
  describe('logs', () => {
    it('never hold a password, a session, a CSRF or an API token', () => {
      const logged = logLines.join('');
      expect(logged).to.contain('request completed');
      expect(secrets.length).to.be.greaterThan(20);
      for (const secret of secrets) expect(logged.includes(secret), `secret of length ${secret.length} logged`).to.equal(false);
    });
  });
});

describe('sign-in rate limit, in memory', () => {
  let rinki: TestRinki;
  before(async () => {
    rinki = await startTestRinki({ env: { LOGIN_RATE_LIMIT: '3', LOGIN_RATE_WINDOW_S: '600' } });
    await seedAuthFixtures(rinki.deps.db);
  });
  after(() => rinki.cleanup());

  it('answers 429 with Retry-After after too many failures for one username', async () => {
    for (let i = 0; i < 3; i++) expect((await postLogin(rinki.url, { username: 'maija', password: `guess ${i}` })).status).to.equal(401);
    const limited = await postLogin(rinki.url, { username: 'maija', password: PASSWORD });
    expect(limited.status).to.equal(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 600);
    expect(await limited.json()).to.deep.equal({
      error: 'rate_limited',
      message: 'Too many sign-in attempts; try again later',
      retryAfterSeconds: retryAfter,
    });
    // Another username from the same address is not affected.
    expect((await postLogin(rinki.url, { username: 'kalle', password: PASSWORD })).status).to.equal(200);
  });

  it('does not count successful sign-ins', async () => {
    for (let i = 0; i < 5; i++) expect((await postLogin(rinki.url, { username: 'kalle', password: PASSWORD })).status).to.equal(200);
  });
});

describe('sign-in rate limit shared through Redis by two nodes', function () {
  // Two nodes to start.
  this.timeout(120_000);
  const prefix = `rinki-t-rl-${Math.random().toString(36).slice(2, 10)}:`;
  let a: TestRinki;
  let b: TestRinki;
  before(async () => {
    const env = { LOGIN_RATE_LIMIT: '3', LOGIN_RATE_WINDOW_S: '600', REDIS_PREFIX: prefix };
    a = await startTestRinki({ redis: true, env });
    b = await startTestRinki({ redis: true, env });
  });
  after(async () => {
    const redis = a.deps.bus.redis!;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await a.cleanup();
    await b.cleanup();
  });

  it('counts attempts on either node against one limit', async () => {
    const attempt = (node: TestRinki) => postLogin(node.url, { username: 'maija', password: 'guess' });
    expect((await attempt(a)).status).to.equal(401);
    expect((await attempt(b)).status).to.equal(401);
    expect((await attempt(a)).status).to.equal(401);
    const limited = await attempt(b);
    expect(limited.status).to.equal(429);
    expect(await limited.json()).to.have.property('error', 'rate_limited');
    expect(limited.headers.get('retry-after')).to.match(/^\d+$/);
    expect((await attempt(a)).status).to.equal(429);
    // One count for the account, one for the address.
    expect(await a.deps.bus.redis!.keys(`${prefix}rl:signin:*`)).to.have.length(2);
  });
});
