import { expect } from 'chai';
import { batchedLookup } from './batched.ts';

describe('batchedLookup', () => {
  it('answers keys asked for together with one call, each with its own value', async () => {
    const calls: string[][] = [];
    const look = batchedLookup(async (keys: readonly string[]) => {
      calls.push([...keys]);
      return keys.map((k) => k.toUpperCase());
    });
    expect(await Promise.all(['a', 'b', 'c'].map(look))).to.deep.equal(['A', 'B', 'C']);
    expect(calls).to.deep.equal([['a', 'b', 'c']]);
  });

  it('with gatherMs, keys asked for over that time share one call', async () => {
    const calls: string[][] = [];
    const look = batchedLookup(
      async (keys: readonly string[]) => {
        calls.push([...keys]);
        return [...keys];
      },
      { gatherMs: 100 },
    );
    const first = look('a');
    await new Promise((r) => setTimeout(r, 30));
    const second = look('b');
    expect(await Promise.all([first, second])).to.deep.equal(['a', 'b']);
    expect(calls).to.deep.equal([['a', 'b']]);
  });

  it('runs one batch at a time: keys arriving meanwhile wait for it and go together', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const look = batchedLookup(async (keys: readonly string[]) => {
      calls.push([...keys]);
      if (calls.length === 1) await gate;
      return [...keys];
    });
    const first = look('a');
    await new Promise((r) => setTimeout(r, 10));
    const later = [look('b'), look('c')];
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).to.deep.equal([['a']]);
    release();
    expect(await Promise.all([first, ...later])).to.deep.equal(['a', 'b', 'c']);
    expect(calls).to.deep.equal([['a'], ['b', 'c']]);
  });
});
