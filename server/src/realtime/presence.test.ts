import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../../../tests/helpers/env.ts';
import { RedisLiveSockets, effectivePresence, resolveUntil } from './presence.ts';

describe('presence rules', () => {
  const now = new Date('2026-03-02T10:00:00Z');

  it('is offline without sockets whatever the manual status', () => {
    expect(effectivePresence(false, { manual_status: 'busy', manual_until: null }, now)).to.deep.equal({ status: 'offline', until: null });
  });

  it('is the manual status until it expires, then available', () => {
    const until = new Date('2026-03-02T10:30:00Z');
    expect(effectivePresence(true, { manual_status: 'away', manual_until: until }, now)).to.deep.equal({ status: 'away', until });
    // Read lazily: an expired status shows as available before any timer clears it.
    expect(effectivePresence(true, { manual_status: 'away', manual_until: now }, now)).to.deep.equal({ status: 'available', until: null });
    expect(effectivePresence(true, undefined, now)).to.deep.equal({ status: 'available', until: null });
  });

  it('reads until as an ISO time or minutes, in the future and within a week', () => {
    expect(resolveUntil(undefined, now)).to.equal(null);
    expect(resolveUntil(15, now)).to.deep.equal(new Date('2026-03-02T10:15:00Z'));
    expect(resolveUntil('2026-03-02T12:30:00+02:00', now)).to.deep.equal(new Date('2026-03-02T10:30:00Z'));
  });

  it('refuses an until in the past, unreadable, or too far ahead', () => {
    expect(() => resolveUntil('2026-03-02T09:00:00Z', now)).to.throw(/until: must be in the future/);
    expect(() => resolveUntil('soon', now)).to.throw(/until: not a valid time/);
    expect(() => resolveUntil('2026-04-02T09:00:00Z', now)).to.throw(/until: at most/);
  });
});

describe('live sockets in Redis', () => {
  const prefix = `rinki-t-${randomBytes(4).toString('hex')}:`;
  let redis: Redis;
  const nodes: RedisLiveSockets[] = [];
  const errors: unknown[] = [];
  const fast = { heartbeatMs: 50, deadAfterMs: 300, hashTtlMs: 60_000 };

  before(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  after(async () => {
    for (const n of nodes) await n.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const node = async (onLost: (ids: string[]) => void = () => undefined, timing = fast) => {
    const n = new RedisLiveSockets(redis, prefix, 'node', onLost, (err) => errors.push(err), timing);
    await n.start();
    nodes.push(n);
    return n;
  };

  it('counts a person online while any node has a socket of theirs', async () => {
    const a = await node();
    const b = await node();
    expect(await a.add('p')).to.equal(true);
    expect(await a.add('p')).to.equal(false);
    expect([...(await b.onlineAmong(['p', 'q']))]).to.deep.equal(['p']);
    expect(await a.remove('p')).to.equal(false);
    expect(await a.remove('p')).to.equal(true);
    expect([...(await b.onlineAmong(['p']))]).to.deep.equal([]);
    for (const n of nodes.splice(0)) await n.close();
  });

  it('drops a node that stops heartbeating and reports whom it had', async () => {
    // A "crashed" node: it never heartbeats after starting.
    const crashed = await node(undefined, { ...fast, heartbeatMs: 3_600_000 });
    await crashed.add('r');
    const lost = new Promise<string[]>((resolve) => void node(resolve));
    expect(await lost).to.deep.equal(['r']);
    const survivor = nodes[nodes.length - 1];
    expect([...(await survivor.onlineAmong(['r']))]).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });
});
