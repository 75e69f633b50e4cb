import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { freshPgDatabase, REPO_ROOT, tempDir } from '../../../tests/helpers/env.ts';
import { sodium } from '../crypto/sodium.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { exportLog } from './export.ts';
import { appendAuditEntries, auditSigner, type CheckpointSigner } from './store.ts';

const CLI = path.join(REPO_ROOT, 'server/src/disclosures/verify-cli.ts');

function run(args: string[], opts: { npm?: boolean; env?: Record<string, string> } = {}): Promise<{ code: number | null; out: string }> {
  const [cmd, argv] = opts.npm ? ['npm', ['run', '--silent', 'audit:verify', '--', ...args]] : [process.execPath, ['--import', 'tsx', CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: REPO_ROOT, env: { ...process.env, AUDIT_SIGNING_KEY: '', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

// Entries of their own type: no client_access_events or disclosures rows go with them (append-only.test.ts checks those).
async function fillLogs(db: Db, signer: CheckpointSigner) {
  const at = (i: number) => new Date(Date.UTC(2026, 3, 1, 9, 0, i));
  await appendAuditEntries(db, 'access', Array.from({ length: 30 }, (_, i) => ({ entry: { type: 'sample_access', clientId: `client-${i + 1}`, purpose: 'routing' }, at: at(i) })), signer);
  await appendAuditEntries(db, 'disclosure', [{ entry: { type: 'sample_disclosure', clientId: 'client-1', categories: ['identity'] }, at: at(0) }], signer);
}

/** The signer Rinki would have with AUDIT_CHECKPOINT_FILE=file. */
const publishingTo = (signer: CheckpointSigner, file: string): CheckpointSigner => ({
  ...signer,
  publish: auditSigner({ keys: { auditSigning: { publicKey: new Uint8Array(32), secretKey: signer.secretKey } }, config: { audit: { checkpointFile: file } } }).publish,
});

describe('npm run audit:verify', function () {
  this.timeout(120_000);
  let keys: { publicKey: Uint8Array; secretKey: Uint8Array };
  let pub: string;
  let signer: CheckpointSigner;
  const dir = tempDir('rinki-audit-cli-');

  before(async () => {
    const kp = (await sodium()).crypto_sign_keypair();
    keys = { publicKey: kp.publicKey, secretKey: kp.privateKey };
    pub = Buffer.from(keys.publicKey).toString('base64');
    signer = { secretKey: keys.secretKey, every: 10, seconds: 3600 };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('on an export file', () => {
    let file: string;
    let text: string;
    before(async () => {
      const db = await openDb({ dataDir: 'memory://' });
      await migrate(db);
      await fillLogs(db, signer);
      text = await exportLog(db, 'access', keys.publicKey);
      await db.close();
      file = path.join(dir, 'access.jsonl');
      fs.writeFileSync(file, text);
    });

    it('exits 0 for an intact export, with the public key alone', async () => {
      const r = await run([file, '--public-key', pub], { npm: true });
      expect(r.out).to.match(/access: OK, 30 entries, 3 signed checkpoints, last seq 30/);
      expect(r.code).to.equal(0);
      const trusting = await run([file]);
      expect(trusting.code).to.equal(0);
      expect(trusting.out).to.match(/trusting the key in the file's header/);
    });

    it('exits 1 naming the first bad entry of an edited, deleted or reordered export', async () => {
      const lines = text.split('\n');
      const edited = path.join(dir, 'edited.jsonl');
      fs.writeFileSync(edited, text.replace('"client-12"', '"client-13"'));
      const r1 = await run([edited, '--public-key', pub]);
      expect(r1.code).to.equal(1);
      expect(r1.out).to.contain("access: BROKEN at seq 12: entry 12's content does not match its hash (edited)");

      const deleted = path.join(dir, 'deleted.jsonl');
      fs.writeFileSync(deleted, lines.filter((l) => !l.includes('"seq":5,')).join('\n'));
      const r2 = await run([deleted, '--public-key', pub]);
      expect(r2.code).to.equal(1);
      expect(r2.out).to.contain('BROKEN at seq 5: entry 5 is missing');

      const reordered = path.join(dir, 'reordered.jsonl');
      const swapped = [...lines];
      [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
      fs.writeFileSync(reordered, swapped.join('\n'));
      const r3 = await run([reordered, '--public-key', pub]);
      expect(r3.code).to.equal(1);
      expect(r3.out).to.contain('BROKEN at seq 3');
    });

    it('exits 1 for a checkpoint signed with another key, and for a malformed file', async () => {
      const other = Buffer.from((await sodium()).crypto_sign_keypair().publicKey).toString('base64');
      const r = await run([file, '--public-key', other]);
      expect(r.code).to.equal(1);
      expect(r.out).to.contain('BROKEN at seq 10: checkpoint at seq 10 has a bad signature');
      const junk = path.join(dir, 'junk.jsonl');
      fs.writeFileSync(junk, 'not json\n');
      const r2 = await run([junk]);
      expect(r2.code).to.equal(1);
      expect(r2.out).to.contain('line 1 is not JSON');
    });
  });

  it('verifies every log of a PostgreSQL database and names a tampered entry', async () => {
    const fresh = await freshPgDatabase();
    const db = await openDb({ databaseUrl: fresh.url, dataDir: dir });
    try {
      await migrate(db);
      await fillLogs(db, signer);
      const ok = await run(['--database', fresh.url, '--public-key', pub]);
      expect(ok.out).to.contain('access: OK, 30 entries').and.to.contain('disclosure: OK, 1 entries');
      expect(ok.code).to.equal(0);
      await db.exec(`ALTER TABLE audit_log_entries DISABLE TRIGGER USER;
        DELETE FROM audit_log_entries WHERE log = 'access' AND seq = 17;
        ALTER TABLE audit_log_entries ENABLE TRIGGER USER`);
      const bad = await run([fresh.url, '--public-key', pub]);
      expect(bad.code).to.equal(1);
      expect(bad.out).to.contain('access: BROKEN at seq 17').and.to.contain('disclosure: OK');
    } finally {
      await db.close();
      await fresh.drop();
    }
  });

  it('verifies against the published checkpoint: a database whose end was cut off fails', async () => {
    const fresh = await freshPgDatabase();
    const db = await openDb({ databaseUrl: fresh.url, dataDir: dir });
    const file = path.join(dir, 'elsewhere', 'audit-checkpoint.json');
    try {
      await migrate(db);
      await fillLogs(db, publishingTo(signer, file));
      const ok = await run(['--database', fresh.url, '--public-key', pub, '--checkpoint-file', file], { npm: true });
      expect(ok.out).to.contain(`access: published checkpoint at seq 30 in ${file}`).and.to.contain('access: OK, 30 entries');
      expect(ok.code).to.equal(0);
      // Someone with admin rights deletes the last ten entries and their checkpoint.
      await db.exec(`ALTER TABLE audit_log_entries DISABLE TRIGGER USER; ALTER TABLE audit_log_checkpoints DISABLE TRIGGER USER;
        DELETE FROM audit_log_entries WHERE log = 'access' AND seq > 20; DELETE FROM audit_log_checkpoints WHERE log = 'access' AND seq > 20;
        ALTER TABLE audit_log_entries ENABLE TRIGGER USER; ALTER TABLE audit_log_checkpoints ENABLE TRIGGER USER`);
      const alone = await run([fresh.url, '--public-key', pub]);
      expect(alone.out).to.contain('access: OK, 20 entries').and.to.contain('no published checkpoint file');
      expect(alone.code).to.equal(0);
      const cut = await run([fresh.url, '--public-key', pub], { env: { AUDIT_CHECKPOINT_FILE: file } });
      expect(cut.out).to.contain(`access: BROKEN at seq 21: the chain ends at seq 20, before the checkpoint at seq 30 published in ${file} (the end of the log was cut off)`);
      expect(cut.out).to.contain('disclosure: OK');
      expect(cut.code).to.equal(1);
      const missing = await run([fresh.url, '--public-key', pub, '--checkpoint-file', path.join(dir, 'nowhere.json')]);
      expect(missing.out).to.contain('no published checkpoint file');
      expect(missing.code).to.equal(1);
    } finally {
      await db.close();
      await fresh.drop();
    }
  });

  it('verifies a PGlite data directory, taking the key from its keys.json when none is given', async () => {
    const dataDir = path.join(dir, 'data');
    const db = await openDb({ dataDir });
    await migrate(db);
    await fillLogs(db, publishingTo(signer, path.join(dataDir, 'audit-checkpoint.json')));
    await db.close();
    const r = await run([dataDir, '--log', 'access', '--public-key', pub]);
    expect(r.out).to.contain('access: OK, 30 entries').and.to.contain('access: published checkpoint at seq 30');
    expect(r.out).to.not.contain('disclosure');
    expect(r.code).to.equal(0);
    expect((await run([path.join(dataDir, 'pglite'), '--public-key', pub])).code).to.equal(0);
    expect((await run([dataDir])).code).to.equal(2); // no key anywhere: a usage error, not a verdict
    fs.writeFileSync(path.join(dataDir, 'keys.json'), JSON.stringify({ auditSigningKey: Buffer.from(keys.secretKey).toString('base64') }));
    const own = await run([dataDir]);
    expect(own.out).to.contain('using the key of this installation');
    expect(own.code).to.equal(0);
  });
});
