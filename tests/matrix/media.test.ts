// Authenticated media: an attachment encrypted in matrix-js-sdk's encrypted
// file format (AES-CTR + SHA-256, key as a JSON Web Key) travels through the
// server as opaque bytes; limits, access and the frozen legacy endpoints.
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { expect } from 'chai';
import { MsgType, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { STORE_KINDS, startTestRinki, type TestRinki } from '../helpers/env.ts';
import {
  MX_PEOPLE,
  createConference,
  eventually,
  joinWhenInvited,
  loginClient,
  mx,
  passwordLogin,
  requireNode22,
  seedMatrixPeople,
  stopAll,
  type Session,
} from '../helpers/matrix.ts';

const subtle = webcrypto.subtle;
const b64 = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('base64').replace(/=+$/, '');

interface EncryptedFile {
  url: string;
  key: { kty: string; key_ops: string[]; alg: string; k: string; ext: boolean };
  iv: string;
  hashes: { sha256: string };
  v: string;
}

/** The spec's encrypted attachment format (what matrix-react-sdk's encrypt-attachment produces). */
async function encryptAttachment(plain: Uint8Array): Promise<{ data: Uint8Array; info: Omit<EncryptedFile, 'url'> }> {
  const key = await subtle.generateKey({ name: 'AES-CTR', length: 256 }, true, ['encrypt', 'decrypt']);
  const iv = new Uint8Array(16);
  webcrypto.getRandomValues(iv.subarray(0, 8)); // the low 64 bits are the block counter, starting at 0
  const data = new Uint8Array(await subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, plain));
  const jwk = await subtle.exportKey('jwk', key);
  return {
    data,
    info: {
      key: { kty: 'oct', key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR', k: jwk.k!, ext: true },
      iv: b64(iv),
      hashes: { sha256: b64(await subtle.digest('SHA-256', data)) },
      v: 'v2',
    },
  };
}

async function decryptAttachment(data: Uint8Array, info: EncryptedFile): Promise<Uint8Array> {
  expect(b64(await subtle.digest('SHA-256', data))).to.equal(info.hashes.sha256);
  const key = await subtle.importKey('jwk', info.key, { name: 'AES-CTR' }, false, ['decrypt']);
  const iv = Buffer.from(info.iv, 'base64');
  return new Uint8Array(await subtle.decrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, data));
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

describe('Matrix media: an encrypted attachment through matrix-js-sdk', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  const clients: MatrixClient[] = [];

  before(async () => {
    requireNode22();
    rinki = await startTestRinki({ store: 'pglite' });
    await seedMatrixPeople(rinki.deps.db);
  });
  after(async () => {
    stopAll(...clients);
    await rinki?.cleanup();
  });

  it('uploads, downloads and decrypts; the plaintext never reaches the media folder', async () => {
    const a = await loginClient(rinki.url, 'anna');
    const b = await loginClient(rinki.url, 'antti');
    clients.push(a, b);
    const roomId = await createConference(a, [b.getUserId()!]);
    await joinWhenInvited(b, roomId, [a]);

    const canary = `MEDIA-CANARY-${Date.now()}`;
    const plain = new Uint8Array(Buffer.from(`${canary}\n`.repeat(2_000)));
    const { data, info } = await encryptAttachment(plain);
    const { content_uri } = await a.uploadContent(new Blob([Buffer.from(data)]), { type: 'application/octet-stream', name: 'lausunto.bin' });
    expect(content_uri).to.match(new RegExp(`^mxc://${rinki.deps.config.matrixServerName.replace(/[.:]/g, '\\$&')}/[A-Za-z0-9_-]+$`));
    const file: EncryptedFile = { url: content_uri, ...info };
    await a.sendMessage(roomId, { msgtype: MsgType.File, body: 'lausunto.bin', file, info: { size: plain.length, mimetype: 'text/plain' } });

    const received = await eventually('B to decrypt the file event', () =>
      b
        .getRoom(roomId)
        ?.getLiveTimeline()
        .getEvents()
        .find((e: MatrixEvent) => e.getType() === 'm.room.message' && e.getContent().msgtype === MsgType.File),
    );
    const got = received.getContent().file as EncryptedFile;
    const url = b.mxcUrlToHttp(got.url, undefined, undefined, undefined, false, true, true)!;
    expect(url).to.contain('/_matrix/client/v1/media/download/');
    const res = await fetch(url, { headers: { authorization: `Bearer ${b.getAccessToken()}` } });
    expect(res.status).to.equal(200);
    const downloaded = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(downloaded).equals(Buffer.from(data))).to.equal(true);
    expect(Buffer.from(await decryptAttachment(downloaded, got)).equals(Buffer.from(plain))).to.equal(true);

    const stored = filesUnder(path.join(rinki.deps.config.dataDir, 'media'));
    expect(stored).to.have.length(1);
    for (const f of stored) expect(fs.readFileSync(f).includes(canary)).to.equal(false);
  });
});

for (const store of STORE_KINDS)
describe(`Matrix media: limits, access and frozen endpoints (${store})`, function () {
  this.timeout(60_000);
  const MAX = 64 * 1024;
  let rinki: TestRinki;
  let anna: Session;
  let antti: Session;
  let bertta: Session;
  const server = () => rinki.deps.config.matrixServerName;
  const mediaRows = async () => (await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM matrix_media'))[0].n;
  const mediaFiles = () => filesUnder(path.join(rinki.deps.config.dataDir, 'media'));

  async function upload(s: Session | undefined, bytes: Uint8Array, query = '') {
    const res = await fetch(`${rinki.url}/_matrix/media/v3/upload${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', ...(s ? { authorization: `Bearer ${s.access_token}` } : {}) },
      body: Buffer.from(bytes),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const download = (s: Session, mediaId: string, server_ = server()) =>
    fetch(`${rinki.url}/_matrix/client/v1/media/download/${encodeURIComponent(server_)}/${mediaId}`, { headers: { authorization: `Bearer ${s.access_token}` } });

  before(async () => {
    rinki = await startTestRinki({ store, env: { MEDIA_MAX_BYTES: String(MAX) } });
    await seedMatrixPeople(rinki.deps.db);
    anna = await passwordLogin(rinki.url, 'anna');
    antti = await passwordLogin(rinki.url, 'antti');
    bertta = await passwordLogin(rinki.url, 'bertta');
    const r = await mx(rinki.url, 'POST', '/_matrix/client/v3/createRoom', anna.access_token, { invite: [antti.user_id] });
    expect(r.status).to.equal(200);
  });
  after(async () => rinki?.cleanup());

  it('answers the upload limit in media/config', async () => {
    const r = await mx(rinki.url, 'GET', '/_matrix/client/v1/media/config', anna.access_token);
    expect(r.body).to.deep.equal({ 'm.upload.size': MAX });
  });

  it('stores an upload with its metadata and lets the uploader and room members download it', async () => {
    const bytes = new Uint8Array(MAX).fill(7);
    const r = await upload(anna, bytes, '?filename=liite.bin');
    expect(r.status).to.equal(200);
    const mediaId = String(r.body.content_uri).split('/').pop()!;
    const row = (await rinki.deps.db.query<Record<string, unknown>>('SELECT * FROM matrix_media WHERE media_id = $1', [mediaId]))[0];
    expect(row).to.include({ uploader_staff_id: MX_PEOPLE.anna, content_type: 'application/octet-stream', file_name: 'liite.bin' });
    expect(Number(row.size_bytes)).to.equal(MAX);
    for (const s of [anna, antti]) {
      const res = await download(s, mediaId);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-disposition')).to.contain('liite.bin');
      expect(res.headers.get('content-security-policy')).to.contain('sandbox');
      // The media answer's own caching in place of the API's no-store; the fixed headers otherwise stay.
      expect(res.headers.get('cache-control')).to.equal('private, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).to.equal(true);
    }
  });

  it('refuses an upload over the limit with 413 M_TOO_LARGE and writes nothing', async () => {
    const rows = await mediaRows();
    const files = mediaFiles().length;
    const r = await upload(anna, new Uint8Array(MAX + 1));
    expect(r.status).to.equal(413);
    expect(r.body.errcode).to.equal('M_TOO_LARGE');
    expect(await mediaRows()).to.equal(rows);
    expect(mediaFiles()).to.have.length(files);
  });

  it('refuses uploads and downloads without a token', async () => {
    const r = await upload(undefined, new Uint8Array(10));
    expect(r.status).to.equal(401);
    expect(r.body.errcode).to.equal('M_MISSING_TOKEN');
    const d = await fetch(`${rinki.url}/_matrix/client/v1/media/download/${server()}/abcdefghijklmnopqrstuvwx`);
    expect(d.status).to.equal(401);
  });

  it('hides media from someone of another organisation who shares no room with the uploader', async () => {
    const r = await upload(anna, new Uint8Array([1, 2, 3]));
    const mediaId = String(r.body.content_uri).split('/').pop()!;
    const res = await download(bertta, mediaId);
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { errcode: string }).errcode).to.equal('M_NOT_FOUND');
    expect((await download(anna, mediaId, 'other.example')).status).to.equal(404);
    expect((await download(anna, 'no-such-media-id-here')).status).to.equal(404);
  });

  it('creates an mxc URI first and takes its content once, from its creator only (async upload)', async () => {
    const created = await mx(rinki.url, 'POST', '/_matrix/media/v1/create', anna.access_token, {});
    expect(created.status).to.equal(200);
    expect(created.body.content_uri).to.match(new RegExp(`^mxc://${server()}/`));
    expect(Number(created.body.unused_expires_at)).to.be.greaterThan(Date.now());
    const mediaId = String(created.body.content_uri).split('/').pop()!;
    const put = (s: Session, bytes: Uint8Array, id = mediaId, server_ = server()) =>
      fetch(`${rinki.url}/_matrix/media/v3/upload/${encodeURIComponent(server_)}/${id}?filename=myohemmin.bin`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${s.access_token}` },
        body: Buffer.from(bytes),
      });
    // Before the upload a room member waits, then hears "not yet uploaded".
    const early = await fetch(`${rinki.url}/_matrix/client/v1/media/download/${server()}/${mediaId}?timeout_ms=600`, { headers: { authorization: `Bearer ${antti.access_token}` } });
    expect(early.status).to.equal(504);
    expect(((await early.json()) as { errcode: string }).errcode).to.equal('M_NOT_YET_UPLOADED');
    // Someone else may not fill it; an unknown id is not found; nothing is written.
    const rows = await mediaRows();
    const foreign = await put(antti, new Uint8Array([9]));
    expect(foreign.status).to.equal(403);
    expect(((await foreign.json()) as { errcode: string }).errcode).to.equal('M_FORBIDDEN');
    expect((await put(anna, new Uint8Array([9]), 'no-such-media-id-here')).status).to.equal(404);
    expect((await put(anna, new Uint8Array([9]), mediaId, 'other.example')).status).to.equal(404);
    expect(await mediaRows()).to.equal(rows);
    // A waiting download gets the content as soon as it arrives.
    const waiting = fetch(`${rinki.url}/_matrix/client/v1/media/download/${server()}/${mediaId}?timeout_ms=10000`, { headers: { authorization: `Bearer ${antti.access_token}` } });
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const ok = await put(anna, bytes);
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.equal({});
    const got = await waiting;
    expect(got.status).to.equal(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(bytes))).to.equal(true);
    const again = await put(anna, new Uint8Array([6]));
    expect(again.status).to.equal(409);
    expect(((await again.json()) as { errcode: string }).errcode).to.equal('M_CANNOT_OVERWRITE_MEDIA');
    const [row] = await rinki.deps.db.query<{ file_name: string }>('SELECT file_name FROM matrix_media WHERE media_id = $1', [mediaId]);
    expect(row.file_name).to.equal('myohemmin.bin');
  });

  it('limits how many created ids may wait for their upload', async () => {
    await rinki.deps.db.query('DELETE FROM matrix_media_pending');
    for (let i = 0; i < 10; i++) expect((await mx(rinki.url, 'POST', '/_matrix/media/v1/create', bertta.access_token, {})).status).to.equal(200);
    const over = await mx(rinki.url, 'POST', '/_matrix/media/v1/create', bertta.access_token, {});
    expect(over.status).to.equal(429);
    expect(over.body.errcode).to.equal('M_LIMIT_EXCEEDED');
  });

  it('answers thumbnails and the frozen unauthenticated endpoints with 404 M_NOT_FOUND', async () => {
    const r = await upload(anna, new Uint8Array([1, 2, 3]));
    const mediaId = String(r.body.content_uri).split('/').pop()!;
    const thumb = await mx(rinki.url, 'GET', `/_matrix/client/v1/media/thumbnail/${server()}/${mediaId}?width=32&height=32`, anna.access_token);
    expect(thumb.status).to.equal(404);
    expect(thumb.body.errcode).to.equal('M_NOT_FOUND');
    const legacy = await mx(rinki.url, 'GET', `/_matrix/media/v3/download/${server()}/${mediaId}`);
    expect(legacy.status).to.equal(404);
    expect(legacy.body.errcode).to.equal('M_NOT_FOUND');
  });
});
