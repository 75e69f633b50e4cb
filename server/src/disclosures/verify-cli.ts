// npm run audit:verify -- <export file | DATABASE_URL | PGlite data dir> [--public-key <base64>] [--log <name>]
//   or: npm run audit:verify -- --database <DATABASE_URL | data dir> [...]
// Checks hash chains and checkpoint signatures with the public key alone.
// Exit 0: every log verified. Exit 1: a log is broken (the first bad entry is
// named) or the input is unreadable. Exit 2: usage.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sodium, toHex } from '../crypto/sodium.ts';
import { openDb } from '../store/db.ts';
import { verifyChain, type VerifyResult } from './chain.ts';
import { parseExport, verifyDatabaseLog } from './export.ts';
import { listLogs } from './store.ts';

function report(log: string, r: VerifyResult): boolean {
  if (r.ok) {
    console.log(
      `${log}: OK, ${r.entries} entries, ${r.checkpoints} signed checkpoints, last seq ${r.lastSeq} (hash ${toHex(r.lastHash)})` +
        (r.unsignedTail ? `, ${r.unsignedTail} entries after the last checkpoint are not yet signed` : '') +
        (r.firstSeq > 1 ? `; starts after the signed checkpoint at seq ${r.firstSeq - 1} (earlier entries purged by retention)` : ''),
    );
    return true;
  }
  console.log(`${log}: BROKEN at seq ${r.firstBad.seq}: ${r.firstBad.reason}`);
  return false;
}

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

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'public-key': { type: 'string' }, database: { type: 'string' }, log: { type: 'string', multiple: true } },
  });
  const target = values.database ?? positionals[0];
  if (!target || positionals.length > 1) {
    console.error('usage: npm run audit:verify -- <export file | DATABASE_URL | data dir> [--public-key <base64>] [--log <name>]');
    return 2;
  }
  let publicKey = values['public-key'] ? decodeKey(values['public-key']) : undefined;

  const isUrl = /^postgres(ql)?:\/\//.test(target);
  if (!values.database && !isUrl && fs.statSync(target).isFile()) {
    const { header, entries, checkpoints } = parseExport(fs.readFileSync(target, 'utf8'));
    if (!publicKey) {
      console.log(`${header.log}: no --public-key given; trusting the key in the file's header (${header.publicKey})`);
      publicKey = decodeKey(header.publicKey);
    } else if (Buffer.from(publicKey).toString('base64') !== header.publicKey) {
      console.log(`${header.log}: note: the file's header names another key; verifying with --public-key`);
    }
    return report(header.log, await verifyChain(entries, checkpoints, publicKey, { log: header.log })) ? 0 : 1;
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
  const db = await openDb(isUrl ? { databaseUrl: target, dataDir: '.', poolSize: 2 } : { dataDir });
  try {
    const logs = values.log ?? (await listLogs(db));
    let ok = true;
    for (const log of logs) ok = report(log, await verifyDatabaseLog(db, log, publicKey)) && ok;
    if (!logs.length) console.log('no log entries');
    return ok ? 0 : 1;
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
