// Appending to a log's hash chain in the database. Writers on any number of
// nodes lock the log's row in audit_log_heads for the length of their
// transaction, so each append sees the true tip and the chain stays one line.
import type { Config } from '../config.ts';
import { sodium, toHex } from '../crypto/sodium.ts';
import type { Keys } from '../crypto/keys.ts';
import type { Db, Queryable } from '../store/db.ts';
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import { entryHashOfJson, isoTime, signCheckpointSync, type ChainEntry, type Checkpoint } from './chain.ts';
import { publishCheckpoints } from './published.ts';

export type AuditLogName = 'access' | 'disclosure' | (string & {});

/** How checkpoints are signed: every `every` entries, or when `seconds` have passed since the last one. */
export interface CheckpointSigner {
  secretKey: Uint8Array;
  every: number;
  seconds: number;
  now?: () => Date;
  /** Called with the checkpoints a transaction signed, once it has committed (the published checkpoint file). */
  publish?: (checkpoints: Checkpoint[]) => void;
}

export const DEFAULT_CHECKPOINT_EVERY = 1000;
export const DEFAULT_CHECKPOINT_SECONDS = 60;

type AuditConfig = Partial<Config['audit']>;

/**
 * The signer for a running Rinki: the audit signing key, the configured
 * cadence, and the file every new checkpoint is published to.
 */
export function auditSigner(deps: { keys: Pick<Keys, 'auditSigning'>; config?: { audit?: AuditConfig }; clock?: { now(): Date }; log?: { warn(o: object, msg: string): void } }): CheckpointSigner {
  const file = deps.config?.audit?.checkpointFile;
  return {
    secretKey: deps.keys.auditSigning.secretKey,
    every: deps.config?.audit?.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
    seconds: deps.config?.audit?.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS,
    now: deps.clock ? () => deps.clock!.now() : undefined,
    publish: file
      ? (checkpoints) => {
          try {
            publishCheckpoints(file, checkpoints);
          } catch (err) {
            // The entries are committed and signed in the database; the next checkpoint publishes again.
            deps.log?.warn({ err, file }, 'could not publish the audit checkpoint');
          }
        }
      : undefined,
  };
}

/** Publishes the checkpoints a transaction signed once it commits (Db.tx gives every transaction afterCommit). */
function announce(t: Queryable, signer: CheckpointSigner, checkpoints: Checkpoint[]): void {
  if (!checkpoints.length || !signer.publish) return;
  const publish = signer.publish;
  t.afterCommit?.(() => publish(checkpoints));
}

export interface AuditItem {
  entry: unknown;
  at: Date;
}

export interface AppendResult {
  firstSeq: number;
  lastSeq: number;
  hash: Uint8Array;
  checkpoints: number[];
}

interface HeadRow {
  seq: number;
  hash: Uint8Array;
  checkpoint_seq: number;
  checkpoint_at: Date;
}

// Rows per INSERT statement (keeps any one statement's parameters a few MB at most).
const ROWS_PER_INSERT = 5000;

function inTx<T>(q: Db | Queryable, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return 'tx' in q ? q.tx(fn) : fn(q);
}

const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

async function lockHead(q: Queryable, log: string): Promise<HeadRow> {
  const sql = 'SELECT seq, hash, checkpoint_seq, checkpoint_at FROM audit_log_heads WHERE log = $1 FOR UPDATE';
  let [head] = await q.query<HeadRow>(sql, [log]);
  if (!head) {
    await q.query('INSERT INTO audit_log_heads (log) VALUES ($1) ON CONFLICT (log) DO NOTHING', [log]);
    [head] = await q.query<HeadRow>(sql, [log]);
  }
  return { ...head, seq: Number(head.seq), checkpoint_seq: Number(head.checkpoint_seq) };
}

async function insertCheckpoints(q: Queryable, cps: Checkpoint[]): Promise<void> {
  for (const cp of cps) {
    await q.query('INSERT INTO audit_log_checkpoints (log, seq, hash, signed_at, signature) VALUES ($1, $2, $3, $4, $5)', [
      cp.log,
      cp.seq,
      bytes(cp.hash),
      new Date(isoTime(cp.signedAt)),
      bytes(cp.signature),
    ]);
  }
}

interface Encoded {
  at: string;
  json: string;
}

interface Appended extends AppendResult {
  /** Each appended entry's hash, in order. */
  hashes: Uint8Array[];
}

/**
 * Appends entries to one log in a single transaction (one lock, many rows):
 * pass a Db for a transaction of its own, or a transaction's Queryable to
 * commit the entries together with the caller's writes. Signs checkpoints as due.
 * Appends through the same Db that arrive while one is being written are
 * written together in the next transaction (group commit): one lock, one
 * INSERT, however many writers a node has.
 */
export async function appendAuditEntries(q: Db | Queryable, log: AuditLogName, items: AuditItem[], signer: CheckpointSigner): Promise<AppendResult> {
  if (!items.length) throw new Error('appendAuditEntries: nothing to append');
  // Encode before taking the lock: a bad entry fails without holding up other writers.
  const encoded = items.map((it) => ({ at: isoTime(it.at), json: canonicalJson(it.entry) }));
  if ('tx' in q) return enqueue(q, log, encoded, signer);
  const { hashes: _hashes, ...result } = await appendEncoded(q, log, encoded, signer);
  return result;
}

async function appendEncoded(t: Queryable, log: string, encoded: Encoded[], signer: CheckpointSigner): Promise<Appended> {
  const s = await sodium();
  const head = await lockHead(t, log);
  const now = signer.now?.() ?? new Date();
  let prev = head.hash;
  let seq = head.seq;
  let cpSeq = head.checkpoint_seq;
  let cpAt = head.checkpoint_at;
  const rows: { seq: number; at: string; entry: string; prev_hash: string; hash: string }[] = [];
  const hashes: Uint8Array[] = [];
  const checkpoints: Checkpoint[] = [];
  let prevHex = toHex(prev);
  for (const e of encoded) {
    seq++;
    const hash = entryHashOfJson(s, prev, seq, e.at, e.json);
    const hashHex = toHex(hash);
    rows.push({ seq, at: e.at, entry: e.json, prev_hash: prevHex, hash: hashHex });
    hashes.push(hash);
    prev = hash;
    prevHex = hashHex;
    if (seq - cpSeq >= signer.every) {
      checkpoints.push(signCheckpointSync(s, signer.secretKey, { log, seq, hash, signedAt: now }));
      cpSeq = seq;
      cpAt = now;
    }
  }
  if (seq > cpSeq && now.getTime() - new Date(cpAt).getTime() >= signer.seconds * 1000) {
    checkpoints.push(signCheckpointSync(s, signer.secretKey, { log, seq, hash: prev, signedAt: now }));
    cpSeq = seq;
    cpAt = now;
  }
  // The rows travel as one JSON document (hashes as hex): JSON.stringify is
  // native, where array parameters are escaped element by element in
  // JavaScript; one short statement however many rows, on both engines.
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await t.query(
      `INSERT INTO audit_log_entries (log, seq, at, entry_text, prev_hash, hash)
       SELECT $1, u.seq, u.at, u.entry, decode(u.prev_hash, 'hex'), decode(u.hash, 'hex')
         FROM json_to_recordset($2::json) AS u(seq bigint, at timestamptz, entry text, prev_hash text, hash text)`,
      [log, JSON.stringify(rows.slice(i, i + ROWS_PER_INSERT))],
    );
  }
  await insertCheckpoints(t, checkpoints);
  announce(t, signer, checkpoints);
  await t.query('UPDATE audit_log_heads SET seq = $2, hash = $3, checkpoint_seq = $4, checkpoint_at = $5 WHERE log = $1', [
    log,
    seq,
    bytes(prev),
    cpSeq,
    cpAt,
  ]);
  return { firstSeq: head.seq + 1, lastSeq: seq, hash: prev, hashes, checkpoints: checkpoints.map((c) => c.seq) };
}

// Group commit, per Db and log (and signer: key and cadence).
interface Pending {
  encoded: Encoded[];
  signer: CheckpointSigner;
  resolve(r: AppendResult): void;
  reject(err: unknown): void;
}
interface Group {
  pending: Pending[];
  running: boolean;
}
const GROUP_MAX_ROWS = 20_000;
const groups = new WeakMap<Db, Map<string, Group>>();
const signerIds = new WeakMap<Uint8Array, number>();
let nextSignerId = 0;

function enqueue(db: Db, log: string, encoded: Encoded[], signer: CheckpointSigner): Promise<AppendResult> {
  let byKey = groups.get(db);
  if (!byKey) groups.set(db, (byKey = new Map()));
  let signerId = signerIds.get(signer.secretKey);
  if (signerId === undefined) signerIds.set(signer.secretKey, (signerId = nextSignerId++));
  const key = `${log}\u0000${signerId}\u0000${signer.every}\u0000${signer.seconds}`;
  let group = byKey.get(key);
  if (!group) byKey.set(key, (group = { pending: [], running: false }));
  const g = group;
  return new Promise<AppendResult>((resolve, reject) => {
    g.pending.push({ encoded, signer, resolve, reject });
    if (!g.running) void drain(db, log, g);
  });
}

async function drain(db: Db, log: string, g: Group): Promise<void> {
  g.running = true;
  try {
    while (g.pending.length) {
      let rows = g.pending[0].encoded.length;
      let n = 1;
      while (n < g.pending.length && rows + g.pending[n].encoded.length <= GROUP_MAX_ROWS) rows += g.pending[n++].encoded.length;
      const batch = g.pending.splice(0, n);
      try {
        const all = batch.length === 1 ? batch[0].encoded : batch.flatMap((p) => p.encoded);
        const r = await db.tx((t) => appendEncoded(t, log, all, batch[0].signer));
        let firstSeq = r.firstSeq;
        for (const p of batch) {
          const lastSeq = firstSeq + p.encoded.length - 1;
          p.resolve({ firstSeq, lastSeq, hash: r.hashes[lastSeq - r.firstSeq], checkpoints: r.checkpoints.filter((c) => c >= firstSeq && c <= lastSeq) });
          firstSeq = lastSeq + 1;
        }
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  } finally {
    g.running = false;
  }
}

/** Appends one entry; see appendAuditEntries. */
export async function appendAuditEntry(q: Db | Queryable, log: AuditLogName, entry: unknown, at: Date, signer: CheckpointSigner): Promise<AppendResult> {
  return appendAuditEntries(q, log, [{ entry, at }], signer);
}

/**
 * Signs a checkpoint at the log's tip if entries are unsigned and the signer's
 * time has come (or always, with force). For a timer, a shutdown or an export.
 */
export async function checkpointIfDue(db: Db | Queryable, log: AuditLogName, signer: CheckpointSigner, opts: { force?: boolean } = {}): Promise<number | undefined> {
  const s = await sodium();
  return inTx(db, async (t) => {
    const head = await lockHead(t, log);
    const now = signer.now?.() ?? new Date();
    if (head.seq <= head.checkpoint_seq) return undefined;
    if (!opts.force && now.getTime() - new Date(head.checkpoint_at).getTime() < signer.seconds * 1000) return undefined;
    const checkpoint = signCheckpointSync(s, signer.secretKey, { log, seq: head.seq, hash: head.hash, signedAt: now });
    await insertCheckpoints(t, [checkpoint]);
    announce(t, signer, [checkpoint]);
    await t.query('UPDATE audit_log_heads SET checkpoint_seq = $2, checkpoint_at = $3 WHERE log = $1', [log, head.seq, now]);
    return head.seq;
  });
}

interface EntryRow {
  seq: string;
  at: string;
  entry_text: string | null;
  entry: unknown;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

/**
 * A page of a log's entries in seq order, after `afterSeq`: the stored
 * canonical text as it was hashed, and the time already in the encoding's
 * ISO form (no Date parsing; verification reads hundreds of thousands).
 */
export async function readEntries(q: Queryable, log: string, afterSeq: number, limit: number): Promise<ChainEntry[]> {
  const rows = await q.query<EntryRow>(
    `SELECT seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, entry_text,
            CASE WHEN entry_text IS NULL THEN entry END AS entry, prev_hash, hash
       FROM audit_log_entries WHERE log = $1 AND seq > $2 ORDER BY audit_log_entries.seq LIMIT $3`,
    [log, afterSeq, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at,
    ...(r.entry_text === null ? { entry: r.entry } : { entryJson: r.entry_text }),
    prevHash: new Uint8Array(r.prev_hash),
    hash: new Uint8Array(r.hash),
  }));
}

/** Every checkpoint of a log, in seq order. */
export async function readCheckpoints(q: Queryable, log: string): Promise<Checkpoint[]> {
  const rows = await q.query<{ log: string; seq: number; hash: Uint8Array; signed_at: Date; signature: Uint8Array }>(
    'SELECT log, seq, hash, signed_at, signature FROM audit_log_checkpoints WHERE log = $1 ORDER BY seq',
    [log],
  );
  return rows.map((r) => ({ log: r.log, seq: Number(r.seq), hash: new Uint8Array(r.hash), signedAt: r.signed_at, signature: new Uint8Array(r.signature) }));
}

/** Names of the logs that have entries or checkpoints. */
export async function listLogs(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ log: string }>(
    'SELECT DISTINCT log FROM (SELECT log FROM audit_log_entries UNION SELECT log FROM audit_log_checkpoints) l ORDER BY log',
  );
  return rows.map((r) => r.log);
}

/**
 * Signs due checkpoints on a timer, so "every T seconds" holds while a log is
 * quiet too. Every node may run one: the head lock lets one of them sign.
 */
export function startCheckpointTimer(
  deps: { db: Db; keys: Pick<Keys, 'auditSigning'>; config?: { audit?: AuditConfig }; clock?: { now(): Date }; log?: { warn(o: object, msg: string): void } },
): () => void {
  const signer = auditSigner(deps);
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const logs = await deps.db.query<{ log: string }>('SELECT log FROM audit_log_heads WHERE seq > checkpoint_seq');
      for (const { log } of logs) await checkpointIfDue(deps.db, log, signer);
    } catch (err) {
      deps.log?.warn({ err }, 'audit checkpoint timer failed; the next tick retries');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(1000, signer.seconds * 1000));
  timer.unref();
  return () => clearInterval(timer);
}
