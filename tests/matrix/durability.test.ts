// What the server keeps: never a message's text (a canary sent through real
// clients appears in no table and no log line), and everything it must keep
// survives a restart (history, sync tokens, pending to-device messages).
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import { pino } from 'pino';
import type { MatrixClient } from 'matrix-js-sdk';
import { parseConfig } from '../../server/src/config.ts';
import { startRinki, type Rinki } from '../../server/src/rinki.ts';
import type { Db } from '../../server/src/store/db.ts';
import { STORE_KINDS, startTestRinki, tempDir, type TestRinki } from '../helpers/env.ts';
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
  stopAll,
  waitForBodies,
} from '../helpers/matrix.ts';

const C = '/_matrix/client/v3';

/** Every row of every table in the public schema, as text. */
async function dumpDatabase(db: Db): Promise<string> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  expect(tables.map((t) => t.table_name)).to.include('matrix_events');
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

for (const store of STORE_KINDS) {
  describe(`Matrix: no message text on the server (${store})`, function () {
    this.timeout(120_000);
    let rinki: TestRinki;
    const logs = memoryLogger();
    let a: MatrixClient | undefined;
    let b: MatrixClient | undefined;

    before(async () => {
      requireNode22();
      rinki = await startTestRinki({ store, log: logs.log });
      await seedMatrixPeople(rinki.deps.db);
    });
    after(async () => {
      stopAll(a, b);
      await rinki?.cleanup();
    });

    it('a canary sent in messages appears in no table and no log line', async () => {
      const canary = `CANARY-${randomBytes(8).toString('hex')}`;
      a = await loginClient(rinki.url, 'anna');
      b = await loginClient(rinki.url, 'antti');
      const roomId = await createConference(a, [b.getUserId()!]);
      await joinWhenInvited(b, roomId, [a]);
      await sendText(a, roomId, `first ${canary}`);
      await sendText(b, roomId, `reply ${canary}`);
      await waitForBodies(b, roomId, [`first ${canary}`]);
      await waitForBodies(a, roomId, [`reply ${canary}`]);

      const dump = await dumpDatabase(rinki.deps.db);
      expect(dump).to.include('m.room.encrypted');
      expect(dump).to.not.include(canary);
      const logText = logs.text();
      expect(logText).to.include('/_matrix/client/v3/sync');
      expect(logText).to.not.include(canary);
    });
  });
}

describe('Matrix: a restart loses nothing (PGlite, same data directory)', function () {
  this.timeout(120_000);
  const dataDir = tempDir();
  let rinki: Rinki | undefined;
  let a: MatrixClient | undefined;
  let b: MatrixClient | undefined;

  const start = (port: number) =>
    // The server name is fixed: with PORT=0 it would otherwise follow the (changing) port.
    startRinki(
      parseConfig({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DEMO_DATA: 'false', MATRIX_SERVER_NAME: 'rinki.test' }),
    );

  before(() => requireNode22());
  after(async () => {
    stopAll(a, b);
    await rinki?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps history, sync tokens and pending to-device messages; clients carry on', async () => {
    rinki = await start(0);
    const port = Number(new URL(rinki.url).port);
    await seedMatrixPeople(rinki.deps.db);
    a = await loginClient(rinki.url, 'anna');
    b = await loginClient(rinki.url, 'antti');
    const roomId = await createConference(a, [b.getUserId()!]);
    await joinWhenInvited(b, roomId, [a]);
    await sendText(a, roomId, 'before restart');
    await waitForBodies(b, roomId, ['before restart']);

    // A raw device with a to-device message waiting, not yet acknowledged.
    const sender = await passwordLogin(rinki.url, 'anna');
    const receiver = await passwordLogin(rinki.url, 'antti');
    const since = (await mx(rinki.url, 'GET', `${C}/sync?timeout=0`, receiver.access_token)).body.next_batch as string;
    const toDevice = { messages: { [receiver.user_id]: { [receiver.device_id]: { algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: {} } } } };
    expect((await mx(rinki.url, 'PUT', `${C}/sendToDevice/m.room.encrypted/restart-1`, sender.access_token, toDevice)).status).to.equal(200);
    const delivered = await mx(rinki.url, 'GET', `${C}/sync?timeout=0&since=${since}`, receiver.access_token);
    expect((delivered.body.to_device as { events: unknown[] }).events).to.have.length(1);

    await rinki.close();
    rinki = await start(port);

    // Not acknowledged before the restart: delivered again; a replayed transaction adds nothing.
    expect((await mx(rinki.url, 'PUT', `${C}/sendToDevice/m.room.encrypted/restart-1`, sender.access_token, toDevice)).status).to.equal(200);
    const again = await mx(rinki.url, 'GET', `${C}/sync?timeout=0&since=${since}`, receiver.access_token);
    expect((again.body.to_device as { events: unknown[] }).events).to.have.length(1);
    const after = await mx(rinki.url, 'GET', `${C}/sync?timeout=0&since=${again.body.next_batch}`, receiver.access_token);
    expect((after.body.to_device as { events: unknown[] }).events).to.have.length(0);

    await sendText(a, roomId, 'after restart');
    await waitForBodies(b, roomId, ['before restart', 'after restart']);
    await sendText(b, roomId, 'reply after restart');
    await waitForBodies(a, roomId, ['reply after restart']);
    // Each message exactly once: nothing replayed by the resumed sync.
    expect(decryptedBodies(b, roomId)).to.deep.equal(['before restart', 'after restart', 'reply after restart']);
    expect(decryptedBodies(a, roomId)).to.deep.equal(['before restart', 'after restart', 'reply after restart']);

    // History is still there for a device that signs in now (as ciphertext).
    const history = await mx(rinki.url, 'GET', `${C}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`, receiver.access_token);
    expect((history.body.chunk as { type: string }[]).filter((e) => e.type === 'm.room.encrypted')).to.have.length(3);
  });
});
