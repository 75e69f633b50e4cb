// Rinki's PostgreSQL with two roles: an owner that migrates, and the
// application role Rinki connects as. The application role can append to the
// logs and run the retention purge, but cannot rewrite, delete or truncate a
// log, nor switch the purge on for itself. What an attacker with database
// admin rights does anyway (triggers off) audit:verify finds.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { apiTokenFor, freshPgTwoRoles, startTestRinki, tempDir, type TestRinki, type TwoRolePgDatabase } from '../../../tests/helpers/env.ts';
import { sodium } from '../crypto/sodium.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';
import { ConfigError, parseConfig } from '../config.ts';
import { openDb, type Db, type Queryable } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { recordAccess } from './access.ts';
import { seedLegalBases } from './legal-bases.ts';
import { readPublishedCheckpoints } from './published.ts';
import { recordDisclosure } from './record.ts';
import { purgeLog } from './retention.ts';
import { auditSigner, type CheckpointSigner } from './store.ts';
import { verifyDatabase, type DatabaseVerdict } from './verify.ts';

const LOG_TABLES = ['audit_log_entries', 'audit_log_checkpoints', 'client_access_events', 'disclosures'];
const DAY = 86_400_000;

async function refusal(q: Queryable, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await q.query(sql, params);
  } catch (err) {
    return String((err as Error).message);
  }
  return 'accepted';
}

class Rollback extends Error {}

describe('two database roles: owner and application (PostgreSQL)', function () {
  this.timeout(120_000);
  let roles: TwoRolePgDatabase;
  let owner: Db;
  let app: Db;
  let admin: Db;
  let f: OrgFixture;
  let publicKey: Uint8Array;
  let signer: CheckpointSigner;
  const dir = tempDir('rinki-two-roles-');
  const checkpointFile = path.join(dir, 'published', 'audit-checkpoint.json');

  /** Tampers as the superuser with triggers off, verifies in the same transaction, then undoes it all. */
  async function verdictAfter(tamper: (q: Queryable) => Promise<unknown>, opts: { published?: boolean } = {}): Promise<DatabaseVerdict> {
    let verdict: DatabaseVerdict | undefined;
    const published = opts.published === false ? [] : readPublishedCheckpoints(checkpointFile).map((checkpoint) => ({ file: checkpointFile, checkpoint }));
    await admin
      .tx(async (q) => {
        await q.exec('SET LOCAL session_replication_role = replica');
        await tamper(q);
        await q.exec('SET LOCAL session_replication_role = origin');
        verdict = await verifyDatabase(q, { publicKey, published });
        throw new Rollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof Rollback)) throw err;
      });
    return verdict!;
  }

  before(async () => {
    roles = await freshPgTwoRoles();
    owner = await openDb({ databaseUrl: roles.ownerUrl, dataDir: dir, poolSize: 2 });
    await migrate(owner, { applicationRole: roles.appRole });
    app = await openDb({ databaseUrl: roles.appUrl, dataDir: dir, poolSize: 4 });
    admin = await openDb({ databaseUrl: roles.adminUrl, dataDir: dir, poolSize: 2 });
    // The application role builds its directory and writes its logs with its own grants.
    f = await makeOrgFixture(app, { clientIdKey: new Uint8Array(32) });
    await seedLegalBases(app);
    const kp = (await sodium()).crypto_sign_keypair();
    publicKey = kp.publicKey;
    signer = auditSigner({ keys: { auditSigning: { publicKey, secretKey: kp.privateKey } }, config: { audit: { checkpointEvery: 4, checkpointSeconds: 3600, checkpointFile } } });
    // Ten accesses 800 days ago, six today (checkpoints at 4, 8, 12 and 16), and a disclosure today.
    const access = (q: Queryable, at: Date, purpose: string) =>
      recordAccess(q, { actorId: f.staff.kelaHandler, actorOrganisationId: f.orgs.kelaSouth, clientId: f.clients!.a.id, action: 'client.read', purpose, at }, signer);
    for (let i = 0; i < 10; i++) await app.tx((q) => access(q, new Date(Date.now() - 800 * DAY + i * 1000), 'routing'));
    for (let i = 0; i < 6; i++) await app.tx((q) => access(q, new Date(), 'case_handling'));
    await app.tx((q) =>
      recordDisclosure(
        q,
        {
          at: new Date(),
          discloser: { staffId: f.staff.kelaHandler, organisationId: f.orgs.kelaSouth },
          recipients: [{ staffId: f.staff.countyAWorker, organisationId: f.orgs.countyA }],
          clientId: f.clients!.a.id,
          categories: ['identity'],
          basis: 'totul_18',
        },
        { ...signer, every: 1 },
      ),
    );
  });
  after(async () => {
    await Promise.all([owner?.close(), app?.close(), admin?.close()]);
    await roles?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the application role cannot UPDATE, DELETE or TRUNCATE the log tables, nor switch their triggers off', async () => {
    for (const table of LOG_TABLES) {
      const column = table === 'audit_log_checkpoints' ? 'signed_at' : 'at';
      expect(await refusal(app, `UPDATE ${table} SET ${column} = ${column}`), `UPDATE ${table}`).to.match(/permission denied/);
      expect(await refusal(app, `DELETE FROM ${table}`), `DELETE ${table}`).to.match(/permission denied/);
      expect(await refusal(app, `TRUNCATE ${table}`), `TRUNCATE ${table}`).to.match(/permission denied/);
      expect(await refusal(app, `ALTER TABLE ${table} DISABLE TRIGGER USER`), `ALTER ${table}`).to.match(/must be owner/);
    }
    expect(await refusal(app, 'SET session_replication_role = replica')).to.match(/permission denied/);
    expect((await app.query<{ n: number }>('SELECT count(*)::int AS n FROM client_access_events'))[0].n).to.equal(16);
  });

  it('the application role cannot turn the purge on: setting the flag by hand does nothing', async () => {
    const byHand = (table: string) =>
      app.tx(async (q) => {
        await q.query(`SELECT set_config('rinki.audit_purge', 'on', true)`);
        await q.query(`DELETE FROM ${table}`);
      });
    expect(await byHand('client_access_events').then(() => 'accepted', (e: Error) => e.message)).to.match(/permission denied/);
    // Even given DELETE, the triggers honour the flag only for the tables' owner.
    await admin.exec(`GRANT DELETE ON client_access_events, audit_log_entries TO ${roles.appRole}`);
    try {
      for (const table of ['client_access_events', 'audit_log_entries']) {
        expect(await byHand(table).then(() => 'accepted', (e: Error) => e.message), table).to.match(/append-only: DELETE refused/);
      }
    } finally {
      await admin.exec(`REVOKE DELETE ON client_access_events, audit_log_entries FROM ${roles.appRole}`);
    }
    expect((await app.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log_entries WHERE log = 'access'"))[0].n).to.equal(16);
  });

  it('every signed checkpoint is also published to the checkpoint file, the latest per log', () => {
    const published = readPublishedCheckpoints(checkpointFile);
    expect(published.map((c) => [c.log, c.seq])).to.deep.equal([
      ['access', 16],
      ['disclosure', 1],
    ]);
  });

  it('audit:verify fails on an edited chain entry, an edited or deleted access event, a cut-off end and a deleted checkpoint', async () => {
    const intact = await verdictAfter(async () => undefined);
    expect(intact.ok, intact.lines.join('\n')).to.equal(true);
    expect(intact.lines.join('\n'))
      .to.contain('access: OK, 16 entries')
      .and.to.contain(`access: published checkpoint at seq 16 in ${checkpointFile}`)
      .and.to.contain('access: client_access_events matches the chain (16 rows)')
      .and.to.contain('disclosure: disclosures matches the chain (1 rows)');

    const editedEntry = await verdictAfter((q) => q.query(`UPDATE audit_log_entries SET entry_text = replace(entry_text, 'case_handling', 'audit') WHERE log = 'access' AND seq = 12`));
    expect(editedEntry.ok).to.equal(false);
    expect(editedEntry.lines.join('\n')).to.contain("access: BROKEN at seq 12: entry 12's content does not match its hash (edited)");

    const [event] = await app.query<{ id: number }>("SELECT min(id)::int AS id FROM client_access_events WHERE purpose = 'case_handling'");
    const editedEvent = await verdictAfter((q) => q.query(`UPDATE client_access_events SET purpose = 'audit' WHERE id = $1`, [event.id]));
    expect(editedEvent.ok).to.equal(false);
    expect(editedEvent.lines.join('\n')).to.contain(`access: BROKEN: client_access_events row ${event.id} differs from chain entry 11 in purpose (edited)`);

    const deletedEvent = await verdictAfter((q) => q.query('DELETE FROM client_access_events WHERE id = $1', [event.id]));
    expect(deletedEvent.ok).to.equal(false);
    expect(deletedEvent.lines.join('\n')).to.contain('access: BROKEN: chain entry 11 has no client_access_events row (deleted)');

    // The end cut off: the last entries, their checkpoints and their rows. The database alone cannot tell.
    const cutOff = async (q: Queryable) => {
      await q.query(
        `DELETE FROM client_access_events WHERE id IN (SELECT (entry_text::jsonb->>'eventId')::bigint FROM audit_log_entries WHERE log = 'access' AND seq > 12)`,
      );
      await q.query(`DELETE FROM audit_log_entries WHERE log = 'access' AND seq > 12`);
      await q.query(`DELETE FROM audit_log_checkpoints WHERE log = 'access' AND seq > 12`);
    };
    const unpublished = await verdictAfter(cutOff, { published: false });
    expect(unpublished.ok, 'without the published checkpoint').to.equal(true);
    const truncated = await verdictAfter(cutOff);
    expect(truncated.ok).to.equal(false);
    expect(truncated.lines.join('\n')).to.contain(
      `access: BROKEN at seq 13: the chain ends at seq 12, before the checkpoint at seq 16 published in ${checkpointFile} (the end of the log was cut off)`,
    );

    const deletedCheckpoint = await verdictAfter((q) => q.query(`DELETE FROM audit_log_checkpoints WHERE log = 'access' AND seq = 16`));
    expect(deletedCheckpoint.ok).to.equal(false);
    expect(deletedCheckpoint.lines.join('\n')).to.contain(`access: BROKEN at seq 16: the checkpoint at seq 16 published in ${checkpointFile} is missing from the database (deleted)`);
  });

  it('the application role runs the purge, which purges only what retention allows', async () => {
    expect(await purgeLog(app, 'access', 30).then(() => 'accepted', (e: Error) => e.message)).to.match(/kept at least 730 days/);
    // Entries 1-10 are 800 days old; the newest checkpoint with only older entries up to it is 8.
    expect(await purgeLog(app, 'access', 730)).to.deep.equal({ log: 'access', purgedThrough: 8, entries: 8 });
    expect(await purgeLog(app, 'disclosure', 730)).to.deep.equal({ log: 'disclosure', entries: 0 });
    expect((await app.query<{ n: number }>('SELECT count(*)::int AS n FROM client_access_events'))[0].n).to.equal(8);
    const after = await verdictAfter(async () => undefined);
    expect(after.ok, after.lines.join('\n')).to.equal(true);
    expect(after.lines.join('\n')).to.contain('access: OK, 8 entries').and.to.contain('starts after the signed checkpoint at seq 8');
  });
});

describe('Rinki as the application role', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  before(async () => {
    rinki = await startTestRinki({ store: 'postgres', twoRoles: true });
  });
  after(() => rinki?.cleanup());

  it('migrates as the owner and serves client look-ups and the client report with the application grants', async () => {
    const { db } = rinki.deps;
    const [{ user }] = await db.query<{ user: string }>('SELECT current_user AS user');
    expect(user).to.match(/^rinki_app_/);
    const f = await makeOrgFixture(db, rinki.deps.keys);
    const post = async (staffId: string, url: string, body: unknown) => {
      const res = await fetch(`${rinki.url}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await apiTokenFor(rinki, staffId)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await post(f.staff.kelaHandler, '/api/clients/lookup', { hetu: f.clients!.a.hetu, purpose: 'case_handling' })).status).to.equal(200);
    const report = await post(f.staff.auditor, '/api/disclosures/client-report', { client: { hetu: f.clients!.a.hetu }, format: 'json', language: 'fi' });
    expect(report.status).to.equal(200);
    expect(report.body.accesses).to.have.length(1);
    expect(await refusal(db, 'UPDATE client_access_events SET purpose = purpose')).to.match(/permission denied/);
  });
});

describe('settings of the two roles and the published checkpoint', () => {
  it('needs DATABASE_URL naming the application role with DATABASE_OWNER_URL, and a postgres:// owner URL', () => {
    expect(() => parseConfig({ DATABASE_OWNER_URL: 'postgres://owner@db/rinki' })).to.throw(ConfigError, /DATABASE_URL: with DATABASE_OWNER_URL/);
    expect(() => parseConfig({ DATABASE_OWNER_URL: 'postgres://owner@db/rinki', DATABASE_URL: 'postgres://db/rinki' })).to.throw(ConfigError, /DATABASE_URL/);
    expect(() => parseConfig({ DATABASE_OWNER_URL: 'mysql://owner@db/rinki', DATABASE_URL: 'postgres://app@db/rinki' })).to.throw(ConfigError, /DATABASE_OWNER_URL/);
    const c = parseConfig({ DATABASE_OWNER_URL: 'postgres://owner:pw@db/rinki', DATABASE_URL: 'postgres://app:pw@db/rinki' });
    expect(c.databaseOwnerUrl).to.equal('postgres://owner:pw@db/rinki');
  });

  it('publishes checkpoints to DATA_DIR/audit-checkpoint.json unless AUDIT_CHECKPOINT_FILE says where', () => {
    expect(parseConfig({ DATA_DIR: '/srv/rinki' }).audit.checkpointFile).to.equal('/srv/rinki/audit-checkpoint.json');
    expect(parseConfig({ DATA_DIR: '/srv/rinki', AUDIT_CHECKPOINT_FILE: '/mnt/evidence/node-1.json' }).audit.checkpointFile).to.equal('/mnt/evidence/node-1.json');
  });
});
