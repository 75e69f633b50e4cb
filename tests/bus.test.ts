import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { openBus, type Bus } from '../server/src/bus/bus.ts';
import { eventually } from './helpers/api.ts';
import { TEST_REDIS_URL, cutRedisConnection } from './helpers/env.ts';

describe('bus over Redis: two nodes', () => {
  let one: Bus;
  let two: Bus;
  before(async () => {
    const prefix = `rinki-bus-${randomBytes(4).toString('hex')}:`;
    one = await openBus(TEST_REDIS_URL, prefix);
    two = await openBus(TEST_REDIS_URL, prefix);
  });
  after(async () => {
    await one.close();
    await two.close();
  });

  it('delivers a message once to the publishing node, before Redis echoes it, and once to the other node', async () => {
    const heardOne: unknown[] = [];
    const heardTwo: unknown[] = [];
    const offOne = one.subscribe('t', (m) => heardOne.push(m));
    const offTwo = two.subscribe('t', (m) => heardTwo.push(m));
    await new Promise((r) => setTimeout(r, 100)); // the SUBSCRIBEs reach Redis
    const sent = one.publish('t', { n: 1 });
    await Promise.resolve();
    expect(heardOne).to.deep.equal([{ n: 1 }]); // local subscribers need no round trip
    await sent;
    await new Promise((r) => setTimeout(r, 100));
    expect(heardOne).to.deep.equal([{ n: 1 }]); // and skip their own echo
    expect(heardTwo).to.deep.equal([{ n: 1 }]);
    offOne();
    offTwo();
  });

  it('tells a node cut off from Redis, once it is back, that messages may have been missed, and goes on delivering', async () => {
    let gaps = 0;
    const offGap = one.onGap(() => gaps++);
    const heard: unknown[] = [];
    const off = one.subscribe('g', (m) => heard.push(m));
    await new Promise((r) => setTimeout(r, 100));
    expect(gaps).to.equal(0);
    await cutRedisConnection(one);
    await eventually(async () => gaps === 1, 'the gap');
    // Subscribed again after the reconnect: the other node's messages arrive.
    await eventually(async () => {
      await two.publish('g', { n: 2 });
      return heard.length > 0;
    }, 'delivery after the reconnect');
    expect(heard[0]).to.deep.equal({ n: 2 });
    expect(gaps).to.equal(1);
    off();
    offGap();
  });

  it('tells the other nodes, once a node\'s publishing connection is back, that what it published may be lost', async () => {
    let gapsOne = 0;
    let gapsTwo = 0;
    const offOne = one.onGap(() => gapsOne++);
    const offTwo = two.onGap(() => gapsTwo++);
    await cutRedisConnection(one, 'publisher');
    await eventually(async () => gapsTwo === 1, 'the other node told of the gap');
    // The node itself missed nothing: its own subscribers hear its messages without Redis.
    expect(gapsOne).to.equal(0);
    const heard: unknown[] = [];
    const off = two.subscribe('p', (m) => heard.push(m));
    await eventually(async () => {
      await one.publish('p', { n: 3 });
      return heard.length > 0;
    }, 'delivery after the reconnect');
    expect(gapsTwo).to.equal(1);
    off();
    offOne();
    offTwo();
  });
});
