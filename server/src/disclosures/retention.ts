// Retention of the access and disclosure logs, through the database function
// audit_purge() (migration 0029): entries older than the retention period are
// purged in whole prefixes that end at a signed checkpoint, so the rest of the
// chain still verifies from that checkpoint (ChainVerifier accepts a chain
// that starts right after one); the queryable rows of the purged entries go
// with them. The function runs as the owner of the log tables, measures age
// by the database's clock and refuses a period shorter than
// audit_min_retention_days(): the application role may run it, but cannot
// purge more than retention allows nor delete anything itself.
import type { Db } from '../store/db.ts';

export interface PurgeResult {
  log: string;
  /** Entries at or below this seq are gone; undefined when nothing could be purged. */
  purgedThrough?: number;
  entries: number;
}

export async function purgeLog(db: Db, log: 'access' | 'disclosure', keepDays: number): Promise<PurgeResult> {
  const [r] = await db.query<{ purged_through: number | null; entries: number }>('SELECT purged_through, entries FROM audit_purge($1, $2)', [log, keepDays]);
  return r.purged_through === null ? { log, entries: 0 } : { log, purgedThrough: Number(r.purged_through), entries: Number(r.entries) };
}
