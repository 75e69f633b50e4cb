// Devices and sign-in handover: the web app's one-time m.login.token, device
// listing and renaming, and deleting a device behind user-interactive auth.
import { expect } from 'chai';
import { apiTokenFor, startTestRinki, type TestRinki } from '../helpers/env.ts';
import { MX_PASSWORD, MX_PEOPLE, mx, passwordLogin, seedMatrixPeople, type Session } from '../helpers/matrix.ts';

const C = '/_matrix/client/v3';

describe('Matrix: login tokens and devices', function () {
  this.timeout(60_000);
  let rinki: TestRinki;
  const call = (method: string, path: string, s?: Session, body?: unknown) => mx(rinki.url, method, path, s?.access_token, body);

  before(async () => {
    rinki = await startTestRinki({ store: 'pglite' });
    await seedMatrixPeople(rinki.deps.db);
  });
  after(async () => rinki?.cleanup());

  it('signs in once with a login token the signed-in web app fetched (m.login.token)', async () => {
    const api = await apiTokenFor(rinki, MX_PEOPLE.anna);
    const issued = await fetch(`${rinki.url}/api/auth/matrix-login-token`, { method: 'POST', headers: { authorization: `Bearer ${api}` } });
    expect(issued.status).to.equal(200);
    const { loginToken } = (await issued.json()) as { loginToken: string };
    const login = await call('POST', `${C}/login`, undefined, { type: 'm.login.token', token: loginToken });
    expect(login.status).to.equal(200);
    expect(login.body.user_id).to.match(new RegExp(`^@${MX_PEOPLE.anna}:`));
    const reuse = await call('POST', `${C}/login`, undefined, { type: 'm.login.token', token: loginToken });
    expect(reuse.status).to.equal(403);
    expect(reuse.body.errcode).to.equal('M_FORBIDDEN');
    // Without a sign-in there is no token to fetch.
    expect((await fetch(`${rinki.url}/api/auth/matrix-login-token`, { method: 'POST' })).status).to.equal(401);
  });

  it('lists and renames devices; another person\'s device is not found', async () => {
    const s = await passwordLogin(rinki.url, 'anna');
    expect((await call('PUT', `${C}/devices/${s.device_id}`, s, { display_name: 'Työkone' })).status).to.equal(200);
    expect((await call('GET', `${C}/devices/${s.device_id}`, s)).body).to.include({ device_id: s.device_id, display_name: 'Työkone' });
    const other = await passwordLogin(rinki.url, 'antti');
    expect((await call('GET', `${C}/devices/${s.device_id}`, other)).status).to.equal(404);
    expect((await call('PUT', `${C}/devices/${s.device_id}`, other, { display_name: 'x' })).body.errcode).to.equal('M_NOT_FOUND');
  });

  it('deletes a device after the password stage: its token and keys go, people sharing a room hear of it', async () => {
    const anna = await passwordLogin(rinki.url, 'anna');
    const antti = await passwordLogin(rinki.url, 'antti');
    const old = await passwordLogin(rinki.url, 'antti');
    const room = (await call('POST', `${C}/createRoom`, anna, { invite: [antti.user_id] })).body.room_id as string;
    await call('POST', `${C}/join/${encodeURIComponent(room)}`, antti, {});
    const deviceKeys = { user_id: old.user_id, device_id: old.device_id, algorithms: ['m.megolm.v1.aes-sha2'], keys: { [`ed25519:${old.device_id}`]: 'k' }, signatures: {} };
    await call('POST', `${C}/keys/upload`, old, { device_keys: deviceKeys, one_time_keys: { 'signed_curve25519:A': { key: 'x', signatures: {} } } });
    const since = (await call('GET', `${C}/sync?timeout=0`, anna)).body.next_batch as string;

    const challenge = await call('DELETE', `${C}/devices/${old.device_id}`, antti, {});
    expect(challenge.status).to.equal(401);
    expect(challenge.body.flows).to.deep.equal([{ stages: ['m.login.password'] }]);
    const session = challenge.body.session as string;
    const wrong = await call('DELETE', `${C}/devices/${old.device_id}`, antti, {
      auth: { type: 'm.login.password', session, identifier: { type: 'm.id.user', user: antti.user_id }, password: 'wrong' },
    });
    expect(wrong.status).to.equal(401);
    expect(wrong.body.errcode).to.equal('M_FORBIDDEN');
    // Another person's password does not do.
    const annasPassword = await call('DELETE', `${C}/devices/${old.device_id}`, antti, {
      auth: { type: 'm.login.password', session, identifier: { type: 'm.id.user', user: 'anna' }, password: MX_PASSWORD },
    });
    expect(annasPassword.status).to.equal(401);
    expect((await call('GET', `${C}/account/whoami`, old)).status).to.equal(200);

    const ok = await call('DELETE', `${C}/devices/${old.device_id}`, antti, {
      auth: { type: 'm.login.password', session, identifier: { type: 'm.id.user', user: antti.user_id }, password: MX_PASSWORD },
    });
    expect(ok.status).to.equal(200);
    expect((await call('GET', `${C}/account/whoami`, old)).body.errcode).to.equal('M_UNKNOWN_TOKEN');
    const keys = await call('POST', `${C}/keys/query`, anna, { device_keys: { [antti.user_id]: [] } });
    expect((keys.body.device_keys as Record<string, object>)[antti.user_id]).to.not.have.property(old.device_id);
    expect((await rinki.deps.db.query('SELECT 1 FROM matrix_one_time_keys WHERE device_id = $1', [old.device_id])).length).to.equal(0);
    const sync = await call('GET', `${C}/sync?timeout=0&since=${since}`, anna);
    expect((sync.body.device_lists as { changed: string[] }).changed).to.include(antti.user_id);
  });

  it('binds an authentication session to its person and operation, and spends it once', async () => {
    const antti = await passwordLogin(rinki.url, 'antti');
    const anna = await passwordLogin(rinki.url, 'anna');
    const [a, b] = [await passwordLogin(rinki.url, 'antti'), await passwordLogin(rinki.url, 'antti')];
    const password = (session?: string) => ({ auth: { type: 'm.login.password', ...(session ? { session } : {}), identifier: { type: 'm.id.user', user: antti.user_id }, password: MX_PASSWORD } });
    const unknown = await call('DELETE', `${C}/devices/${a.device_id}`, antti, password('no-such-session-id'));
    expect(unknown.status).to.equal(400);
    expect(unknown.body.errcode).to.equal('M_UNKNOWN');
    // Anna's session is no use to Antti.
    const annas = (await call('DELETE', `${C}/devices/${(await passwordLogin(rinki.url, 'anna')).device_id}`, anna, {})).body.session as string;
    expect((await call('DELETE', `${C}/devices/${a.device_id}`, antti, password(annas))).status).to.equal(400);
    // A session started for deleting device a cannot delete device b.
    const forA = (await call('DELETE', `${C}/devices/${a.device_id}`, antti, {})).body.session as string;
    const swapped = await call('DELETE', `${C}/devices/${b.device_id}`, antti, password(forA));
    expect(swapped.status).to.equal(403);
    expect(swapped.body.errcode).to.equal('M_FORBIDDEN');
    expect((await call('GET', `${C}/account/whoami`, b)).status).to.equal(200);
    expect((await call('DELETE', `${C}/devices/${a.device_id}`, antti, password(forA))).status).to.equal(200);
    // Spent: the same session does not authorise again.
    expect((await call('DELETE', `${C}/devices/${b.device_id}`, antti, password(forA))).status).to.equal(400);
    expect((await call('GET', `${C}/account/whoami`, b)).status).to.equal(200);
  });
});
