// Export files and verification of a log from the database or from an export.
//
// Export format (JSON lines, UTF-8), one log per file:
//   {"type":"header","format":"rinki-audit-log/1","log":"access","publicKey":"<base64 Ed25519>"}
//   {"type":"entry","seq":1,"at":"<ISO>","entry":{...},"prevHash":"<hex>","hash":"<hex>"}
//   {"type":"checkpoint","seq":1000,"hash":"<hex>","signedAt":"<ISO>","signature":"<base64>"}
// Entries in seq order; each checkpoint follows the entry it signs.
import { sodium, toHex } from '../crypto/sodium.ts';
import type { Queryable } from '../store/db.ts';
import { ChainVerifier, checkpointPayload, entryText, isoTime, type ChainEntry, type Checkpoint, type VerifyResult } from './chain.ts';
import type { PublishedCheckpoint } from './published.ts';
import { readCheckpoints, readEntries } from './store.ts';

export const EXPORT_FORMAT = 'rinki-audit-log/1';
const PAGE = 5000;

export interface ExportHeader {
  type: 'header';
  format: string;
  log: string;
  publicKey: string;
}

/** The export file of one log, line by line (each line ends with a newline). */
export async function* exportLogLines(q: Queryable, log: string, publicKey: Uint8Array): AsyncGenerator<string> {
  const header: ExportHeader = { type: 'header', format: EXPORT_FORMAT, log, publicKey: Buffer.from(publicKey).toString('base64') };
  yield `${JSON.stringify(header)}\n`;
  const checkpoints = await readCheckpoints(q, log);
  let next = 0;
  const checkpointLine = (cp: Checkpoint) =>
    `${JSON.stringify({ type: 'checkpoint', seq: cp.seq, hash: toHex(cp.hash), signedAt: isoTime(cp.signedAt), signature: Buffer.from(cp.signature).toString('base64') })}\n`;
  let after = 0;
  for (;;) {
    const page = await readEntries(q, log, after, PAGE);
    if (!page.length) break;
    let out = '';
    for (const e of page) {
      // The entry's canonical text goes in as it is: JSON, and what its hash covers.
      out += `{"type":"entry","seq":${e.seq},"at":${JSON.stringify(isoTime(e.at))},"entry":${entryText(e)},"prevHash":"${toHex(e.prevHash)}","hash":"${toHex(e.hash)}"}\n`;
      while (next < checkpoints.length && checkpoints[next].seq <= e.seq) out += checkpointLine(checkpoints[next++]);
    }
    yield out;
    after = page[page.length - 1].seq;
  }
  while (next < checkpoints.length) yield checkpointLine(checkpoints[next++]);
}

/** The whole export file of one log as a string. */
export async function exportLog(q: Queryable, log: string, publicKey: Uint8Array): Promise<string> {
  let out = '';
  for await (const chunk of exportLogLines(q, log, publicKey)) out += chunk;
  return out;
}

/**
 * Verifies one log in the database with the public key alone, page by page;
 * and against the checkpoints published outside it, when given: the database
 * must still hold each one and the chain must reach it.
 */
export async function verifyDatabaseLog(q: Queryable, log: string, publicKey: Uint8Array, published: PublishedCheckpoint[] = []): Promise<VerifyResult> {
  const checkpoints = await readCheckpoints(q, log);
  const result = await verifyEntries(q, log, publicKey, checkpoints);
  if (!result.ok) return result;
  const s = await sodium();
  for (const { file, checkpoint: cp } of published) {
    if (cp.log !== log) continue;
    const at = `the checkpoint at seq ${cp.seq} published in ${file}`;
    if (cp.signature.length !== 64 || !s.crypto_sign_verify_detached(cp.signature, checkpointPayload(cp), publicKey)) {
      return { ok: false, firstBad: { seq: cp.seq, reason: `${at} has a bad signature (forged, or signed with another key)` } };
    }
    if (result.lastSeq < cp.seq) {
      return { ok: false, firstBad: { seq: result.lastSeq + 1, reason: `the chain ends at seq ${result.lastSeq}, before ${at} (the end of the log was cut off)` } };
    }
    const inDb = checkpoints.find((c) => c.seq === cp.seq);
    if (!inDb) return { ok: false, firstBad: { seq: cp.seq, reason: `${at} is missing from the database (deleted)` } };
    if (toHex(inDb.hash) !== toHex(cp.hash)) return { ok: false, firstBad: { seq: cp.seq, reason: `the database's checkpoint at seq ${cp.seq} differs from ${at} (rewritten)` } };
  }
  return result;
}

async function verifyEntries(q: Queryable, log: string, publicKey: Uint8Array, checkpoints: Checkpoint[]): Promise<VerifyResult> {
  const v = new ChainVerifier(await sodium(), checkpoints, publicKey, log);
  // The next page is fetched while this one is hashed. Pages follow seq, not
  // row count, so a missing seq still shows as a gap.
  let next = readEntries(q, log, 0, PAGE);
  while (v.wantsMore) {
    const page = await next;
    if (!page.length) break;
    next = readEntries(q, log, page[page.length - 1].seq, PAGE);
    for (const e of page) if (!v.add(e)) break;
  }
  await next.catch(() => undefined);
  return v.finish();
}

export class ExportFormatError extends Error {}

/** Parses an export file's text into its header, entries (in file order) and checkpoints. */
export function parseExport(text: string): { header: ExportHeader; entries: ChainEntry[]; checkpoints: Checkpoint[] } {
  const lines = text.split('\n');
  let header: ExportHeader | undefined;
  const entries: ChainEntry[] = [];
  const checkpoints: Checkpoint[] = [];
  const hex = (v: unknown, line: number, field: string) => {
    if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new ExportFormatError(`line ${line}: ${field} must be 64 hex digits`);
    return new Uint8Array(Buffer.from(v, 'hex'));
  };
  const seqOf = (v: unknown, line: number) => {
    if (!Number.isSafeInteger(v)) throw new ExportFormatError(`line ${line}: seq must be an integer`);
    return v as number;
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (!raw.trim()) return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new ExportFormatError(`line ${n} is not JSON`);
    }
    if (!header) {
      if (rec.type !== 'header' || rec.format !== EXPORT_FORMAT || typeof rec.log !== 'string' || typeof rec.publicKey !== 'string') {
        throw new ExportFormatError(`line ${n}: expected a ${EXPORT_FORMAT} header with log and publicKey`);
      }
      header = rec as unknown as ExportHeader;
      return;
    }
    if (rec.type === 'entry') {
      if (typeof rec.at !== 'string' || !('entry' in rec)) throw new ExportFormatError(`line ${n}: an entry needs at and entry`);
      entries.push({ seq: seqOf(rec.seq, n), at: rec.at, entry: rec.entry, prevHash: hex(rec.prevHash, n, 'prevHash'), hash: hex(rec.hash, n, 'hash') });
    } else if (rec.type === 'checkpoint') {
      if (typeof rec.signedAt !== 'string' || typeof rec.signature !== 'string') throw new ExportFormatError(`line ${n}: a checkpoint needs signedAt and signature`);
      checkpoints.push({
        log: header.log,
        seq: seqOf(rec.seq, n),
        hash: hex(rec.hash, n, 'hash'),
        signedAt: rec.signedAt,
        signature: new Uint8Array(Buffer.from(rec.signature, 'base64')),
      });
    } else {
      throw new ExportFormatError(`line ${n}: unknown record type ${JSON.stringify(rec.type)}`);
    }
  });
  if (!header) throw new ExportFormatError('empty file: no header');
  return { header, entries, checkpoints };
}
