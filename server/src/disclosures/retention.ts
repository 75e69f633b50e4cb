// Retention of the access and disclosure logs: entries older than the period
// are purged, in whole prefixes that end at a signed checkpoint, so the rest
// of the chain still verifies from that checkpoint (ChainVerifier accepts a
// chain that starts right after one). The queryable rows older than the
// period go with them.
import type { Db } from '../store/db.ts';

export interface PurgeResult {
  log: string;
  /** Entries at or below this seq are gone; undefined when nothing could be purged. */
  purgedThrough?: number;
  entries: number;
}

export async function purgeLog(db: Db, log: 'access' | 'disclosure', before: Date): Promise<PurgeResult> {
  return db.tx(async (q) => {
    // The newest checkpoint whose entry is older than the cut-off: everything up to it may go.
    const [cp] = await q.query<{ seq: number }>(
      `SELECT max(c.seq)::int AS seq FROM audit_log_checkpoints c JOIN audit_log_entries e ON e.log = c.log AND e.seq = c.seq
        WHERE c.log = $1 AND e.at < $2`,
      [log, before],
    );
    if (!cp?.seq) return { log, entries: 0 };
    await q.query(`SELECT set_config('rinki.audit_purge', 'on', true)`);
    const gone = await q.query('DELETE FROM audit_log_entries WHERE log = $1 AND seq <= $2 RETURNING seq', [log, cp.seq]);
    if (log === 'access') await q.query('DELETE FROM client_access_events WHERE at < $1', [before]);
    else await q.query('DELETE FROM disclosures WHERE chain_seq <= $1', [cp.seq]);
    return { log, purgedThrough: cp.seq, entries: gone.length };
  });
}
