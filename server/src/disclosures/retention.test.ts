// Retention on both engines: a purge removes a whole prefix ending at a signed
// checkpoint of entries older than the period (by the database's clock, never
// below the minimum), the rest still verifies from it; deleting without the
// purge is refused, and a prefix cut anywhere but at a checkpoint is detected.
import { expect } from 'chai';
import { STORE_KINDS, testDb } from '../../../tests/helpers/env.ts';
import { sodium } from '../crypto/sodium.ts';
import type { Db } from '../store/db.ts';
import { verifyDatabaseLog } from './export.ts';
import { purgeLog } from './retention.ts';
import { appendAuditEntries, type CheckpointSigner } from './store.ts';

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
      // 35 entries, one a day, the 30th 730.5 days old: checkpoints at 10, 20 and 30.
      const t0 = Date.now() - 760.5 * DAY;
      signer = { secretKey: kp.privateKey, every: 10, seconds: 3600, now: () => new Date(t0) };
      for (let n = 1; n <= 35; n++) await appendAuditEntries(db, 'access', [{ entry: { type: 'client_access', n }, at: new Date(t0 + n * DAY) }], signer);
    });
    afterEach(() => cleanup());

    it('purges up to the newest signed checkpoint older than the cut-off; the rest verifies from it', async () => {
      // 740 days: entries 1-20 are older.
      expect(await purgeLog(db, 'access', 740)).to.deep.equal({ log: 'access', purgedThrough: 20, entries: 20 });
      const v = await verifyDatabaseLog(db, 'access', publicKey);
      expect(v.ok, JSON.stringify(v)).to.equal(true);
      if (v.ok) expect({ firstSeq: v.firstSeq, lastSeq: v.lastSeq, entries: v.entries }).to.deep.equal({ firstSeq: 21, lastSeq: 35, entries: 15 });
      // Nothing old enough up to a checkpoint: nothing goes.
      expect(await purgeLog(db, 'access', 800)).to.deep.equal({ log: 'access', entries: 0 });
      // 730 days: entries 21-30 now, up to the checkpoint at 30.
      expect(await purgeLog(db, 'access', 730)).to.deep.equal({ log: 'access', purgedThrough: 30, entries: 10 });
      expect(await verifyDatabaseLog(db, 'access', publicKey)).to.include({ ok: true, firstSeq: 31, entries: 5 });
    });

    it('refuses a period shorter than the minimum retention, and an unknown log, purging nothing', async () => {
      const message = (p: Promise<unknown>) => p.then(() => 'accepted', (e: Error) => e.message);
      expect(await message(purgeLog(db, 'access', 729))).to.match(/logs are kept at least 730 days; 729 refused/);
      expect(await message(purgeLog(db, 'other' as 'access', 800))).to.match(/no log other/);
      expect(await db.query("SELECT 1 FROM audit_log_entries WHERE log = 'access'")).to.have.length(35);
    });

    // With one role, that role owns the tables and could set the purge flag itself (README): the chain still tells.
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
