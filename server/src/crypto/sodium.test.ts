import { expect } from 'chai';
import { hashToken, hashTokenHex, sodium } from './sodium.ts';

describe('hashToken', () => {
  it('is the unkeyed 32-byte BLAKE2b (crypto_generichash) of the token, for every token', async () => {
    const s = await sodium();
    for (const token of ['', 'syt_abc', 'ä€𝄞 token', 'x'.repeat(5000)]) {
      const expected = Buffer.from(s.crypto_generichash(32, s.from_string(token), null));
      expect((await hashToken(token)).equals(expected), token.slice(0, 20)).to.equal(true);
      expect(await hashTokenHex(token)).to.equal(expected.toString('hex'));
    }
  });

  it('hands out a hash that later hashes do not overwrite', async () => {
    const first = await hashToken('first');
    const copy = Buffer.from(first);
    await hashToken('second');
    expect(first.equals(copy)).to.equal(true);
  });
});
