// Sign-in limits: per account from any address, per address across accounts,
// one count for REST sign-in and Matrix login, shared by nodes through Redis.
import { expect } from 'chai';
import { startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { PASSWORD, seedAuthFixtures } from './test-fixtures.ts';

function restLogin(url: string, username: string, password: string, ip = '203.0.113.1') {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ username, password }),
  });
}

function matrixLogin(url: string, user: string, password: string, ip = '203.0.113.1') {
  return fetch(`${url}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
  });
}

async function expectRestLimited(res: Response): Promise<void> {
  expect(res.status, await res.clone().text()).to.equal(429);
  expect(Number(res.headers.get('retry-after'))).to.be.within(1, 600);
  expect(await res.json()).to.include({ error: 'rate_limited' });
}

async function expectMatrixLimited(res: Response): Promise<void> {
  expect(res.status, await res.clone().text()).to.equal(429);
  const body = (await res.json()) as { errcode: string; retry_after_ms: number };
  expect(body.errcode).to.equal('M_LIMIT_EXCEEDED');
  expect(body.retry_after_ms).to.be.within(1, 600_000);
}

const LIMITS = { LOGIN_RATE_LIMIT: '3', LOGIN_IP_RATE_LIMIT: '5', LOGIN_RATE_WINDOW_S: '600', TRUST_PROXY: 'true' };

/** Another active account with PASSWORD, so each test has accounts of its own. */
async function addAccount(rinki: TestRinki, username: string): Promise<void> {
  await rinki.deps.db.query(
    `INSERT INTO staff (id, organisation_id, display_name, username, password_hash, active)
     SELECT $1, organisation_id, $2, $2, password_hash, true FROM staff WHERE id = 'staff-kalle'`,
    [`staff-${username}`, username],
  );
}

describe('sign-in limits', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  let test = 0;
  /** A fresh address and fresh accounts for each test: the counts of one test do not reach the next. */
  let ip: (n?: number) => string;
  let acct: (name: string) => string;
  before(async () => {
    rinki = await startTestRinki({ store: 'pglite', env: LIMITS });
    await seedAuthFixtures(rinki.deps.db);
  });
  beforeEach(async () => {
    test++;
    ip = (n = 0) => `10.${test}.${n}.1`;
    acct = (name) => `${name}${test}`;
    for (const name of ['maija', 'kalle']) await addAccount(rinki, acct(name));
  });
  after(() => rinki.cleanup());

  it('limit one address spraying a password across usernames', async () => {
    // The spray goes through both doors: REST sign-in and Matrix login count against the one limit of the address.
    for (let i = 0; i < 3; i++) expect((await restLogin(rinki.url, `${acct('user')}-${i}`, 'Summer2026!', ip())).status).to.equal(401);
    for (let i = 3; i < 5; i++) expect((await matrixLogin(rinki.url, `${acct('user')}-${i}`, 'Summer2026!', ip())).status).to.equal(403);
    // Another username, even with its right password: this address is done for the window.
    await expectRestLimited(await restLogin(rinki.url, acct('kalle'), PASSWORD, ip()));
    await expectMatrixLimited(await matrixLogin(rinki.url, acct('kalle'), PASSWORD, ip()));
    // Another address is not affected.
    expect((await restLogin(rinki.url, acct('kalle'), PASSWORD, ip(7))).status).to.equal(200);
  });

  it('limit one account attacked from many addresses', async () => {
    for (let i = 0; i < 3; i++) expect((await restLogin(rinki.url, acct('maija'), `guess ${i}`, ip(i + 1))).status).to.equal(401);
    await expectRestLimited(await restLogin(rinki.url, acct('maija'), PASSWORD, ip(99)));
    await expectMatrixLimited(await matrixLogin(rinki.url, acct('maija'), PASSWORD, ip(98)));
    // Other accounts from those addresses are not affected.
    expect((await restLogin(rinki.url, acct('kalle'), PASSWORD, ip(1))).status).to.equal(200);
  });

  it('count failures at REST sign-in and Matrix login against one limit', async () => {
    expect((await restLogin(rinki.url, acct('maija'), 'guess 1', ip(1))).status).to.equal(401);
    expect((await matrixLogin(rinki.url, acct('maija'), 'guess 2', ip(2))).status).to.equal(403);
    // A full Matrix user id names the same account.
    expect((await matrixLogin(rinki.url, `@staff-${acct('maija')}:${rinki.deps.config.matrixServerName}`, 'guess 3', ip(3))).status).to.equal(403);
    await expectMatrixLimited(await matrixLogin(rinki.url, acct('maija'), PASSWORD, ip(4)));
    await expectRestLimited(await restLogin(rinki.url, acct('maija'), PASSWORD, ip(5)));
  });

  it('do not let a valid sign-in in between reset the count of an address', async () => {
    for (let i = 0; i < 4; i++) expect((await restLogin(rinki.url, `${acct('user')}-${i}`, 'Summer2026!', ip())).status).to.equal(401);
    expect((await restLogin(rinki.url, acct('kalle'), PASSWORD, ip())).status).to.equal(200);
    expect((await matrixLogin(rinki.url, acct('kalle'), PASSWORD, ip())).status).to.equal(200);
    expect((await restLogin(rinki.url, `${acct('user')}-4`, 'Summer2026!', ip())).status).to.equal(401);
    await expectRestLimited(await restLogin(rinki.url, `${acct('user')}-5`, 'Summer2026!', ip()));
  });

  it('do not count successful sign-ins', async () => {
    for (let i = 0; i < 6; i++) expect((await restLogin(rinki.url, acct('kalle'), PASSWORD, ip())).status).to.equal(200);
    for (let i = 0; i < 6; i++) expect((await matrixLogin(rinki.url, acct('kalle'), PASSWORD, ip())).status).to.equal(200);
  });
});

describe('sign-in limits shared through Redis by two nodes', function () {
  this.timeout(120_000);
  const prefix = `rinki-t-sl-${Math.random().toString(36).slice(2, 10)}:`;
  let a: TestRinki;
  let b: TestRinki;
  before(async () => {
    const env = { ...LIMITS, REDIS_PREFIX: prefix };
    a = await startTestRinki({ redis: true, env });
    b = await startTestRinki({ redis: true, env });
    await seedAuthFixtures(a.deps.db);
    await seedAuthFixtures(b.deps.db);
  });
  after(async () => {
    const redis = a.deps.bus.redis!;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await a.cleanup();
    await b.cleanup();
  });

  it('count failures on either node, REST or Matrix, against one limit', async () => {
    expect((await restLogin(a.url, 'maija', 'guess 1', '198.51.100.1')).status).to.equal(401);
    expect((await matrixLogin(b.url, 'maija', 'guess 2', '198.51.100.2')).status).to.equal(403);
    expect((await restLogin(b.url, 'maija', 'guess 3', '198.51.100.3')).status).to.equal(401);
    await expectMatrixLimited(await matrixLogin(a.url, 'maija', PASSWORD, '198.51.100.4'));
    await expectRestLimited(await restLogin(b.url, 'maija', PASSWORD, '198.51.100.5'));
    // Keys are hashed: no username or address in Redis.
    const keys = await a.deps.bus.redis!.keys(`${prefix}rl:signin:*`);
    expect(keys).to.have.length.above(0);
    expect(keys.join(' ')).not.to.match(/maija|198\.51/);
  });
});
