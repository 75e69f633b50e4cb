// Requests the server cannot read (a body it cannot decode, a path it cannot
// percent-decode) are the client's error: 400 or 415 in each API's own error
// format, never 500, and nothing written.
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { PASSWORD, seedAuthFixtures } from '../auth/test-fixtures.ts';

async function send(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}) {
  const res = await fetch(`${url}${path}`, { method: init.method ?? 'GET', headers: init.headers, body: init.body as BodyInit | undefined });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* checked by the caller */
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body };
}

const LOGIN_JSON = JSON.stringify({ username: 'maija', password: PASSWORD });
const MX_LOGIN_JSON = JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'maija' }, password: PASSWORD });

describe('requests the server cannot read', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  let auth: Record<string, string>;
  before(async () => {
    rinki = await startTestRinki({ store: 'pglite' });
    await seedAuthFixtures(rinki.deps.db);
    const { apiTokenFor } = await import('../../../tests/helpers/env.ts');
    auth = { authorization: `Bearer ${await apiTokenFor(rinki, 'staff-maija')}` };
  });
  after(() => rinki.cleanup());

  async function tokenCount(): Promise<number> {
    return (await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM access_tokens'))[0].n;
  }

  describe('at /api', () => {
    it('answer a body that is not gzip though it says so with 400', async () => {
      const before = await tokenCount();
      const r = await send(rinki.url, '/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: LOGIN_JSON,
      });
      expect(r.status).to.equal(400);
      expect(r.body).to.include({ error: 'invalid_request' });
      expect(await tokenCount()).to.equal(before);
    });

    it('read a real gzip body', async () => {
      const r = await send(rinki.url, '/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(LOGIN_JSON),
      });
      expect(r.status).to.equal(200);
    });

    it('answer an unsupported Content-Encoding with 415', async () => {
      const r = await send(rinki.url, '/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'x-unknown' },
        body: LOGIN_JSON,
      });
      expect(r.status).to.equal(415);
      expect(r.body).to.include({ error: 'unsupported_media_type' });
    });

    it('answer a malformed percent-encoding in a path parameter with 400', async () => {
      for (const path of ['/api/staff/%E0%A4%A', '/api/staff/%', '/api/staff/%ZZ']) {
        const r = await send(rinki.url, path, { headers: auth });
        expect(r.status, path).to.equal(400);
        expect(r.body, path).to.include({ error: 'invalid_request' });
      }
    });

    it('answer a malformed JSON body with 400', async () => {
      const r = await send(rinki.url, '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
      expect(r.status).to.equal(400);
      expect(r.body).to.include({ error: 'invalid_request' });
    });
  });

  describe('at /_matrix', () => {
    it('answer a body that is not gzip though it says so with 400 M_NOT_JSON', async () => {
      const before = await tokenCount();
      const r = await send(rinki.url, '/_matrix/client/v3/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: MX_LOGIN_JSON,
      });
      expect(r.status).to.equal(400);
      expect(r.body).to.include({ errcode: 'M_NOT_JSON' });
      expect(await tokenCount()).to.equal(before);
    });

    it('read a real gzip body', async () => {
      const r = await send(rinki.url, '/_matrix/client/v3/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(MX_LOGIN_JSON),
      });
      expect(r.status).to.equal(200);
    });

    it('answer an unsupported Content-Encoding with 415 M_UNRECOGNIZED', async () => {
      const r = await send(rinki.url, '/_matrix/client/v3/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'x-unknown' },
        body: MX_LOGIN_JSON,
      });
      expect(r.status).to.equal(415);
      expect(r.body).to.include({ errcode: 'M_UNRECOGNIZED' });
    });

    it('answer a malformed percent-encoding in a path parameter with 400 M_UNRECOGNIZED', async () => {
      for (const path of ['/_matrix/client/v3/rooms/%E0%A4%A/state', '/_matrix/client/v3/profile/%', '/_matrix/client/v3/rooms/%ZZ/joined_members']) {
        const r = await send(rinki.url, path, { headers: auth });
        expect(r.status, path).to.equal(400);
        expect(r.body, path).to.include({ errcode: 'M_UNRECOGNIZED' });
      }
    });
  });
});
