// The directory copy routing reads: it must never route on stale facts.
import { expect } from 'chai';
import { STORE_KINDS, testDb } from '../../../tests/helpers/env.ts';
import type { Db } from '../store/db.ts';
import { makeOrgFixture, type OrgFixture } from './fixtures.ts';
import { readClientRecord } from './repository.ts';
import { DirectoryCache, loadDirectory } from './snapshot.ts';

for (const store of STORE_KINDS) {
  describe(`directory in memory on ${store}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let f: OrgFixture;
    beforeEach(async () => {
      ({ db, cleanup } = await testDb(store));
      f = await makeOrgFixture(db, { clientIdKey: new Uint8Array(32).fill(3) });
    });
    afterEach(() => cleanup());

    it('answers as the database does: teams, absences, liaisons, roles', async () => {
      const d = await loadDirectory(db);
      expect(d.teamMembers(f.teams.kelaSouth).length).to.be.greaterThan(0);
      expect(d.staff(f.staff.kelaHandler)).to.include({ organisationId: f.orgs.kelaSouth, organisationKind: 'kela_district', active: true });
      expect(d.organisationAndUnits(f.orgs.kela)).to.deep.equal([f.orgs.kela, f.orgs.kelaSouth, f.orgs.kelaWest].sort());
      expect(d.liaisons(f.municipalities.a1)).to.include(f.staff.kelaLiaison);
      expect(d.absenceAt(f.staff.kelaHandler, new Date())).to.equal(undefined);
    });

    it('reloads after any change to the directory, also one made in SQL behind its back, and only then', async () => {
      const cache = new DirectoryCache(db);
      const first = await cache.snapshot();
      expect(await cache.snapshot()).to.equal(first);
      await db.query(
        `INSERT INTO absences (id, staff_id, starts_at, ends_at, stand_in_id, reason) VALUES ('abs-1', $1, now() - interval '1 hour', now() + interval '1 day', $2, 'sick')`,
        [f.staff.kelaHandler, f.staff.kelaWorker],
      );
      const second = await cache.snapshot();
      expect(second).to.not.equal(first);
      expect(second.version).to.be.greaterThan(first.version);
      expect(second.absenceAt(f.staff.kelaHandler, new Date())).to.include({ standInId: f.staff.kelaWorker, reason: 'sick' });
      await db.query('UPDATE staff SET display_name = $2 WHERE id = $1', [f.staff.kelaHandler, 'Uusi Nimi']);
      // The client record's names come from the copy its own query's version asked for.
      const { client, directory } = (await readClientRecord(db, cache, f.clients!.a.id))!;
      expect(directory.version).to.be.greaterThan(second.version);
      expect(client.pendingApplications[0].handler).to.include({ staffId: f.staff.kelaHandler, displayName: 'Uusi Nimi' });
    });

    it('shows a transaction its own uncommitted change without keeping it for others', async () => {
      const cache = new DirectoryCache(db);
      const before = await cache.snapshot();
      try {
        await db.tx(async (q) => {
          await q.query('UPDATE staff SET active = false WHERE id = $1', [f.staff.kelaWorker]);
          const inside = await cache.snapshot(q);
          expect(inside.staff(f.staff.kelaWorker)!.active).to.equal(false);
          throw new Error('roll back');
        });
      } catch (err) {
        expect((err as Error).message).to.equal('roll back');
      }
      const after = await cache.snapshot();
      expect(after).to.equal(before);
      expect(after.staff(f.staff.kelaWorker)!.active).to.equal(true);
    });
  });
}
