// The browser app as the server sends it on the embedded default (PGlite, no
// Redis): hashed assets as the build's brotli or gzip copy the browser accepts,
// with Vary and a year-long immutable cache; index.html never cached.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { ensureClientBuilt } from '../../../tests/helpers/browser.ts';
import { startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { CLIENT_DIST } from './web-app.ts';

/** A GET whose body arrives as sent (Node's http does not decode it). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

describe('the browser app’s files', function () {
  this.timeout(180_000);
  let rinki: TestRinki;
  let entry: string;
  let wasm: string;
  const original = (asset: string) => fs.readFileSync(path.join(CLIENT_DIST, asset));

  before(async () => {
    ensureClientBuilt();
    rinki = await startTestRinki({ store: 'pglite' });
    const index = await get(`${rinki.url}/`, { accept: 'text/html' });
    entry = /<script type="module" crossorigin src="\/(assets\/index-[\w-]+\.js)"/.exec(index.body.toString())![1];
    wasm = `assets/${fs.readdirSync(path.join(CLIENT_DIST, 'assets')).find((f) => f.endsWith('.wasm'))}`;
  });
  after(() => rinki?.cleanup());

  it('index.html is never cached, so a new build is seen at once', async () => {
    const res = await get(`${rinki.url}/`, { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).to.equal(200);
    expect(res.headers['cache-control']).to.equal('no-cache');
    expect(res.headers['content-security-policy']).to.contain("'wasm-unsafe-eval'");
  });

  it('a hashed script goes as brotli to a browser that takes it, cached for a year', async () => {
    const res = await get(`${rinki.url}/${entry}`, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-encoding']).to.equal('br');
    expect(res.headers.vary).to.match(/Accept-Encoding/i);
    expect(res.headers['content-type']).to.match(/^text\/javascript/);
    expect(res.headers['cache-control']).to.equal(IMMUTABLE);
    expect(Number(res.headers['content-length'])).to.equal(res.body.length).and.to.be.below(original(entry).length / 2);
    expect(zlib.brotliDecompressSync(res.body).equals(original(entry))).to.equal(true);
  });

  it('as gzip when only gzip is accepted, or brotli is refused', async () => {
    for (const acceptEncoding of ['gzip', 'br;q=0, gzip, deflate']) {
      const res = await get(`${rinki.url}/${entry}`, { 'accept-encoding': acceptEncoding });
      expect(res.headers['content-encoding'], acceptEncoding).to.equal('gzip');
      expect(res.headers.vary).to.match(/Accept-Encoding/i);
      expect(res.headers['cache-control']).to.equal(IMMUTABLE);
      expect(zlib.gunzipSync(res.body).equals(original(entry))).to.equal(true);
    }
  });

  it('as it is when no encoding is accepted, still saying that the answer varies', async () => {
    for (const headers of [{}, { 'accept-encoding': 'identity' }] as Record<string, string>[]) {
      const res = await get(`${rinki.url}/${entry}`, headers);
      expect(res.headers['content-encoding']).to.equal(undefined);
      expect(res.headers.vary).to.match(/Accept-Encoding/i);
      expect(res.body.equals(original(entry))).to.equal(true);
    }
  });

  it('the crypto WebAssembly goes as brotli typed application/wasm (streaming compilation needs the type)', async () => {
    const res = await get(`${rinki.url}/${wasm}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.headers['content-encoding']).to.equal('br');
    expect(res.headers['content-type']).to.equal('application/wasm');
    expect(res.headers['cache-control']).to.equal(IMMUTABLE);
    expect(zlib.brotliDecompressSync(res.body).equals(original(wasm))).to.equal(true);
  });

  it('a revalidation of a copy answers 304 without a body', async () => {
    const first = await get(`${rinki.url}/${entry}`, { 'accept-encoding': 'br' });
    const again = await get(`${rinki.url}/${entry}`, { 'accept-encoding': 'br', 'if-none-match': String(first.headers.etag) });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
  });

  it('an asset that does not exist is a 404 with no encoding claimed', async () => {
    const res = await get(`${rinki.url}/assets/index-nosuchfile.js`, { 'accept-encoding': 'br, gzip' });
    expect(res.status).to.equal(404);
    expect(res.headers['content-encoding']).to.equal(undefined);
  });
});
