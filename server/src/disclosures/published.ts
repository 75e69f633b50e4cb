// The published checkpoint: every new signed checkpoint is also written to a
// file outside the database (AUDIT_CHECKPOINT_FILE), the latest per log. The
// database alone cannot show that its last entries and their checkpoints were
// cut off; audit:verify compares it with this file.
//
// File format (JSON, UTF-8):
//   {"format":"rinki-audit-checkpoints/1","logs":{"access":{"seq":1000,"hash":"<hex>","signedAt":"<ISO>","signature":"<base64>"}, ...}}
// Each checkpoint is signed as in the database (chain.ts), so the file can be
// copied anywhere and still checked with the public key alone.
import fs from 'node:fs';
import path from 'node:path';
import { toHex } from '../crypto/sodium.ts';
import { isoTime, type Checkpoint } from './chain.ts';

export const PUBLISHED_FORMAT = 'rinki-audit-checkpoints/1';

interface PublishedEntry {
  seq: number;
  hash: string;
  signedAt: string;
  signature: string;
}

interface PublishedFile {
  format: string;
  logs: Record<string, PublishedEntry>;
}

/** A published checkpoint and the file it came from. */
export interface PublishedCheckpoint {
  file: string;
  checkpoint: Checkpoint;
}

export class PublishedFileError extends Error {}

function readFile(file: string): PublishedFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: PublishedFile;
  try {
    parsed = JSON.parse(text) as PublishedFile;
  } catch {
    throw new PublishedFileError(`${file} is not JSON`);
  }
  if (parsed?.format !== PUBLISHED_FORMAT || typeof parsed.logs !== 'object' || parsed.logs === null) {
    throw new PublishedFileError(`${file} is not a ${PUBLISHED_FORMAT} file`);
  }
  return parsed;
}

/**
 * Writes the checkpoints to the file, keeping per log the one with the
 * highest seq (a lower one never replaces it). Atomic: a temporary file,
 * flushed to disk, then renamed over the old one.
 */
export function publishCheckpoints(file: string, checkpoints: Checkpoint[]): void {
  if (!checkpoints.length) return;
  // Read through the same checks as a verifier: a file that is not whole is not overwritten.
  const latest = new Map(readPublishedCheckpoints(file).map((cp) => [cp.log, cp]));
  let changed = false;
  for (const cp of checkpoints) {
    const known = latest.get(cp.log);
    if (known && known.seq >= cp.seq) continue;
    latest.set(cp.log, cp);
    changed = true;
  }
  if (!changed) return;
  const current: PublishedFile = { format: PUBLISHED_FORMAT, logs: {} };
  for (const [log, cp] of [...latest].sort(([a], [b]) => (a < b ? -1 : 1))) {
    current.logs[log] = { seq: cp.seq, hash: toHex(cp.hash), signedAt: isoTime(cp.signedAt), signature: Buffer.from(cp.signature).toString('base64') };
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, `${JSON.stringify(current, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The checkpoints a file publishes, one per log in log order; none when the file does not exist. */
export function readPublishedCheckpoints(file: string): Checkpoint[] {
  const parsed = readFile(file);
  if (!parsed) return [];
  return Object.keys(parsed.logs)
    .sort()
    .map((log) => {
      const e = parsed.logs[log];
      if (!Number.isSafeInteger(e?.seq) || typeof e.hash !== 'string' || !/^[0-9a-f]{64}$/.test(e.hash) || typeof e.signedAt !== 'string' || typeof e.signature !== 'string') {
        throw new PublishedFileError(`${file}: the checkpoint of log '${log}' is malformed`);
      }
      return { log, seq: e.seq, hash: new Uint8Array(Buffer.from(e.hash, 'hex')), signedAt: e.signedAt, signature: new Uint8Array(Buffer.from(e.signature, 'base64')) };
    });
}
