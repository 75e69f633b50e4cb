// The tables the 11 § client report reads are append-only on both engines,
// and audit:verify checks that their rows say what the chain says: an edit
// that gets past the triggers (a superuser disabling them) is still found.
import { expect } from 'chai';
import { STORE_KINDS, testDb } from '../../../tests/helpers/env.ts';
import { sodium } from '../crypto/sodium.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';
import type { Db, Queryable } from '../store/db.ts';
import { recordAccess } from './access.ts';
import { seedLegalBases } from './legal-bases.ts';
import { recordDisclosure } from './record.ts';
import { verifyLogRows } from './rows.ts';
import type { CheckpointSigner } from './store.ts';

const LOG_TABLES = ['audit_log_entries', 'audit_log_checkpoints', 'client_access_events', 'disclosures'];

async function refusal(q: Queryable, sql: string): Promise<string> {
  try {
    await q.query(sql);
  } catch (err) {
    return String((err as Error).message);
  }
  return 'accepted';
}

/** Runs `fn` with the triggers of the log tables off, as someone with database admin rights could. */
async function asAdmin(db: Db, fn: (q: Queryable) => Promise<void>): Promise<void> {
  await db.tx(async (q) => {
    for (const t of LOG_TABLES) await q.exec(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    await fn(q);
    for (const t of LOG_TABLES) await q.exec(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
  });
}

for (const kind of STORE_KINDS) {
  describe(`append-only log tables (${kind})`, function () {
    this.timeout(90_000);
    let db: Db;
    let cleanup: () => Promise<void>;
    let f: OrgFixture;
    let signer: CheckpointSigner;

    beforeEach(async () => {
      ({ db, cleanup } = await testDb(kind));
      f = await makeOrgFixture(db, { clientIdKey: new Uint8Array(32) });
      await seedLegalBases(db);
      signer = { secretKey: (await sodium()).crypto_sign_keypair().privateKey, every: 2, seconds: 3600 };
      const at = new Date();
      await db.tx(async (q) => {
        for (const purpose of ['routing', 'case_handling', 'audit']) {
          await recordAccess(q, { actorId: f.staff.kelaHandler, actorOrganisationId: f.orgs.kelaSouth, clientId: f.clients!.a.id, action: 'client.read', purpose, at }, signer);
        }
        await recordDisclosure(
          q,
          {
            at,
            discloser: { staffId: f.staff.kelaHandler, organisationId: f.orgs.kelaSouth },
            recipients: [{ staffId: f.staff.countyAWorker, organisationId: f.orgs.countyA }],
            clientId: f.clients!.a.id,
            categories: ['identity'],
            basis: 'totul_18',
          },
          signer,
        );
      });
    });
    afterEach(() => cleanup());

    it('refuses UPDATE, DELETE and TRUNCATE on every table the client report reads', async () => {
      for (const table of LOG_TABLES) {
        const column = table === 'audit_log_entries' || table === 'audit_log_checkpoints' ? 'log' : 'client_id';
        expect(await refusal(db, `UPDATE ${table} SET ${column} = ${column}`), `UPDATE ${table}`).to.match(/append-only/);
        expect(await refusal(db, `DELETE FROM ${table}`), `DELETE ${table}`).to.match(/append-only/);
        expect(await refusal(db, `TRUNCATE ${table} CASCADE`), `TRUNCATE ${table}`).to.match(/append-only/);
      }
      expect(await db.query('SELECT 1 FROM client_access_events')).to.have.length(3);
    });

    it('finds an access or disclosure row that was edited, deleted or slipped in past the triggers', async () => {
      expect(await verifyLogRows(db, 'access')).to.deep.equal({ ok: true, table: 'client_access_events', rows: 3 });
      expect(await verifyLogRows(db, 'disclosure')).to.deep.equal({ ok: true, table: 'disclosures', rows: 1 });
      expect(await verifyLogRows(db, 'other')).to.equal(undefined);

      const [second] = await db.query<{ id: number }>("SELECT id FROM client_access_events WHERE purpose = 'case_handling'");
      await asAdmin(db, (q) => q.query("UPDATE client_access_events SET purpose = 'routing' WHERE id = $1", [second.id]).then(() => undefined));
      const edited = await verifyLogRows(db, 'access');
      expect(edited).to.include({ ok: false, table: 'client_access_events' });
      expect(edited?.ok === false && edited.reason).to.equal(`client_access_events row ${second.id} differs from chain entry 2 in purpose (edited)`);

      await asAdmin(db, (q) => q.query('DELETE FROM client_access_events WHERE id = $1', [second.id]).then(() => undefined));
      const deleted = await verifyLogRows(db, 'access');
      expect(deleted?.ok === false && deleted.reason).to.equal('chain entry 2 has no client_access_events row (deleted)');

      await db.query(`INSERT INTO client_access_events (at, actor_id, actor_organisation_id, client_id, action, purpose) VALUES (now(), $1, $2, $3, 'client.read', 'routing')`, [
        f.staff.kelaHandler,
        f.orgs.kelaSouth,
        f.clients!.b.id,
      ]);
      const inserted = await verifyLogRows(db, 'access');
      expect(inserted?.ok === false && inserted.reason).to.match(/^chain entry 2 has no client_access_events row/);

      await asAdmin(db, (q) => q.query("UPDATE disclosures SET basis = 'shl_35', recipients = '[]'").then(() => undefined));
      const disclosure = await verifyLogRows(db, 'disclosure');
      expect(disclosure?.ok === false && disclosure.reason).to.match(/^disclosures row .+ differs from chain entry 1 in recipients, basis \(edited\)$/);
    });

    it('finds a row with no chain entry', async () => {
      await db.query(`INSERT INTO client_access_events (at, actor_id, actor_organisation_id, client_id, action, purpose) VALUES (now(), $1, $2, $3, 'client.read', 'routing')`, [
        f.staff.kelaHandler,
        f.orgs.kelaSouth,
        f.clients!.b.id,
      ]);
      const [{ id }] = await db.query<{ id: number }>('SELECT max(id)::int AS id FROM client_access_events');
      const r = await verifyLogRows(db, 'access');
      expect(r?.ok === false && r.reason).to.equal(`client_access_events row ${id} has no chain entry (inserted)`);
    });
  });
}
