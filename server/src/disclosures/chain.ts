// The hash chain behind the access and disclosure logs, and its verification.
// Pure functions over entries and checkpoints: no database here, so the same
// code verifies a live database and an offline export with the public key alone.
//
// Encoding (version 1, also in the README):
// - canonical JSON (shared/src/canonical-json.ts, the Matrix spec's): UTF-8,
//   object keys sorted by code point, no whitespace, strings and numbers as
//   JSON.stringify writes them, keys with undefined values dropped (as JSON and
//   jsonb drop them); NaN/Infinity refused. The entries' keys are ASCII names,
//   which sort the same by code point as by UTF-16 unit or byte.
// - entry hash = BLAKE2b-256(prev_hash || canonical({seq, at, entry})) where at
//   is the ISO 8601 UTC time with milliseconds (Date.toISOString) and seq starts
//   at 1. The first entry's prev_hash is 32 zero bytes.
// - checkpoint signature = Ed25519 (crypto_sign_detached) over
//   canonical({hash: hex of the entry hash, log, seq, signedAt: ISO time}).
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import { blake2b256, sodium, toHex } from '../crypto/sodium.ts';

export const GENESIS_HASH = new Uint8Array(32);

/**
 * One entry of a log. Its content is entryJson when given: the canonical JSON
 * text that was hashed, as the database stores it; otherwise entry, a value
 * that is encoded first.
 */
export interface ChainEntry {
  seq: number;
  at: Date | string;
  entry?: unknown;
  entryJson?: string;
  prevHash: Uint8Array;
  hash: Uint8Array;
}

/** An entry's content as the canonical JSON text its hash covers. */
export function entryText(e: ChainEntry): string {
  return e.entryJson ?? canonicalJson(e.entry);
}

/**
 * An entry of an auditor's export shown without its content (another
 * organisation's): its place in the chain and its hash, which is taken as given.
 */
export interface SealedEntry {
  seq: number;
  prevHash: Uint8Array;
  hash: Uint8Array;
}

export interface Checkpoint {
  log: string;
  seq: number;
  hash: Uint8Array;
  signedAt: Date | string;
  signature: Uint8Array;
}

export type VerifyResult =
  | { ok: true; entries: number; checkpoints: number; firstSeq: number; lastSeq: number; lastHash: Uint8Array; unsignedTail: number }
  | { ok: false; firstBad: { seq: number; reason: string } };

const utf8 = new TextEncoder();

const ISO_MS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function isoTime(at: Date | string): string {
  if (typeof at === 'string' && ISO_MS_UTC.test(at)) {
    // already in toISOString's form; a parse round trip only checks it is a real time
    if (!Number.isNaN(Date.parse(at))) return at;
  }
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) throw new TypeError(`not a time: ${String(at)}`);
  return d.toISOString();
}

type Sodium = Awaited<ReturnType<typeof sodium>>;

/** BLAKE2b-256(prev || canonical({seq, at, entry})); needs an initialised libsodium. */
export function entryHashSync(s: Sodium, prevHash: Uint8Array, seq: number, at: Date | string, entry: unknown): Uint8Array {
  return entryHashOfJson(s, prevHash, seq, at, canonicalJson(entry));
}

/** As entryHashSync, with the entry already in canonical JSON (keys sorted: at, entry, seq). */
export function entryHashOfJson(s: Sodium, prevHash: Uint8Array, seq: number, at: Date | string, entryJson: string): Uint8Array {
  return blake2b256(s).hash(prevHash, `{"at":${JSON.stringify(isoTime(at))},"entry":${entryJson},"seq":${seq}}`);
}

export async function entryHash(prevHash: Uint8Array, seq: number, at: Date | string, entry: unknown): Promise<Uint8Array> {
  return entryHashSync(await sodium(), prevHash, seq, at, entry);
}

/** The bytes a checkpoint signature covers. */
export function checkpointPayload(cp: { log: string; seq: number; hash: Uint8Array; signedAt: Date | string }): Uint8Array {
  return utf8.encode(canonicalJson({ hash: toHex(cp.hash), log: cp.log, seq: cp.seq, signedAt: isoTime(cp.signedAt) }));
}

export function signCheckpointSync(s: Sodium, secretKey: Uint8Array, cp: Omit<Checkpoint, 'signature'>): Checkpoint {
  return { ...cp, signature: s.crypto_sign_detached(checkpointPayload(cp), secretKey) };
}

/** Why a checkpoint cannot be trusted (another log, a bad seq or signature), or undefined when it verifies with the public key. */
export function checkpointProblem(s: Sodium, cp: Checkpoint, publicKey: Uint8Array, log?: string): string | undefined {
  if (log !== undefined && cp.log !== log) return `checkpoint at seq ${cp.seq} belongs to log '${cp.log}', not '${log}'`;
  if (!Number.isSafeInteger(cp.seq) || cp.seq < 1) return `checkpoint has an invalid seq ${cp.seq}`;
  try {
    if (cp.signature.length !== 64 || !s.crypto_sign_verify_detached(cp.signature, checkpointPayload(cp), publicKey)) {
      return `checkpoint at seq ${cp.seq} has a bad signature (forged or altered)`;
    }
  } catch {
    return `checkpoint at seq ${cp.seq} cannot be checked (malformed)`;
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Verifies entries in the order given (one log, from seq 1, or from just after
 * a signed checkpoint when retention purged what came before) against signed
 * checkpoints. Streaming: feed entries with add() page by page, then finish().
 * The first failure is the lowest chain position that is wrong: a broken
 * entry, or a checkpoint with a bad signature or a hash the chain disagrees with.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private firstSeq = 1;
  private prev: Uint8Array = GENESIS_HASH;
  private count = 0;
  private sealed = 0;
  private entryFailure?: { seq: number; reason: string };
  private checkpointFailure?: { seq: number; reason: string };
  private readonly checkpointHashes = new Map<number, Uint8Array>();
  private lastCheckpointSeq = 0;

  constructor(
    private readonly s: Sodium,
    checkpoints: Checkpoint[],
    publicKey: Uint8Array,
    log?: string,
  ) {
    for (const cp of checkpoints) {
      const reason = checkpointProblem(s, cp, publicKey, log);
      if (reason) {
        if (!this.checkpointFailure || cp.seq < this.checkpointFailure.seq) this.checkpointFailure = { seq: cp.seq, reason };
        continue;
      }
      const known = this.checkpointHashes.get(cp.seq);
      if (known && !sameBytes(known, cp.hash)) {
        this.failCheckpoint(cp.seq, `two signed checkpoints at seq ${cp.seq} disagree`);
      }
      this.checkpointHashes.set(cp.seq, cp.hash);
      this.lastCheckpointSeq = Math.max(this.lastCheckpointSeq, cp.seq);
    }
  }

  private failCheckpoint(seq: number, reason: string): void {
    if (!this.checkpointFailure || seq < this.checkpointFailure.seq) this.checkpointFailure = { seq, reason };
  }

  /** Whether verification still needs more entries (false once a failure decides the result). */
  get wantsMore(): boolean {
    if (this.entryFailure) return false;
    return !this.checkpointFailure || this.expectedSeq <= this.checkpointFailure.seq;
  }

  /** The next entry; a sealed one (an auditor's export) is linked and checked against checkpoints, its hash taken as given. */
  add(e: ChainEntry | SealedEntry): boolean {
    if (!this.wantsMore) return false;
    // After a retention purge the chain starts later, but only right after a
    // signed checkpoint whose hash the first remaining entry chains to.
    if (this.count + this.sealed === 0 && this.expectedSeq === 1 && e.seq > 1) {
      const anchor = this.checkpointHashes.get(e.seq - 1);
      if (anchor && sameBytes(anchor, e.prevHash)) {
        this.expectedSeq = e.seq;
        this.prev = anchor;
        this.firstSeq = e.seq;
      }
    }
    const seq = this.expectedSeq;
    if (e.seq !== seq) {
      const reason =
        e.seq > seq
          ? `entry ${seq} is missing: entry ${e.seq} follows entry ${seq - 1} (deleted or reordered)`
          : `expected entry ${seq}, found entry ${e.seq} (inserted or reordered)`;
      this.entryFailure = { seq, reason };
      return false;
    }
    if (!sameBytes(e.prevHash, this.prev)) {
      this.entryFailure = { seq, reason: `entry ${seq}'s prev_hash is not entry ${seq - 1}'s hash (inserted, deleted or rewritten entries)` };
      return false;
    }
    let computed = e.hash;
    if ('at' in e) {
      try {
        computed = entryHashOfJson(this.s, this.prev, e.seq, e.at, entryText(e));
      } catch (err) {
        this.entryFailure = { seq, reason: `entry ${seq} cannot be encoded: ${(err as Error).message}` };
        return false;
      }
      if (!sameBytes(computed, e.hash)) {
        this.entryFailure = { seq, reason: `entry ${seq}'s content does not match its hash (edited)` };
        return false;
      }
    }
    const signed = this.checkpointHashes.get(seq);
    if (signed && !sameBytes(signed, computed)) {
      this.entryFailure = { seq, reason: `entry ${seq} differs from the signed checkpoint at seq ${seq} (chain rewritten)` };
      return false;
    }
    this.prev = computed;
    this.expectedSeq++;
    if ('at' in e) this.count++;
    else this.sealed++;
    return true;
  }

  finish(): VerifyResult {
    const lastSeq = this.expectedSeq - 1;
    if (!this.entryFailure && this.lastCheckpointSeq > lastSeq) {
      this.failCheckpoint(lastSeq + 1, `entries after ${lastSeq} are missing: a signed checkpoint covers seq ${this.lastCheckpointSeq} (deleted)`);
    }
    const failures = [this.entryFailure, this.checkpointFailure].filter((f): f is { seq: number; reason: string } => !!f);
    if (failures.length) return { ok: false, firstBad: failures.reduce((a, b) => (b.seq < a.seq ? b : a)) };
    return {
      ok: true,
      entries: this.count,
      checkpoints: this.checkpointHashes.size,
      firstSeq: this.firstSeq,
      lastSeq,
      lastHash: this.prev,
      unsignedTail: lastSeq - this.lastCheckpointSeq,
    };
  }
}

/** Verifies one log's entries (in the order given) and its checkpoints with the public key alone. */
export async function verifyChain(
  entries: Iterable<ChainEntry | SealedEntry>,
  checkpoints: Checkpoint[],
  publicKey: Uint8Array,
  opts: { log?: string } = {},
): Promise<VerifyResult> {
  const v = new ChainVerifier(await sodium(), checkpoints, publicKey, opts.log);
  for (const e of entries) if (!v.add(e)) break;
  return v.finish();
}
