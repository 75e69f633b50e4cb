// Retention on both engines: a purge removes a whole prefix ending at a signed
// checkpoint, the rest still verifies from it; deleting without the purge is
// refused, and a prefix cut anywhere but at a checkpoint is detected.
import { expect } from 'chai';
import { STORE_KINDS, testDb } from '../../../tests/helpers/env.ts';
import { sodium } from '../crypto/sodium.ts';
import type { Db } from '../store/db.ts';
import { verifyDatabaseLog } from './export.ts';
import { purgeLog } from './retention.ts';
import { appendAuditEntries, type CheckpointSigner } from './store.ts';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const DAY = 86_400_000;

for (const kind of STORE_KINDS) {
  describe(`audit log retention (${kind})`, function () {
    let db: Db;
    let cleanup: () => Promise<void>;
    let publicKey: Uint8Array;
    let signer: CheckpointSigner;

    beforeEach(async () => {
      ({ db, cleanup } = await testDb(kind));
      const kp = (await sodium()).crypto_sign_keypair();
      publicKey = kp.publicKey;
      signer = { secretKey: kp.privateKey, every: 10, seconds: 3600, now: () => new Date(T0) };
      // 35 entries, one a day: checkpoints at 10, 20 and 30.
      for (let n = 1; n <= 35; n++) await appendAuditEntries(db, 'access', [{ entry: { type: 'client_access', n }, at: new Date(T0 + n * DAY) }], signer);
    });
    afterEach(() => cleanup());

    it('purges up to the newest signed checkpoint older than the cut-off; the rest verifies from it', async () => {
      const r = await purgeLog(db, 'access', new Date(T0 + 25 * DAY));
      expect(r).to.deep.equal({ log: 'access', purgedThrough: 20, entries: 20 });
      const v = await verifyDatabaseLog(db, 'access', publicKey);
      expect(v.ok, JSON.stringify(v)).to.equal(true);
      if (v.ok) expect({ firstSeq: v.firstSeq, lastSeq: v.lastSeq, entries: v.entries }).to.deep.equal({ firstSeq: 21, lastSeq: 35, entries: 15 });
      // Nothing old enough up to a checkpoint: nothing goes.
      expect(await purgeLog(db, 'access', new Date(T0 + 5 * DAY))).to.deep.equal({ log: 'access', entries: 0 });
    });

    it('refuses a delete without the purge, and detects a prefix cut anywhere but at a checkpoint', async () => {
      let refused: unknown;
      try {
        await db.query(`DELETE FROM audit_log_entries WHERE log = 'access' AND seq <= 5`);
      } catch (err) {
        refused = err;
      }
      expect(String(refused)).to.match(/append-only/);
      await db.tx(async (q) => {
        await q.query(`SELECT set_config('rinki.audit_purge', 'on', true)`);
        await q.query(`DELETE FROM audit_log_entries WHERE log = 'access' AND seq <= 15`);
      });
      const v = await verifyDatabaseLog(db, 'access', publicKey);
      expect(v.ok).to.equal(false);
      if (!v.ok) expect(v.firstBad.reason).to.match(/missing/);
    });
  });
}
