// Export files and verification of a log from the database or from an export.
//
// Export format (JSON lines, UTF-8), one log per file:
//   {"type":"header","format":"rinki-audit-log/1","log":"access","publicKey":"<base64 Ed25519>"}
//   {"type":"entry","seq":1,"at":"<ISO>","entry":{...},"prevHash":"<hex>","hash":"<hex>"}
//   {"type":"checkpoint","seq":1000,"hash":"<hex>","signedAt":"<ISO>","signature":"<base64>"}
// Entries in seq order; each checkpoint follows the entry it signs.
import { sodium, toHex } from '../crypto/sodium.ts';
import type { Queryable } from '../store/db.ts';
import { ChainVerifier, checkpointProblem, entryText, isoTime, verifyChain, type ChainEntry, type Checkpoint, type SealedEntry, type VerifyResult } from './chain.ts';
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

/** Whether a log entry is one an auditor's export shows in full. */
export type EntryScope = (entry: unknown) => boolean;

/**
 * The entries of one root organisation's processing (`organisationIds`: the
 * root and its units): an access whose actor belongs to it, a disclosure whose
 * discloser or a recipient does. Entries of any other shape are outside every
 * auditor's scope.
 */
export function rootEntryScope(organisationIds: string[]): EntryScope {
  const ids = new Set(organisationIds);
  return (entry) => {
    const e = entry as { actorOrganisationId?: unknown; discloser?: { organisationId?: unknown }; recipients?: { organisationId?: unknown }[] };
    const own = (id: unknown) => typeof id === 'string' && ids.has(id);
    return own(e.actorOrganisationId) || own(e.discloser?.organisationId) || (Array.isArray(e.recipients) && e.recipients.some((r) => own(r?.organisationId)));
  };
}

/**
 * The export file of one log, line by line (each line ends with a newline).
 * With a scope, entries outside it are sealed: a `{"type":"sealed","seq","prevHash","hash"}`
 * line keeps the chain's links and the checkpoints' positions without the content.
 */
export async function* exportLogLines(q: Queryable, log: string, publicKey: Uint8Array, scope?: EntryScope): AsyncGenerator<string> {
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
      if (scope && !scope(JSON.parse(entryText(e)))) out += `{"type":"sealed","seq":${e.seq},"prevHash":"${toHex(e.prevHash)}","hash":"${toHex(e.hash)}"}\n`;
      // The entry's canonical text goes in as it is: JSON, and what its hash covers.
      else out += `{"type":"entry","seq":${e.seq},"at":${JSON.stringify(isoTime(e.at))},"entry":${entryText(e)},"prevHash":"${toHex(e.prevHash)}","hash":"${toHex(e.hash)}"}\n`;
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
 * must still hold each one and the chain must reach it. The whole chain is
 * checked (an entry's hash covers all before it); with a scope, `entries`
 * counts only the entries inside it.
 */
export async function verifyDatabaseLog(q: Queryable, log: string, publicKey: Uint8Array, published: PublishedCheckpoint[] = [], scope?: EntryScope): Promise<VerifyResult> {
  const checkpoints = await readCheckpoints(q, log);
  const result = await verifyEntries(q, log, publicKey, checkpoints, scope);
  if (!result.ok) return result;
  const s = await sodium();
  for (const { file, checkpoint: cp } of published) {
    if (cp.log !== log) continue;
    const at = `the checkpoint at seq ${cp.seq} published in ${file}`;
    const problem = checkpointProblem(s, cp, publicKey);
    if (problem) return { ok: false, firstBad: { seq: cp.seq, reason: `${at}: ${problem}` } };
    if (result.lastSeq < cp.seq) {
      return { ok: false, firstBad: { seq: result.lastSeq + 1, reason: `the chain ends at seq ${result.lastSeq}, before ${at} (the end of the log was cut off)` } };
    }
    const inDb = checkpoints.find((c) => c.seq === cp.seq);
    if (!inDb) return { ok: false, firstBad: { seq: cp.seq, reason: `${at} is missing from the database (deleted)` } };
    if (toHex(inDb.hash) !== toHex(cp.hash)) return { ok: false, firstBad: { seq: cp.seq, reason: `the database's checkpoint at seq ${cp.seq} differs from ${at} (rewritten)` } };
  }
  return result;
}

async function verifyEntries(q: Queryable, log: string, publicKey: Uint8Array, checkpoints: Checkpoint[], scope?: EntryScope): Promise<VerifyResult> {
  const v = new ChainVerifier(await sodium(), checkpoints, publicKey, log);
  let inScope = 0;
  // The next page is fetched while this one is hashed. Pages follow seq, not
  // row count, so a missing seq still shows as a gap.
  let next = readEntries(q, log, 0, PAGE);
  while (v.wantsMore) {
    const page = await next;
    if (!page.length) break;
    next = readEntries(q, log, page[page.length - 1].seq, PAGE);
    for (const e of page) {
      if (!v.add(e)) break;
      if (scope?.(JSON.parse(entryText(e)))) inScope++;
    }
  }
  await next.catch(() => undefined);
  const result = v.finish();
  return result.ok && scope ? { ...result, entries: inScope } : result;
}

export class ExportFormatError extends Error {}

/** Parses an export file's text into its header, entries (in file order), sealed entries and checkpoints. */
export function parseExport(text: string): { header: ExportHeader; entries: ChainEntry[]; sealed: SealedEntry[]; checkpoints: Checkpoint[] } {
  const lines = text.split('\n');
  let header: ExportHeader | undefined;
  const entries: ChainEntry[] = [];
  const sealed: SealedEntry[] = [];
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
    } else if (rec.type === 'sealed') {
      sealed.push({ seq: seqOf(rec.seq, n), prevHash: hex(rec.prevHash, n, 'prevHash'), hash: hex(rec.hash, n, 'hash') });
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
  return { header, entries, sealed, checkpoints };
}

/**
 * Verifies an export with the public key alone. An auditor's export has sealed
 * entries (other organisations'): their links and their hashes against the
 * signed checkpoints are checked, their content is the other organisation's
 * auditor's to check; a rewrite of any entry shown still breaks the links or a
 * signed checkpoint. Without sealed entries this is verifyChain (entries in file order).
 */
export async function verifyExport(parsed: ReturnType<typeof parseExport>, publicKey: Uint8Array): Promise<VerifyResult> {
  const { header, entries, sealed, checkpoints } = parsed;
  // The file's two kinds of lines are merged back into chain order.
  const items: (ChainEntry | SealedEntry)[] = sealed.length ? [...entries, ...sealed].sort((a, b) => a.seq - b.seq) : entries;
  return verifyChain(items, checkpoints, publicKey, { log: header.log });
}
