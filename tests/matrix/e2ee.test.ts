// Real matrix-js-sdk clients (Rust crypto) talk through Rinki: conferences are
// encrypted end to end, a late joiner reads only what came after their join.
import { expect } from 'chai';
import type { MatrixClient } from 'matrix-js-sdk';
import { startTestRinki, type TestRinki } from '../helpers/env.ts';
import {
  createConference,
  decryptedBodies,
  joinWhenInvited,
  loginClient,
  mx,
  passwordLogin,
  requireNode22,
  seedMatrixPeople,
  sendText,
  startClient,
  stopAll,
  waitForBodies,
  waitJoined,
} from '../helpers/matrix.ts';

describe('Matrix: end-to-end encrypted conferences', function () {
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

  const track = (c: MatrixClient) => (clients.push(c), c);

  it('runs on Node 22 or later, as matrix-js-sdk 43 requires', () => {
    console.log(`      (Node ${process.version})`);
    expect(Number(process.versions.node.split('.')[0])).to.be.at.least(22);
  });

  it('A and B exchange encrypted messages both ways; B\'s second device decrypts them too', async () => {
    const a = track(await loginClient(rinki.url, 'anna'));
    const b = track(await loginClient(rinki.url, 'antti'));
    const b2 = track(await loginClient(rinki.url, 'antti'));
    const roomId = await createConference(a, [b.getUserId()!]);
    await joinWhenInvited(b, roomId, [a]);
    await waitJoined(b2, roomId);

    await sendText(a, roomId, 'hello from A');
    await waitForBodies(b, roomId, ['hello from A']);
    await sendText(b, roomId, 'hello from B');
    await waitForBodies(a, roomId, ['hello from B']);
    await waitForBodies(b2, roomId, ['hello from A', 'hello from B']);

    // On the wire and in storage the server saw only ciphertext.
    const types = (await rinki.deps.db.query<{ type: string }>(`SELECT DISTINCT type FROM matrix_events WHERE state_key IS NULL`)).map((r) => r.type);
    expect(types).to.deep.equal(['m.room.encrypted']);
  });

  it('C invited after three messages decrypts everything after joining and nothing before', async () => {
    const a = track(await loginClient(rinki.url, 'anna'));
    const b = track(await loginClient(rinki.url, 'antti'));
    const roomId = await createConference(a, [b.getUserId()!]);
    await joinWhenInvited(b, roomId, [a]);
    const early = ['early 1', 'early 2', 'early 3'];
    for (const m of early) await sendText(a, roomId, m);
    await waitForBodies(b, roomId, early);

    const cSession = await passwordLogin(rinki.url, 'arto');
    const c = track(await startClient(rinki.url, cSession));
    await a.invite(roomId, c.getUserId()!);
    await joinWhenInvited(c, roomId, [a, b]);
    await sendText(a, roomId, 'late from A');
    await sendText(b, roomId, 'late from B');
    await waitForBodies(c, roomId, ['late from A', 'late from B']);
    expect(decryptedBodies(c, roomId)).to.not.include.members(early);

    // The server does not even hand C the earlier ciphertext.
    const history = await mx(rinki.url, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`, cSession.access_token);
    expect(history.status).to.equal(200);
    const encrypted = (history.body.chunk as { type: string }[]).filter((e) => e.type === 'm.room.encrypted');
    expect(encrypted).to.have.length(2);
  });
});
