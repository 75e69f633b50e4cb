import { expect } from 'chai';
import { freshPgDatabase, STORE_KINDS, tempDir, testDb } from '../../../tests/helpers/env.ts';
import { sodium, toHex } from '../crypto/sodium.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import { entryHashSync } from './chain.ts';
import { exportLog, parseExport, verifyDatabaseLog } from './export.ts';
import { appendAuditEntries, appendAuditEntry, checkpointIfDue, readCheckpoints, startCheckpointTimer, type CheckpointSigner } from './store.ts';
import { verifyChain } from './chain.ts';

async function signingKeys() {
  const kp = (await sodium()).crypto_sign_keypair();
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const item = (n: number) => ({ entry: { type: 'client_access', actorId: 'staff-1', clientId: `client-${n}`, purpose: 'hakemuksen käsittely', n }, at: new Date(T0 + n * 1000) });

// Tampering needs the triggers out of the way, as a superuser could do.
async function tamper(db: Db, sql: string, params: unknown[] = []): Promise<void> {
  await db.exec('ALTER TABLE audit_log_entries DISABLE TRIGGER USER; ALTER TABLE audit_log_checkpoints DISABLE TRIGGER USER');
  try {
    await db.query(sql, params);
  } finally {
    await db.exec('ALTER TABLE audit_log_entries ENABLE TRIGGER USER; ALTER TABLE audit_log_checkpoints ENABLE TRIGGER USER');
  }
}

for (const kind of STORE_KINDS) {
  describe(`audit log store (${kind})`, function () {
    let db: Db;
    let cleanup: () => Promise<void>;
    let keys: { publicKey: Uint8Array; secretKey: Uint8Array };
    let signer: CheckpointSigner;

    beforeEach(async () => {
      ({ db, cleanup } = await testDb(kind));
      keys = await signingKeys();
      signer = { secretKey: keys.secretKey, every: 10, seconds: 3600, now: () => new Date(T0) };
    });
    afterEach(() => cleanup());

    async function fill(n: number) {
      for (let i = 1; i <= Math.min(n, 5); i++) await appendAuditEntry(db, 'access', item(i).entry, item(i).at, signer);
      if (n > 5) await appendAuditEntries(db, 'access', Array.from({ length: n - 5 }, (_, i) => item(i + 6)), signer);
    }

    it('appends one chain per log, checkpoints every N entries, and verifies', async () => {
      await fill(25);
      const other = await appendAuditEntry(db, 'disclosure', { type: 'disclosure', n: 1 }, new Date(T0), signer);
      expect(other).to.include({ firstSeq: 1, lastSeq: 1 });
      expect((await readCheckpoints(db, 'access')).map((c) => c.seq)).to.deep.equal([10, 20]);
      const r = await verifyDatabaseLog(db, 'access', keys.publicKey);
      expect(r).to.include({ ok: true, entries: 25, checkpoints: 2, lastSeq: 25, unsignedTail: 5 });
      expect(await verifyDatabaseLog(db, 'disclosure', keys.publicKey)).to.include({ ok: true, entries: 1 });
      // a stored entry is the canonical entry, and its hash follows the documented encoding
      const [row] = await db.query<{ entry: unknown; prev_hash: Uint8Array; hash: Uint8Array }>(
        "SELECT entry_text::jsonb AS entry, prev_hash, hash FROM audit_log_entries WHERE log = 'access' AND seq = 3",
      );
      expect(row.entry).to.deep.equal(item(3).entry);
      expect(toHex(entryHashSync(await sodium(), new Uint8Array(row.prev_hash), 3, item(3).at, item(3).entry))).to.equal(toHex(new Uint8Array(row.hash)));
    });

    it('verifies a chain whose older entries were stored as jsonb, before entries kept their hashed text', async () => {
      // Entries 1-3 as they were written before migration 0019: jsonb, no entry_text.
      const s = await sodium();
      let prev: Uint8Array = new Uint8Array(32);
      for (let n = 1; n <= 3; n++) {
        const hash = entryHashSync(s, prev, n, item(n).at, item(n).entry);
        await db.query('INSERT INTO audit_log_entries (log, seq, at, entry, prev_hash, hash) VALUES ($1, $2, $3, $4::jsonb, $5, $6)', [
          'access', n, item(n).at, JSON.stringify(item(n).entry), Buffer.from(prev), Buffer.from(hash),
        ]);
        prev = hash;
      }
      await db.query("UPDATE audit_log_heads SET seq = 3, hash = $1 WHERE log = 'access'", [Buffer.from(prev)]);
      await appendAuditEntries(db, 'access', [item(4), item(5)], signer);
      const r = await verifyDatabaseLog(db, 'access', keys.publicKey);
      expect(r).to.include({ ok: true, entries: 5 });
      const exported = parseExport(await exportLog(db, 'access', keys.publicKey));
      expect(exported.entries.map((e) => (e.entry as { n: number }).n)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(await verifyChain(exported.entries, exported.checkpoints, keys.publicKey)).to.include({ ok: true, entries: 5 });
    });

    it('signs a checkpoint when T seconds have passed, and on demand', async () => {
      // the head's timer started when the migration created it, just now
      let now = Date.now();
      const timed = { ...signer, every: 1000, seconds: 60, now: () => new Date(now) };
      await appendAuditEntries(db, 'access', [item(1), item(2)], timed);
      expect(await readCheckpoints(db, 'access')).to.have.length(0);
      now += 61_000;
      await appendAuditEntry(db, 'access', item(3).entry, item(3).at, timed);
      expect((await readCheckpoints(db, 'access')).map((c) => c.seq)).to.deep.equal([3]);
      now += 1000;
      await appendAuditEntry(db, 'access', item(4).entry, item(4).at, timed);
      expect(await checkpointIfDue(db, 'access', timed)).to.equal(undefined);
      expect(await checkpointIfDue(db, 'access', timed, { force: true })).to.equal(4);
      expect(await checkpointIfDue(db, 'access', timed, { force: true })).to.equal(undefined);
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.include({ ok: true, checkpoints: 2, unsignedTail: 0 });
    });

    it('writes concurrent appends through one Db together, each told its own seqs and hash', async () => {
      const calls = Array.from({ length: 40 }, (_, i) =>
        i % 4 === 0
          ? appendAuditEntries(db, 'access', [item(i * 10), item(i * 10 + 1), item(i * 10 + 2)], signer)
          : appendAuditEntry(db, 'access', item(i * 10).entry, item(i * 10).at, signer),
      );
      const results = await Promise.all(calls);
      const seqs = results.flatMap((r) => Array.from({ length: r.lastSeq - r.firstSeq + 1 }, (_, k) => r.firstSeq + k)).sort((x, y) => x - y);
      expect(seqs).to.deep.equal(Array.from({ length: 60 }, (_, k) => k + 1));
      const stored = new Map(
        (await db.query<{ seq: number; hash: Uint8Array }>("SELECT seq, hash FROM audit_log_entries WHERE log = 'access'")).map((r) => [Number(r.seq), toHex(new Uint8Array(r.hash))]),
      );
      for (const r of results) expect(toHex(r.hash)).to.equal(stored.get(r.lastSeq));
      expect(results.flatMap((r) => r.checkpoints).sort((x, y) => x - y)).to.deep.equal([10, 20, 30, 40, 50, 60]);
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.include({ ok: true, entries: 60 });
      // a bad entry is refused before anything is written
      let err: Error | undefined;
      await appendAuditEntry(db, 'access', { n: NaN }, new Date(T0), signer).catch((e: Error) => (err = e));
      expect(err?.message).to.match(/NaN/);
      await appendAuditEntry(db, 'access', { n: 1 }, new Date('not a time'), signer).catch((e: Error) => (err = e));
      expect(err?.message).to.match(/not a time/);
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.include({ ok: true, entries: 60 });
    });

    it('signs a quiet log on a timer', async () => {
      await appendAuditEntries(db, 'access', [item(1), item(2)], { ...signer, now: () => new Date() });
      expect(await readCheckpoints(db, 'access')).to.have.length(0);
      // a clock an hour ahead makes the checkpoint due at the first tick (every second)
      const later = new Date(Date.now() + 3600_000);
      const stop = startCheckpointTimer({ db, keys: { auditSigning: { ...keys } }, config: { audit: { checkpointEvery: 1000, checkpointSeconds: 1 } }, clock: { now: () => later } });
      try {
        for (let i = 0; i < 100 && !(await readCheckpoints(db, 'access')).length; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        stop();
      }
      expect((await readCheckpoints(db, 'access')).map((c) => c.seq)).to.deep.equal([2]);
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.include({ ok: true, unsignedTail: 0 });
    });

    it('refuses UPDATE, DELETE and TRUNCATE of entries and checkpoints', async () => {
      await fill(12);
      const refused = async (sql: string) => {
        let err: Error | undefined;
        try {
          await db.query(sql);
        } catch (e) {
          err = e as Error;
        }
        expect(err, sql).to.be.instanceOf(Error);
        expect(err!.message).to.match(/append-only/);
      };
      await refused("UPDATE audit_log_entries SET entry = '{}' WHERE seq = 2");
      await refused('DELETE FROM audit_log_entries WHERE seq = 12');
      await refused('TRUNCATE audit_log_entries');
      await refused("UPDATE audit_log_checkpoints SET signed_at = now() WHERE seq = 10");
      await refused('DELETE FROM audit_log_checkpoints');
      await refused('TRUNCATE audit_log_checkpoints');
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.include({ ok: true, entries: 12 });
    });

    it('detects an edited entry in the database and names it', async () => {
      await fill(25);
      await tamper(db, `UPDATE audit_log_entries SET entry_text = replace(entry_text, '"purpose":"hakemuksen käsittely"', '"purpose":"muu"') WHERE log = 'access' AND seq = 7`);
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.deep.equal({
        ok: false,
        firstBad: { seq: 7, reason: "entry 7's content does not match its hash (edited)" },
      });
    });

    it('detects a deleted entry, and a deleted tail under a checkpoint', async () => {
      await fill(25);
      await tamper(db, "DELETE FROM audit_log_entries WHERE log = 'access' AND seq = 13");
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.have.nested.property('firstBad.seq', 13);
      await tamper(db, "DELETE FROM audit_log_entries WHERE log = 'access' AND seq >= 13");
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.have.nested.property('firstBad.seq', 13);
    });

    it('detects an inserted entry', async () => {
      await fill(25);
      // shift 6.. up by one, then put a forged entry 6 with a correct hash in the gap
      await tamper(db, "UPDATE audit_log_entries SET seq = seq + 1000 WHERE log = 'access' AND seq >= 6");
      await tamper(db, "UPDATE audit_log_entries SET seq = seq - 999 WHERE log = 'access' AND seq > 1000");
      const [five] = await db.query<{ hash: Uint8Array }>("SELECT hash FROM audit_log_entries WHERE log = 'access' AND seq = 5");
      const forged = { type: 'client_access', actorId: 'intruder', clientId: 'client-x', purpose: 'x', n: 0 };
      const at = new Date(T0 + 5500);
      const hash = entryHashSync(await sodium(), new Uint8Array(five.hash), 6, at, forged);
      await tamper(db, "INSERT INTO audit_log_entries (log, seq, at, entry_text, prev_hash, hash) VALUES ('access', 6, $1, $2, $3, $4)", [at, canonicalJson(forged), five.hash, Buffer.from(hash)]);
      const r = await verifyDatabaseLog(db, 'access', keys.publicKey);
      expect(r).to.have.nested.property('firstBad.seq', 7);
      expect((r as { firstBad: { reason: string } }).firstBad.reason).to.match(/prev_hash/);
    });

    it('detects reordered entries', async () => {
      await fill(25);
      await tamper(
        db,
        `UPDATE audit_log_entries e SET at = o.at, entry_text = o.entry_text FROM audit_log_entries o
         WHERE e.log = 'access' AND o.log = 'access' AND ((e.seq = 3 AND o.seq = 4) OR (e.seq = 4 AND o.seq = 3))`,
      );
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.have.nested.property('firstBad.seq', 3);
    });

    it('detects a forged checkpoint', async () => {
      await fill(25);
      await tamper(db, "UPDATE audit_log_checkpoints SET hash = (SELECT hash FROM audit_log_entries WHERE log = 'access' AND seq = 19) WHERE log = 'access' AND seq = 20");
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.deep.equal({
        ok: false,
        firstBad: { seq: 20, reason: 'checkpoint at seq 20 has a bad signature (forged or altered)' },
      });
    });

    it('exports a log that verifies offline, and detects edits to the export', async () => {
      await fill(25);
      const text = await exportLog(db, 'access', keys.publicKey);
      const lines = text.trim().split('\n');
      expect(lines).to.have.length(1 + 25 + 2);
      expect(JSON.parse(lines[11])).to.include({ type: 'checkpoint', seq: 10 });
      const parsed = parseExport(text);
      expect(await verifyChain(parsed.entries, parsed.checkpoints, keys.publicKey, { log: 'access' })).to.include({ ok: true, entries: 25 });
      const edited = parseExport(text.replace('"client-8"', '"client-9"'));
      expect(await verifyChain(edited.entries, edited.checkpoints, keys.publicKey)).to.have.nested.property('firstBad.seq', 8);
    });

    it('rolls back the entries with the transaction that wrote them', async () => {
      await fill(3);
      try {
        await db.tx(async (q) => {
          await appendAuditEntry(q, 'access', { n: 'lost' }, new Date(T0), signer);
          throw new Error('caller failed');
        });
      } catch {
        // expected
      }
      await appendAuditEntry(db, 'access', item(4).entry, item(4).at, signer);
      expect(await verifyDatabaseLog(db, 'access', keys.publicKey)).to.include({ ok: true, entries: 4 });
    });
  });
}

describe('audit log with concurrent writers (PostgreSQL)', function () {
  this.timeout(120_000);

  it('two pools on one database writing 10,000 entries at once leave one chain that verifies', async () => {
    const fresh = await freshPgDatabase();
    const a = await openDb({ databaseUrl: fresh.url, dataDir: tempDir(), poolSize: 4 });
    const b = await openDb({ databaseUrl: fresh.url, dataDir: tempDir(), poolSize: 4 });
    try {
      await migrate(a);
      const keys = await signingKeys();
      const signer: CheckpointSigner = { secretKey: keys.secretKey, every: 1000, seconds: 3600 };
      const writer = async (db: Db, node: string) => {
        // 4 concurrent workers per pool, 1,250 entries each, in batches of 1 to 50
        await Promise.all(
          [0, 1, 2, 3].map(async (w) => {
            let written = 0;
            while (written < 1250) {
              const size = Math.min(1250 - written, 1 + ((written * 7 + w) % 50));
              const batch = Array.from({ length: size }, (_, i) => ({ entry: { node, w, i: written + i }, at: new Date() }));
              if (size === 1) await appendAuditEntry(db, 'access', batch[0].entry, batch[0].at, signer);
              else await appendAuditEntries(db, 'access', batch, signer);
              written += size;
            }
          }),
        );
      };
      await Promise.all([writer(a, 'a'), writer(b, 'b')]);
      const r = await verifyDatabaseLog(a, 'access', keys.publicKey);
      expect(r).to.include({ ok: true, entries: 10_000, lastSeq: 10_000 });
      expect((r as { checkpoints: number }).checkpoints).to.be.at.least(9);
      const [{ n }] = await a.query<{ n: number }>("SELECT count(DISTINCT e->>'node' || (e->>'w') || (e->>'i'))::int AS n FROM (SELECT entry_text::jsonb AS e FROM audit_log_entries) x");
      expect(n).to.equal(10_000);
    } finally {
      await a.close();
      await b.close();
      await fresh.drop();
    }
  });
});
