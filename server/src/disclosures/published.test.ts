import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../../../tests/helpers/env.ts';
import { sodium } from '../crypto/sodium.ts';
import { signCheckpointSync, type Checkpoint } from './chain.ts';
import { PublishedFileError, publishCheckpoints, readPublishedCheckpoints } from './published.ts';

describe('the published checkpoint file', () => {
  const dir = tempDir('rinki-published-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let sign: (log: string, seq: number) => Checkpoint;
  before(async () => {
    const s = await sodium();
    const { privateKey } = s.crypto_sign_keypair();
    sign = (log, seq) => signCheckpointSync(s, privateKey, { log, seq, hash: new Uint8Array(32).fill(seq % 256), signedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)) });
  });

  it('keeps the latest checkpoint per log, never a lower one, written whole', () => {
    const file = path.join(dir, 'a', 'audit-checkpoint.json');
    expect(readPublishedCheckpoints(file)).to.deep.equal([]);
    publishCheckpoints(file, [sign('access', 10), sign('access', 20)]);
    publishCheckpoints(file, [sign('disclosure', 5)]);
    publishCheckpoints(file, [sign('access', 15)]);
    const cps = readPublishedCheckpoints(file);
    expect(cps.map((c) => [c.log, c.seq])).to.deep.equal([
      ['access', 20],
      ['disclosure', 5],
    ]);
    expect(cps[0]).to.deep.equal({ ...sign('access', 20), signedAt: '2026-01-01T00:00:20.000Z' });
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['audit-checkpoint.json']);
  });

  it('refuses a file that is not a published checkpoint file', () => {
    const file = path.join(dir, 'junk.json');
    fs.writeFileSync(file, '{"format":"something-else","logs":{}}');
    expect(() => readPublishedCheckpoints(file)).to.throw(PublishedFileError, /not a rinki-audit-checkpoints\/1 file/);
    fs.writeFileSync(file, '{"format":"rinki-audit-checkpoints/1","logs":{"access":{"seq":"ten"}}}');
    expect(() => readPublishedCheckpoints(file)).to.throw(PublishedFileError, /log 'access' is malformed/);
    expect(() => publishCheckpoints(file, [sign('access', 1)])).to.throw(PublishedFileError);
  });
});
