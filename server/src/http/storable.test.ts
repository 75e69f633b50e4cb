// What the database cannot hold: found in parsed JSON before anything is
// written, and told apart among the database's own errors (a real PGlite's),
// which the REST API answers with 400 instead of an unhandled 500.
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { PGlite } from '@electric-sql/pglite';
import { createLogger } from '../log.ts';
import { errorHandler } from './errors.ts';
import { refusedText, storable } from './storable.ts';

describe('storable text', () => {
  let db: PGlite;
  const refusal = async (sql: string, param: string) => db.query(sql, [param]).then(() => undefined, (err: unknown) => err);
  before(async () => {
    db = new PGlite();
    await db.waitReady;
  });
  after(async () => db.close());

  it('finds U+0000 and unpaired surrogates in keys and values at any depth, and lets paired ones through', () => {
    for (const bad of ['a\u0000b', { x: ['ok', '\ud800'] }, { '\u0000': 1 }, [{ y: 'x\udc00' }], '\udc00\ud800'])
      expect(storable(bad), JSON.stringify(bad)).to.equal(false);
    for (const good of ['\u{1F600}', { a: [1, null, true, '\\u0000'] }, 'ä', 42, null])
      expect(storable(good), JSON.stringify(good)).to.equal(true);
  });

  it('tells the database refusing such text from its other errors', async () => {
    expect(refusedText(await refusal('SELECT $1::text', 'a\u0000b'))).to.equal(true);
    expect(refusedText(await refusal('SELECT $1::jsonb', '{"a":"\\u0000"}'))).to.equal(true);
    expect(refusedText(await refusal('SELECT $1::int', 'x'))).to.equal(false);
    expect(refusedText(await refusal('SELECT * FROM no_such_table WHERE $1 = $1', 'x'))).to.equal(false);
    expect(refusedText(new Error('other'))).to.equal(false);
  });

  it('is a 400 from the REST API when the database refuses it, not an unhandled error', async () => {
    const app = express();
    app.get('/t', (req, _res, next) => void db.query('SELECT $1::text', [String(req.query.v)]).then(() => next(new Error('stored')), next));
    app.use(errorHandler(createLogger('silent', 'test')));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/t?v=a%00b`);
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { message: string }).message).to.match(/U\+0000/);
    } finally {
      server.close();
    }
  });
});
