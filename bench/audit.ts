// npm run bench:audit — the tamper-evident logs: appending with hash chain and
// signed checkpoints, against plain inserts of the same rows, then verifying.
//
// On a fresh PostgreSQL database: BENCH_ENTRIES entries, half to the access log
// and half to the disclosure log, from 8 concurrent writers, each appending
// batches of BENCH_BATCH entries of one log through appendAuditEntries (the
// function Rinki uses; batches of the two logs interleaved), with a checkpoint
// every 1,000 entries. The floor: the same rows
// and batches as plain INSERTs into a table with no chain. Then every entry and
// checkpoint of both logs is verified with the public key alone.
// The last line printed is one JSON object with the figures.
/* eslint-disable no-console */
import { randomUUID } from 'node:crypto';
import { sodium } from '../server/src/crypto/sodium.ts';
import { appendAuditEntries, type CheckpointSigner } from '../server/src/disclosures/store.ts';
import { verifyDatabaseLog } from '../server/src/disclosures/export.ts';
import { openDb } from '../server/src/store/db.ts';
import { migrate } from '../server/src/store/migrate.ts';
import { freshPgDatabase, tempDir } from '../tests/helpers/env.ts';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const WRITERS = 8;
const round = (n: number) => Math.round(n);

/** What Rinki writes: an access record or a disclosure record, about the size of real ones. */
function entry(i: number) {
  const at = new Date(Date.UTC(2026, 10, 18, 8) + i);
  return i % 2 === 0
    ? { log: 'access', at, entry: { type: 'client_access', eventId: i, actorId: `staff-${i % 500}`, actorOrganisationId: 'kela-etelainen', clientId: randomUUID(), action: 'client.read', purpose: 'routing' } }
    : {
        log: 'disclosure',
        at,
        entry: {
          type: 'disclosure', disclosureId: randomUUID(), discloser: { staffId: `staff-${i % 500}`, organisationId: 'eksote' },
          recipients: [{ staffId: `staff-${(i + 7) % 500}`, organisationId: 'kela-etelainen' }], clientId: randomUUID(), categories: ['identity'], basis: 'totul_18', routingRequestId: randomUUID(),
        },
      };
}

async function main() {
  const fresh = await freshPgDatabase();
  const db = await openDb({ databaseUrl: fresh.url, dataDir: tempDir(), poolSize: WRITERS + 2 });
  try {
    await migrate(db);
    await db.exec('CREATE TABLE bench_plain (log text NOT NULL, at timestamptz NOT NULL, entry jsonb NOT NULL)');
    const s = await sodium();
    const keys = s.crypto_sign_keypair();
    const signer: CheckpointSigner = { secretKey: keys.privateKey, every: 1000, seconds: 60 };
    const rows = Array.from({ length: ENTRIES }, (_, i) => entry(i));
    // Batches of one log each, the two logs interleaved as Rinki writes them
    // (a routing accept writes an access and a disclosure entry), taken by
    // whichever writer is free.
    const batches: (typeof rows)[] = [];
    const byLog = ['access', 'disclosure'].map((log) => rows.filter((r) => r.log === log));
    for (let i = 0; i < ENTRIES / 2; i += BATCH) for (const mine of byLog) if (i < mine.length) batches.push(mine.slice(i, i + BATCH));
    const run = async (write: (batch: typeof rows) => Promise<unknown>) => {
      let next = 0;
      const t = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (;;) {
            const b = batches[next++];
            if (!b) return;
            await write(b);
          }
        }),
      );
      return Number(process.hrtime.bigint() - t) / 1e9;
    };

    const floorSeconds = await run((b) =>
      db.query('INSERT INTO bench_plain (log, at, entry) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::jsonb[])', [
        b.map((r) => r.log),
        b.map((r) => r.at),
        b.map((r) => JSON.stringify(r.entry)),
      ]),
    );
    // Through the Db itself: concurrent appends to one log share a transaction (group commit).
    const appendSeconds = await run((b) => appendAuditEntries(db, b[0].log, b.map((r) => ({ entry: r.entry, at: r.at })), signer));
    const [n] = await db.query<{ entries: number; checkpoints: number }>(
      `SELECT (SELECT count(*)::int FROM audit_log_entries WHERE log IN ('access', 'disclosure')) AS entries, (SELECT count(*)::int FROM audit_log_checkpoints) AS checkpoints`,
    );
    console.log(`appended ${n.entries} entries with ${n.checkpoints} signed checkpoints in ${appendSeconds.toFixed(1)} s; plain inserts ${floorSeconds.toFixed(1)} s`);

    // Statistics as autovacuum would keep them on a live database (a table
    // that grew from empty in seconds has none yet, and plans would be blind).
    await db.exec('ANALYZE audit_log_entries');
    const t = process.hrtime.bigint();
    for (const log of ['access', 'disclosure']) {
      const result = await verifyDatabaseLog(db, log, keys.publicKey);
      if (!result.ok) throw new Error(`${log} does not verify: ${JSON.stringify(result)}`);
    }
    const verifySeconds = Number(process.hrtime.bigint() - t) / 1e9;
    const append = ENTRIES / appendSeconds;
    const floor = ENTRIES / floorSeconds;
    console.log(`verified both logs in ${verifySeconds.toFixed(1)} s`);
    console.log(
      JSON.stringify({
        bench: 'audit',
        entries: ENTRIES,
        writers: WRITERS,
        batch: BATCH,
        append_per_s: round(append),
        floor_append_per_s: round(floor),
        ratio: Math.round((append / floor) * 100) / 100,
        verify_per_s: round(ENTRIES / verifySeconds),
        baseline: 'floor = plain INSERTs of the same rows and batches without the chain',
      }),
    );
  } finally {
    await db.close();
    await fresh.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
