// The outbox on both stores: an event written with its change is handled once
// by the committing node's fast path, or by another node when the committing
// one stopped before handling it; a failing subscriber is retried with backoff,
// visible in the log and the outbox_failing view, until it succeeds.
import { expect } from 'chai';
import { pino } from 'pino';
import { STORE_KINDS, testDb } from '../../../tests/helpers/env.ts';
import type { Db } from '../store/db.ts';
import { ManualClock } from '../../../tests/helpers/api.ts';
import { Outbox, type OutboxEvent, type Published } from './outbox.ts';

const T0 = new Date('2026-03-02T08:00:00Z');

for (const kind of STORE_KINDS) {
  describe(`outbox on ${kind}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let clock: ManualClock;
    beforeEach(async () => {
      ({ db, cleanup } = await testDb(kind));
      clock = new ManualClock(T0.getTime());
    });
    afterEach(() => cleanup());

    /** A node's outbox whose 'test.done' subscriber records what it handled, and where. */
    const node = (nodeName: string, handled: { node: string; event: OutboxEvent }[], opts: { failTimes?: number; log?: pino.Logger } = {}) => {
      let failures = opts.failTimes ?? 0;
      return new Outbox({ db, clock, nodeName, ...(opts.log ? { log: opts.log } : {}) }).subscribe({
        event: 'test.done',
        name: 'test.record',
        handle: async (event) => {
          if (failures-- > 0) throw new Error('the room service did not answer');
          handled.push({ node: nodeName, event });
        },
      });
    };
    /** Commits a change together with its event, as a service does. */
    const commitEvent = async (outbox: Outbox, payload: Record<string, unknown>): Promise<Published> => {
      const published: Published = [];
      await db.tx((q) => outbox.publish(q, published, 'test.done', payload));
      return published;
    };
    const row = async (id: number) =>
      (await db.query<{ handled_at: Date | null; handled_by: string | null; attempts: number; last_error: string | null }>('SELECT * FROM outbox WHERE id = $1', [id]))[0];

    it('is handled at once by the node that committed it, and by nobody again', async () => {
      const handled: { node: string; event: OutboxEvent }[] = [];
      const a = node('a', handled);
      const b = node('b', handled);
      const published = await commitEvent(a, { requestId: 'r1' });
      expect(published).to.have.length(1);
      await a.deliver(published);
      expect(handled.map((h) => [h.node, h.event.payload.requestId])).to.deep.equal([['a', 'r1']]);
      clock.advance(3_600_000);
      expect(await b.tick()).to.equal(0);
      expect(await a.tick()).to.equal(0);
      await a.deliver(published);
      expect(handled).to.have.length(1);
      expect(await row(published[0])).to.deep.include({ handled_by: 'a', attempts: 1 });
    });

    it('a node that stops between commit and handling: another node handles the event exactly once, after a short grace', async () => {
      const handled: { node: string; event: OutboxEvent }[] = [];
      const a = node('a', handled);
      // Node a commits and stops before its fast path runs.
      const [id] = await commitEvent(a, { requestId: 'r2' });
      const b = node('b', handled);
      const c = node('c', handled);
      expect(await b.tick()).to.equal(0); // the committing node's fast path goes first
      clock.advance(3_000);
      const [nb, nc] = await Promise.all([b.tick(), c.tick()]);
      expect(nb + nc).to.equal(1);
      expect(handled).to.have.length(1);
      expect(handled[0].event.payload).to.deep.equal({ requestId: 'r2' });
      expect((await row(id)).handled_by).to.equal(handled[0].node);
      expect(await b.tick()).to.equal(0);
      expect(await c.tick()).to.equal(0);
      expect(handled).to.have.length(1);
    });

    it('a node that dies while handling lets go when its lease runs out; another node handles the event', async () => {
      const handled: { node: string; event: OutboxEvent }[] = [];
      let started!: () => void;
      const handlerStarted = new Promise<void>((resolve) => (started = resolve));
      // Never finishes: the node died mid-handler.
      const a = new Outbox({ db, clock, nodeName: 'a' }).subscribe({ event: 'test.done', name: 'test.record', handle: () => (started(), new Promise<void>(() => undefined)) });
      const [id] = await commitEvent(a, { requestId: 'r3' });
      void a.deliver([id]);
      await handlerStarted;
      const b = node('b', handled);
      clock.advance(30_000);
      expect(await b.tick()).to.equal(0); // still a's
      clock.advance(60_000);
      expect(await b.tick()).to.equal(1);
      expect(handled.map((h) => [h.node, h.event.attempt])).to.deep.equal([['b', 2]]);
      expect(await row(id)).to.deep.include({ handled_by: 'b' });
    });

    it('a subscriber that fails is retried with backoff until it succeeds; each failure is logged and shown in outbox_failing', async () => {
      const lines: Record<string, unknown>[] = [];
      const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const handled: { node: string; event: OutboxEvent }[] = [];
      const a = node('a', handled, { failTimes: 2, log });
      const [id] = await commitEvent(a, { requestId: 'r4' });
      await a.deliver([id]);
      expect(handled).to.deep.equal([]);
      const failing = await db.query<{ id: number; subscriber: string; attempts: number; last_error: string }>('SELECT * FROM outbox_failing');
      expect(failing.map((f) => [Number(f.id), f.subscriber, f.attempts, f.last_error])).to.deep.equal([[id, 'test.record', 1, 'the room service did not answer']]);
      // Not before its backoff (2 s after the first failure, 4 s after the second).
      clock.advance(1_999);
      expect(await a.tick()).to.equal(0);
      clock.advance(1);
      expect(await a.tick()).to.equal(0); // the second attempt fails too
      clock.advance(3_999);
      expect(await a.tick()).to.equal(0);
      clock.advance(1);
      expect(await a.tick()).to.equal(1);
      expect(handled.map((h) => h.event.attempt)).to.deep.equal([3]);
      expect(await row(id)).to.deep.include({ handled_by: 'a', attempts: 3 });
      expect(await db.query('SELECT * FROM outbox_failing')).to.deep.equal([]);
      const warnings = lines.filter((l) => l.msg === 'outbox subscriber failed; will retry');
      expect(warnings.map((w) => [w.outboxId, w.event, w.subscriber, w.attempts])).to.deep.equal([
        [id, 'test.done', 'test.record', 1],
        [id, 'test.done', 'test.record', 2],
      ]);
    });

    it('writes nothing when the change rolls back', async () => {
      const a = node('a', []);
      const published: Published = [];
      await db
        .tx(async (q) => {
          await a.publish(q, published, 'test.done', { requestId: 'r5' });
          throw new Error('the change was refused');
        })
        .catch(() => undefined);
      expect(await db.query('SELECT * FROM outbox')).to.deep.equal([]);
    });
  });
}
