// Matrix sessions: access tokens expire and are renewed with refresh tokens
// (POST /refresh), and a Matrix session ends with the sign-in it came from:
// signing out of that web session, its expiry, "sign out everywhere" and
// deactivation all end it.
import { expect } from 'chai';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../helpers/env.ts';
import { ManualClock } from '../helpers/api.ts';
import { FIXTURE } from '../../server/src/directory/fixtures.ts';
import { renewingFetch } from '../../client/src/matrix/renewing-fetch.ts';
import * as sdk from 'matrix-js-sdk';
import {
  MX_PASSWORD,
  MX_PEOPLE,
  createConference,
  joinWhenInvited,
  mx,
  quietLogger,
  requireNode22,
  seedMatrixPeople,
  sendText,
  stopAll,
  waitForBodies,
} from '../helpers/matrix.ts';

const C = '/_matrix/client/v3';
const TTL_S = 300;

interface Tokens {
  user_id: string;
  device_id: string;
  access_token: string;
  refresh_token?: string;
  expires_in_ms?: number;
}

async function login(url: string, username: string, body: Record<string, unknown> = {}): Promise<Tokens> {
  const r = await mx(url, 'POST', `${C}/login`, undefined, {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: username },
    password: MX_PASSWORD,
    ...body,
  });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as unknown as Tokens;
}

/** A browser sign-in: the session cookie and its CSRF token. */
async function webSignIn(url: string, username: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: MX_PASSWORD }),
  });
  expect(res.status).to.equal(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0];
  return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

async function webPost(url: string, path: string, web: { cookie: string; csrf: string }): Promise<Response> {
  return fetch(url + path, { method: 'POST', headers: { cookie: web.cookie, 'x-csrf-token': web.csrf, 'content-type': 'application/json' }, body: '{}' });
}

/** The web app's hand-over: a one-time m.login.token from the web session, then a Matrix login with refresh. */
async function loginFromWeb(url: string, web: { cookie: string; csrf: string }): Promise<Tokens> {
  const issued = await webPost(url, '/api/auth/matrix-login-token', web);
  expect(issued.status).to.equal(200);
  const { loginToken } = (await issued.json()) as { loginToken: string };
  const r = await mx(url, 'POST', `${C}/login`, undefined, { type: 'm.login.token', token: loginToken, refresh_token: true });
  expect(r.status).to.equal(200);
  return r.body as unknown as Tokens;
}

for (const store of STORE_KINDS)
describe(`Matrix sessions: expiry, refresh and revocation (${store})`, function () {
  this.timeout(60_000);
  let rinki: TestRinki;
  const clock = new ManualClock(Date.parse('2026-03-02T08:00:00Z'));
  const whoami = (token: string) => mx(rinki.url, 'GET', `${C}/account/whoami`, token);
  const refresh = (token: string) => mx(rinki.url, 'POST', `${C}/refresh`, undefined, { refresh_token: token });

  before(async () => {
    rinki = await startTestRinki({ store, clock, env: { MATRIX_ACCESS_TOKEN_TTL_S: String(TTL_S), SESSION_TTL_HOURS: '8' } });
    await seedMatrixPeople(rinki.deps.db);
  });
  after(async () => rinki?.cleanup());

  it('answers a login that asks for it with a refresh token and the access token\'s lifetime; an expired token is a soft logout', async () => {
    const s = await login(rinki.url, 'anna', { refresh_token: true });
    expect(s.refresh_token).to.be.a('string');
    expect(s.expires_in_ms).to.equal(TTL_S * 1000);
    expect((await whoami(s.access_token)).status).to.equal(200);
    clock.advance(TTL_S * 1000 + 1);
    const expired = await whoami(s.access_token);
    expect(expired.status).to.equal(401);
    expect(expired.body).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
  });

  it('rotates on refresh: the old refresh token works until the new pair is used, then it is gone', async () => {
    const s = await login(rinki.url, 'anna', { refresh_token: true });
    clock.advance(TTL_S * 1000 + 1);
    const first = await refresh(s.refresh_token!);
    expect(first.status).to.equal(200);
    expect(first.body.expires_in_ms).to.equal(TTL_S * 1000);
    expect(first.body.refresh_token).to.be.a('string').and.not.equal(s.refresh_token);
    // An answer the client never got: it may ask again with the same refresh token.
    const retry = await refresh(s.refresh_token!);
    expect(retry.status).to.equal(200);
    // The earlier, unreceived pair is dropped; the newest works and is the same device.
    expect((await whoami(first.body.access_token as string)).body.errcode).to.equal('M_UNKNOWN_TOKEN');
    expect((await whoami(retry.body.access_token as string)).body).to.include({ user_id: s.user_id, device_id: s.device_id });
    // Used: the old refresh token is revoked for good.
    const old = await refresh(s.refresh_token!);
    expect(old.status).to.equal(401);
    expect(old.body).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    // The next rotation goes on from the newest refresh token.
    expect((await refresh(retry.body.refresh_token as string)).status).to.equal(200);
  });

  it('refuses an unknown refresh token, an access token as refresh token and a malformed body', async () => {
    const s = await login(rinki.url, 'anna', { refresh_token: true });
    for (const token of ['no-such-token', s.access_token]) {
      const r = await refresh(token);
      expect(r.status).to.equal(401);
      expect(r.body).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    }
    expect((await mx(rinki.url, 'POST', `${C}/refresh`, undefined, {})).body.errcode).to.equal('M_BAD_JSON');
    // A refresh token is not an access token.
    expect((await whoami(s.refresh_token!)).body.errcode).to.equal('M_UNKNOWN_TOKEN');
  });

  it('gives a client that does not ask for refresh a token that still expires, when the sign-in would', async () => {
    const s = await login(rinki.url, 'antti');
    expect(s.refresh_token).to.equal(undefined);
    expect(s.expires_in_ms).to.equal(8 * 3600_000);
    clock.advance(TTL_S * 1000 + 1);
    expect((await whoami(s.access_token)).status).to.equal(200);
    clock.advance(8 * 3600_000);
    expect((await whoami(s.access_token)).body).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
  });

  it('ends the Matrix session when the web session that minted it signs out', async () => {
    const web = await webSignIn(rinki.url, 'anna');
    const s = await loginFromWeb(rinki.url, web);
    expect((await whoami(s.access_token)).status).to.equal(200);
    expect((await webPost(rinki.url, '/api/auth/logout', web)).status).to.equal(204);
    expect((await whoami(s.access_token)).body).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    expect((await refresh(s.refresh_token!)).status).to.equal(401);
  });

  it('ends the Matrix session with the web session it came from: no refresh past its expiry', async () => {
    const web = await webSignIn(rinki.url, 'anna');
    clock.advance(8 * 3600_000 - 60_000);
    const s = await loginFromWeb(rinki.url, web);
    expect(s.expires_in_ms).to.equal(60_000);
    clock.advance(60_001);
    expect((await whoami(s.access_token)).status).to.equal(401);
    expect((await refresh(s.refresh_token!)).status).to.equal(401);
  });

  it('revokes every Matrix token of the person on "sign out everywhere", password logins too', async () => {
    const web = await webSignIn(rinki.url, 'bertta');
    const fromWeb = await loginFromWeb(rinki.url, web);
    const byPassword = await login(rinki.url, 'bertta', { refresh_token: true });
    const plain = await login(rinki.url, 'bertta');
    const other = await login(rinki.url, 'kaisa', { refresh_token: true });
    for (const t of [fromWeb, byPassword, plain]) expect((await whoami(t.access_token)).status).to.equal(200);
    const elsewhere = await webSignIn(rinki.url, 'bertta');
    expect((await webPost(rinki.url, '/api/auth/logout-all', elsewhere)).status).to.equal(204);
    for (const t of [fromWeb, byPassword, plain]) expect((await whoami(t.access_token)).body).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    for (const t of [fromWeb, byPassword]) expect((await refresh(t.refresh_token!)).status).to.equal(401);
    // Someone else's session is untouched.
    expect((await whoami(other.access_token)).status).to.equal(200);
  });

  it('refuses refresh to a person an admin deactivates', async () => {
    const s = await login(rinki.url, 'arto', { refresh_token: true });
    const admin = await apiTokenFor(rinki, FIXTURE.staff.countyAAdmin);
    const res = await fetch(`${rinki.url}/api/staff/${MX_PEOPLE.arto}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).to.equal(204);
    try {
      expect((await whoami(s.access_token)).body.errcode).to.equal('M_UNKNOWN_TOKEN');
      expect((await refresh(s.refresh_token!)).body).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    } finally {
      await rinki.deps.db.query('UPDATE staff SET active = true WHERE id = $1', [MX_PEOPLE.arto]);
    }
  });
});

describe('Matrix sessions: a real client across access-token expiry', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  const clients: sdk.MatrixClient[] = [];

  before(async () => {
    requireNode22();
    rinki = await startTestRinki({ store: 'pglite', env: { MATRIX_ACCESS_TOKEN_TTL_S: '2' } });
    await seedMatrixPeople(rinki.deps.db);
  });
  after(async () => {
    stopAll(...clients);
    await rinki?.cleanup();
  });

  /** A client as the browser app builds it: refresh tokens, renewed by its fetch. */
  async function start(username: string): Promise<{ client: sdk.MatrixClient; renewals: () => number }> {
    const s = await login(rinki.url, username, { refresh_token: true });
    let renewals = 0;
    const holder: { client?: sdk.MatrixClient } = {};
    const fetchFn = renewingFetch(rinki.url, { accessToken: s.access_token, refreshToken: s.refresh_token, expiresInMs: s.expires_in_ms }, (t) => {
      renewals++;
      holder.client?.setAccessToken(t.accessToken);
    });
    const client = sdk.createClient({ baseUrl: rinki.url, userId: s.user_id, deviceId: s.device_id, accessToken: s.access_token, logger: quietLogger, fetchFn });
    holder.client = client;
    clients.push(client);
    await client.initRustCrypto({ useIndexedDB: false });
    const prepared = new Promise<void>((resolve) => client.on(sdk.ClientEvent.Sync, (state) => state === 'PREPARED' && resolve()));
    await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: false });
    await prepared;
    return { client, renewals: () => renewals };
  }

  it('keeps syncing, sending and decrypting over several expiries, and never logs out', async () => {
    const anna = await start('anna');
    const antti = await start('antti');
    let loggedOut = false;
    for (const c of [anna.client, antti.client]) c.on(sdk.HttpApiEvent.SessionLoggedOut, () => (loggedOut = true));
    const roomId = await createConference(anna.client, [antti.client.getUserId()!]);
    await joinWhenInvited(antti.client, roomId, [anna.client]);
    await sendText(anna.client, roomId, 'ennen');
    await waitForBodies(antti.client, roomId, ['ennen']);
    // Several lifetimes of the access token pass while both keep long-polling and sending
    // (a renewal happens on a request, so on a busy machine it may take a few more turns).
    await new Promise((r) => setTimeout(r, 5_000));
    for (let turn = 0; turn < 20 && (anna.renewals() < 2 || antti.renewals() < 2); turn++) {
      await sendText(anna.client, roomId, `välillä ${turn}`);
      await new Promise((r) => setTimeout(r, 1_500));
    }
    await sendText(anna.client, roomId, 'jälkeen');
    await sendText(antti.client, roomId, 'vastaus');
    await waitForBodies(antti.client, roomId, ['jälkeen', 'vastaus']);
    await waitForBodies(anna.client, roomId, ['vastaus']);
    expect(anna.renewals()).to.be.greaterThan(1);
    expect(antti.renewals()).to.be.greaterThan(1);
    expect(loggedOut).to.equal(false);
  });
});
