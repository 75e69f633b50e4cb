// Verification of a database's logs, as audit:verify reports it: each log's
// chain and checkpoints with the public key alone, against the checkpoints
// published outside the database, and the rows the client report reads
// against the chain.
import { toHex } from '../crypto/sodium.ts';
import type { Queryable } from '../store/db.ts';
import { isoTime, type VerifyResult } from './chain.ts';
import { verifyDatabaseLog } from './export.ts';
import type { PublishedCheckpoint } from './published.ts';
import { verifyLogRows } from './rows.ts';
import { listLogs } from './store.ts';

export interface DatabaseVerdict {
  ok: boolean;
  /** What audit:verify prints, one line each. */
  lines: string[];
}

/** The line for one log's chain. */
export function chainLine(log: string, r: VerifyResult): string {
  if (!r.ok) return `${log}: BROKEN at seq ${r.firstBad.seq}: ${r.firstBad.reason}`;
  return (
    `${log}: OK, ${r.entries} entries, ${r.checkpoints} signed checkpoints, last seq ${r.lastSeq} (hash ${toHex(r.lastHash)})` +
    (r.unsignedTail ? `, ${r.unsignedTail} entries after the last checkpoint are not yet signed` : '') +
    (r.firstSeq > 1 ? `; starts after the signed checkpoint at seq ${r.firstSeq - 1} (earlier entries purged by retention)` : '')
  );
}

export async function verifyDatabase(q: Queryable, opts: { publicKey: Uint8Array; logs?: string[]; published?: PublishedCheckpoint[] }): Promise<DatabaseVerdict> {
  const published = opts.published ?? [];
  // A log that is published but has nothing left in the database is checked too.
  const logs = opts.logs ?? [...new Set([...(await listLogs(q)), ...published.map((p) => p.checkpoint.log)])].sort();
  const lines: string[] = [];
  let ok = true;
  if (!logs.length) lines.push('no log entries');
  for (const log of logs) {
    for (const { file, checkpoint: cp } of published) {
      if (cp.log === log) lines.push(`${log}: published checkpoint at seq ${cp.seq} in ${file} (hash ${toHex(cp.hash)}, signed ${isoTime(cp.signedAt)})`);
    }
    const chain = await verifyDatabaseLog(q, log, opts.publicKey, published);
    lines.push(chainLine(log, chain));
    if (!chain.ok) {
      ok = false;
      continue;
    }
    const rows = await verifyLogRows(q, log);
    if (!rows) continue;
    if (rows.ok) lines.push(`${log}: ${rows.table} matches the chain (${rows.rows} rows)`);
    else {
      ok = false;
      lines.push(`${log}: BROKEN: ${rows.reason}`);
    }
  }
  return { ok, lines };
}
