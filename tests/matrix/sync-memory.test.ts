// A waiting /sync that continues this node's last answer is answered from the
// message batches the node heard, without a database look; anything it cannot
// account for (another kind of write, changed key counts) sends it to the
// database, and nothing is lost or repeated either way.
import { expect } from 'chai';
import { STORE_KINDS, startTestRinki, type TestRinki } from '../helpers/env.ts';
import { mx, passwordLogin, seedMatrixPeople, type Session } from '../helpers/matrix.ts';
import { hashTokenHex } from '../../server/src/crypto/sodium.ts';
import { type Caller, createMatrixContext } from '../../server/src/matrix/context.ts';
import { sync } from '../../server/src/matrix/sync.ts';

const C = '/_matrix/client/v3';
const enc = encodeURIComponent;
const ciphertext = (n: number) => ({ algorithm: 'm.megolm.v1.aes-sha2', ciphertext: `AwgAEnB${n}`, device_id: 'X', sender_key: 'k', session_id: 's' });

interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: { type: string; content: { ciphertext: string } }[] } }> };
  device_one_time_keys_count?: Record<string, number>;
}

for (const store of STORE_KINDS)
  describe(`Matrix /sync from memory (${store})`, function () {
    this.timeout(60_000);
    let rinki: TestRinki;
    let anna: Session;
    let antti: Session;
    let bertta: Session;
    let roomId: string;
    let txn = 0;
    /** Reads of the stream head: every database look of /sync makes one. */
    let streamReads = 0;
    const call = (method: string, path: string, s: Session, body?: unknown) => mx(rinki.url, method, path, s.access_token, body);
    const send = async (n: number) => expect((await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/m${txn++}`, anna, ciphertext(n))).status).to.equal(200);
    const poll = async (since: string) => (await call('GET', `${C}/sync?timeout=20000&since=${since}`, antti)).body as unknown as SyncBody;
    const texts = (b: SyncBody) => (b.rooms?.join?.[roomId]?.timeline.events ?? []).map((e) => e.content.ciphertext);
    const settle = () => new Promise((r) => setTimeout(r, 200));

    before(async () => {
      rinki = await startTestRinki({ store });
      await seedMatrixPeople(rinki.deps.db);
      const query = rinki.deps.db.query.bind(rinki.deps.db);
      rinki.deps.db.query = ((sql: string, params?: unknown[]) => {
        if (/SELECT pos FROM matrix_stream_head/.test(sql)) streamReads++;
        return query(sql, params);
      }) as typeof rinki.deps.db.query;
      anna = await passwordLogin(rinki.url, 'anna');
      antti = await passwordLogin(rinki.url, 'antti');
      bertta = await passwordLogin(rinki.url, 'bertta');
      roomId = (await call('POST', `${C}/createRoom`, anna, { invite: [antti.user_id] })).body.room_id as string;
      expect((await call('POST', `${C}/join/${enc(roomId)}`, antti, {})).status).to.equal(200);
    });
    after(async () => rinki?.cleanup());

    it('answers a continuing long-poll with the new messages and the device\'s key counts, without reading the stream', async () => {
      await call('POST', `${C}/keys/upload`, antti, { one_time_keys: { 'signed_curve25519:K1': { key: 'a' }, 'signed_curve25519:K2': { key: 'b' } } });
      const first = (await call('GET', `${C}/sync?timeout=0`, antti)).body as unknown as SyncBody;
      expect(first.device_one_time_keys_count).to.deep.equal({ signed_curve25519: 2 });
      // The first long-poll after an answer read from the database continues it.
      const waiting = poll(first.next_batch);
      await settle();
      const before = streamReads;
      await send(1);
      const r1 = await waiting;
      expect(texts(r1)).to.deep.equal(['AwgAEnB1']);
      expect(r1.device_one_time_keys_count).to.deep.equal({ signed_curve25519: 2 });
      // Two messages stored while nobody waits arrive together on the next poll.
      await send(2);
      await send(3);
      await settle();
      const r2 = await poll(r1.next_batch);
      expect(texts(r2)).to.deep.equal(['AwgAEnB2', 'AwgAEnB3']);
      expect(streamReads - before).to.equal(0);
    });

    it('sends the poll to the database across a position it cannot account for, losing nothing', async () => {
      const start = ((await call('GET', `${C}/sync?timeout=0`, antti)).body as unknown as SyncBody).next_batch;
      const r0 = poll(start);
      await settle();
      await send(10);
      const after10 = await r0;
      expect(texts(after10)).to.deep.equal(['AwgAEnB10']);
      // Someone else's write (Bertta's account data) takes the next position, then a message follows.
      expect((await call('PUT', `${C}/user/${enc(bertta.user_id)}/account_data/fi.rinki.test`, bertta, { x: 1 })).status).to.equal(200);
      await send(11);
      await settle();
      const before = streamReads;
      const r1 = await poll(after10.next_batch);
      expect(texts(r1)).to.deep.equal(['AwgAEnB11']);
      expect(streamReads - before).to.be.above(0);
      // And the stream carries on from there, from memory again.
      const waiting = poll(r1.next_batch);
      await settle();
      await send(12);
      expect(texts(await waiting)).to.deep.equal(['AwgAEnB12']);
    });

    it('reads the key counts again after someone claims one of the device\'s keys', async () => {
      const start = ((await call('GET', `${C}/sync?timeout=0`, antti)).body as unknown as SyncBody);
      const counted = start.device_one_time_keys_count!.signed_curve25519;
      expect(counted).to.be.above(0);
      const waiting = poll(start.next_batch);
      await settle();
      const claim = await call('POST', `${C}/keys/claim`, anna, { one_time_keys: { [antti.user_id]: { [antti.device_id]: 'signed_curve25519' } } });
      expect(Object.keys((claim.body.one_time_keys as Record<string, object>)[antti.user_id])).to.have.length(1);
      await settle();
      await send(20);
      const r = await waiting;
      expect(texts(r)).to.deep.equal(['AwgAEnB20']);
      expect(r.device_one_time_keys_count).to.deep.equal({ signed_curve25519: counted - 1 });
    });

    it('answers a client that went away before its long-poll began at once, without a look', async () => {
      const ctx = createMatrixContext(rinki.deps);
      try {
        const caller = (await ctx.tokens.caller(await hashTokenHex(antti.access_token))) as Caller;
        // Its connection closed while the request was read or the token looked up: 'close' has come and gone.
        const gone = {
          closed: true,
          writableFinished: false,
          on: () => expect.fail('a closed connection is not listened to'),
        };
        const before = streamReads;
        const answer = await sync(ctx, caller, { since: 5, fullState: false, timelineLimit: 10, includeLeave: false, timeoutMs: 20_000 }, gone);
        expect(answer).to.have.property('next_batch');
        expect(streamReads).to.equal(before);
      } finally {
        ctx.close();
      }
    });
  });
