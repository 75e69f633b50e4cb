// npm run audit:verify -- <export file | DATABASE_URL | PGlite data dir> [--public-key <base64>] [--log <name>]
//                          [--checkpoint-file <published checkpoint file>]...
//   or: npm run audit:verify -- --database <DATABASE_URL | data dir> [...]
// Checks hash chains and checkpoint signatures with the public key alone; for
// a database also against the checkpoints published outside it (the files
// given, else AUDIT_CHECKPOINT_FILE, else a data directory's own
// audit-checkpoint.json) and the rows of the client report against the chain.
// Exit 0: every log verified. Exit 1: a log is broken (the first bad entry is
// named) or the input is unreadable. Exit 2: usage.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sodium } from '../crypto/sodium.ts';
import { openDb } from '../store/db.ts';
import { parseExport, verifyExport } from './export.ts';
import { readPublishedCheckpoints, type PublishedCheckpoint } from './published.ts';
import { chainLine, verifyDatabase } from './verify.ts';

function decodeKey(b64: string): Uint8Array {
  const key = new Uint8Array(Buffer.from(b64, 'base64'));
  if (key.length !== 32) throw new Error('the public key must be 32 bytes, base64-encoded');
  return key;
}

/** The public key a PGlite data dir's own keys.json implies (for a local check only). */
async function keyFromDataDir(dataDir: string): Promise<Uint8Array | undefined> {
  const file = path.join(dataDir, 'keys.json');
  if (!fs.existsSync(file)) return undefined;
  const { auditSigningKey } = JSON.parse(fs.readFileSync(file, 'utf8')) as { auditSigningKey: string };
  return (await sodium()).crypto_sign_ed25519_sk_to_pk(new Uint8Array(Buffer.from(auditSigningKey, 'base64')));
}

/**
 * The published checkpoints to verify against: the files given (each must
 * exist), else AUDIT_CHECKPOINT_FILE or a data directory's
 * audit-checkpoint.json when there is one.
 */
function publishedCheckpoints(given: string[] | undefined, dataDir: string | undefined): PublishedCheckpoint[] {
  let files = given ?? [];
  if (given) {
    for (const file of given) if (!fs.existsSync(file)) throw new Error(`no published checkpoint file ${file}`);
  } else {
    const fallback = process.env.AUDIT_CHECKPOINT_FILE || (dataDir && path.join(dataDir, 'audit-checkpoint.json'));
    files = fallback && fs.existsSync(fallback) ? [fallback] : [];
    if (!files.length) console.log('no published checkpoint file (--checkpoint-file): a cut-off end of a log cannot be told from the database alone');
  }
  return files.flatMap((file) => readPublishedCheckpoints(file).map((checkpoint) => ({ file, checkpoint })));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'public-key': { type: 'string' },
      database: { type: 'string' },
      log: { type: 'string', multiple: true },
      'checkpoint-file': { type: 'string', multiple: true },
    },
  });
  const target = values.database ?? positionals[0];
  if (!target || positionals.length > 1) {
    console.error('usage: npm run audit:verify -- <export file | DATABASE_URL | data dir> [--public-key <base64>] [--log <name>] [--checkpoint-file <file>]');
    return 2;
  }
  let publicKey = values['public-key'] ? decodeKey(values['public-key']) : undefined;

  const isUrl = /^postgres(ql)?:\/\//.test(target);
  if (!values.database && !isUrl && fs.statSync(target).isFile()) {
    const parsed = parseExport(fs.readFileSync(target, 'utf8'));
    const { header } = parsed;
    if (!publicKey) {
      console.log(`${header.log}: no --public-key given; trusting the key in the file's header (${header.publicKey})`);
      publicKey = decodeKey(header.publicKey);
    } else if (Buffer.from(publicKey).toString('base64') !== header.publicKey) {
      console.log(`${header.log}: note: the file's header names another key; verifying with --public-key`);
    }
    // An auditor's export seals other organisations' entries: their links and hashes still verify.
    const r = await verifyExport(parsed, publicKey);
    console.log(chainLine(header.log, r));
    return r.ok ? 0 : 1;
  }

  // A PGlite data dir: DATA_DIR (holding pglite/) or the pglite directory itself.
  let dataDir = target;
  if (!isUrl && !fs.existsSync(path.join(target, 'pglite')) && fs.existsSync(path.join(target, 'PG_VERSION'))) dataDir = path.dirname(target);
  if (!isUrl && !fs.existsSync(path.join(dataDir, 'pglite'))) throw new Error(`${target} is neither an export file nor a PGlite data directory`);
  if (!publicKey) {
    const envKey = process.env.AUDIT_SIGNING_KEY;
    if (envKey) publicKey = (await sodium()).crypto_sign_ed25519_sk_to_pk(new Uint8Array(Buffer.from(envKey, 'base64')));
    else if (!isUrl) publicKey = await keyFromDataDir(dataDir);
    if (!publicKey) {
      console.error('give the audit public key with --public-key <base64>');
      return 2;
    }
    console.log(`no --public-key given; using the key of this installation (${Buffer.from(publicKey).toString('base64')})`);
  }
  const published = publishedCheckpoints(values['checkpoint-file'], isUrl ? undefined : dataDir);
  const db = await openDb(isUrl ? { databaseUrl: target, dataDir: '.', poolSize: 2 } : { dataDir });
  try {
    const verdict = await verifyDatabase(db, { publicKey, logs: values.log, published });
    for (const line of verdict.lines) console.log(line);
    return verdict.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`audit:verify: ${err.message}`);
    process.exit(1);
  },
);
