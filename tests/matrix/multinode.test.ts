// Two Rinki nodes on one PostgreSQL and one Redis: A's client on node 1, B's on
// node 2. Data always comes from the database; Redis carries the wake-ups.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { MatrixClient } from 'matrix-js-sdk';
import { parseConfig } from '../../server/src/config.ts';
import { startRinki, type Rinki } from '../../server/src/rinki.ts';
import { TEST_REDIS_URL, cutRedisConnection, freshPgDatabase, tempDir } from '../helpers/env.ts';
import { nextPos } from '../../server/src/matrix/stream.ts';
import { MX_PEOPLE, createConference, joinWhenInvited, loginClient, mx, passwordLogin, requireNode22, seedMatrixPeople, sendText, stopAll, waitForBodies } from '../helpers/matrix.ts';

const C = '/_matrix/client/v3';

describe('Matrix across two nodes (PostgreSQL + Redis)', function () {
  this.timeout(120_000);
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  const nodes: Rinki[] = [];
  const dirs: string[] = [];
  let a: MatrixClient | undefined;
  let b: MatrixClient | undefined;

  before(async () => {
    requireNode22();
    db = await freshPgDatabase();
    const prefix = `rinki-t-${randomBytes(4).toString('hex')}:`;
    for (const name of ['node-1', 'node-2']) {
      const dir = tempDir();
      dirs.push(dir);
      nodes.push(
        await startRinki(
          parseConfig({
            PORT: '0',
            DATA_DIR: dir,
            DATABASE_URL: db.url,
            REDIS_URL: TEST_REDIS_URL,
            REDIS_PREFIX: prefix,
            NODE_NAME: name,
            MATRIX_SERVER_NAME: 'rinki.test',
            LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
            DEMO_DATA: 'false',
          }),
        ),
      );
    }
    await seedMatrixPeople(nodes[0].deps.db);
  });
  after(async () => {
    stopAll(a, b);
    for (const n of nodes) await n.close();
    await db?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('A on node 1 and B on node 2 exchange encrypted messages', async () => {
    a = await loginClient(nodes[0].url, 'anna');
    b = await loginClient(nodes[1].url, 'antti');
    const roomId = await createConference(a, [b.getUserId()!]);
    await joinWhenInvited(b, roomId, [a]);
    await sendText(a, roomId, 'from node 1');
    await waitForBodies(b, roomId, ['from node 1']);
    await sendText(b, roomId, 'from node 2');
    await waitForBodies(a, roomId, ['from node 2']);
  });

  it('wakes a long-poll on node 2 through Redis when node 1 stores something for that person', async () => {
    const anna = await passwordLogin(nodes[0].url, 'anna');
    const antti = await passwordLogin(nodes[1].url, 'antti');
    // To-device messages go to people one shares a room with.
    const room = (await mx(nodes[0].url, 'POST', `${C}/createRoom`, anna.access_token, { invite: [antti.user_id] })).body.room_id as string;
    expect((await mx(nodes[1].url, 'POST', `${C}/join/${encodeURIComponent(room)}`, antti.access_token, {})).status).to.equal(200);
    const woken = new Promise<unknown>((resolve) => {
      const off = nodes[1].deps.bus.subscribe('matrix:wake', (m) => {
        if ((m as { users: string[] }).users.includes(MX_PEOPLE.antti)) {
          off();
          resolve(m);
        }
      });
    });
    const since = (await mx(nodes[1].url, 'GET', `${C}/sync?timeout=0`, antti.access_token)).body.next_batch as string;
    const waiting = mx(nodes[1].url, 'GET', `${C}/sync?timeout=30000&since=${since}`, antti.access_token);
    const msg = { messages: { [antti.user_id]: { [antti.device_id]: { algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: {} } } } };
    expect((await mx(nodes[0].url, 'PUT', `${C}/sendToDevice/m.room.encrypted/mn-1`, anna.access_token, msg)).status).to.equal(200);
    await woken;
    const r = await waiting;
    expect((r.body.to_device as { events: { sender: string }[] }).events.map((e) => e.sender)).to.deep.equal([anna.user_id]);
  });

  it('a token signed out on node 1 is refused on node 2 at once, though node 2 had just accepted it', async () => {
    const s = await passwordLogin(nodes[0].url, 'arto');
    // Both nodes have looked the token up (and keep the answer for a few seconds).
    expect((await mx(nodes[0].url, 'GET', `${C}/account/whoami`, s.access_token)).status).to.equal(200);
    expect((await mx(nodes[1].url, 'GET', `${C}/account/whoami`, s.access_token)).status).to.equal(200);
    const heard = new Promise<void>((resolve) => {
      const off = nodes[1].deps.bus.subscribe('auth:access-revoked', () => {
        off();
        resolve();
      });
    });
    expect((await mx(nodes[0].url, 'POST', `${C}/logout`, s.access_token, {})).status).to.equal(200);
    expect((await mx(nodes[0].url, 'GET', `${C}/account/whoami`, s.access_token)).body.errcode).to.equal('M_UNKNOWN_TOKEN');
    await heard;
    const after = await mx(nodes[1].url, 'GET', `${C}/account/whoami`, s.access_token);
    expect(after.status).to.equal(401);
    expect(after.body.errcode).to.equal('M_UNKNOWN_TOKEN');
  });

  it('a long-poll waiting on a node that was cut off from Redis looks in the database once the node is back', async () => {
    const antti = await passwordLogin(nodes[1].url, 'antti');
    const since = (await mx(nodes[1].url, 'GET', `${C}/sync?timeout=0`, antti.access_token)).body.next_batch as string;
    let answeredAt = 0;
    // A timeout of 25 s: without a look on reconnecting, the message would come only with the last look at its end.
    const waiting = mx(nodes[1].url, 'GET', `${C}/sync?timeout=25000&since=${since}`, antti.access_token).then((r) => {
      answeredAt = Date.now();
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    // A to-device message stored while its wake-up was lost (here: never sent).
    await nodes[0].deps.db.tx(async (q) => {
      const pos = await nextPos(q);
      await q.query(`INSERT INTO matrix_to_device (stream_pos, staff_id, device_id, sender, type, content) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`, [
        pos,
        MX_PEOPLE.antti,
        antti.device_id,
        '@anna:rinki.test',
        'm.room.encrypted',
        JSON.stringify({ algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: {} }),
      ]);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(answeredAt).to.equal(0);
    const cutAt = Date.now();
    await cutRedisConnection(nodes[1].deps.bus);
    const r = await waiting;
    expect((r.body.to_device as { events: { sender: string }[] }).events.map((e) => e.sender)).to.deep.equal(['@anna:rinki.test']);
    expect(answeredAt - cutAt, 'answered on the reconnect, not at its timeout').to.be.below(10_000);
  });
});
