import { expect } from 'chai';
import { STORE_KINDS, testDb } from '../../../tests/helpers/env.ts';
import type { Db } from '../store/db.ts';
import { hashHetu } from './client-id.ts';
import { makeOrgFixture, type OrgFixture } from './fixtures.ts';
import * as repo from './repository.ts';
import { DirectoryCache } from './snapshot.ts';

const key = new Uint8Array(32).fill(7);

for (const store of STORE_KINDS) {
  describe(`directory repository on ${store}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let f: OrgFixture;
    before(async () => {
      ({ db, cleanup } = await testDb(store));
      f = await makeOrgFixture(db, { clientIdKey: key });
    });
    after(() => cleanup());

    it('lists organisations and resolves a district to the Kela root', async () => {
      const orgs = await repo.listOrganisations(db);
      expect(orgs.map((o) => o.id)).to.include.members(Object.values(f.orgs));
      expect(await repo.organisationScope(db, f.orgs.kelaSouth)).to.deep.equal({ id: f.orgs.kelaSouth, rootId: f.orgs.kela, kind: 'kela_district' });
      expect(await repo.organisationScope(db, f.orgs.countyA)).to.deep.equal({ id: f.orgs.countyA, rootId: f.orgs.countyA, kind: 'county' });
    });

    it('finds a client by hetu hash and by Kela application id', async () => {
      const byHetu = await repo.clientIdByHetuHash(db, await hashHetu(key, f.clients!.a.hetu));
      expect(byHetu).to.equal(f.clients!.a.id);
      expect(await repo.clientIdByHetuHash(db, await hashHetu(key, f.clients!.a.hetu.toLowerCase()))).to.equal(byHetu);
      expect(await repo.clientIdByApplicationId(db, f.applications.clientA)).to.equal(byHetu);
      expect(await repo.clientIdByApplicationId(db, 'no-such')).to.equal(undefined);
      const now = new Date();
      expect(await repo.clientScope(db, byHetu!, f.staff.kelaWorker, now, 86_400_000)).to.deep.equal({ countyId: f.orgs.countyA, nonDisclosure: false, relations: [], inNonDisclosureTeam: false });
      expect((await repo.clientScope(db, byHetu!, f.staff.kelaHandler, now, 86_400_000))!.relations).to.deep.equal(['application_handler']);
      expect((await repo.clientScope(db, byHetu!, f.staff.countyAWorker, now, 86_400_000))!.relations).to.deep.equal(['named_worker']);
    });

    it('returns named workers and the pending application handler', async () => {
      const workers = await repo.namedWorkers(db, f.clients!.a.id);
      expect(workers).to.deep.equal([
        { staffId: f.staff.countyAWorker, displayName: 'Anna Sosiaalityöntekijä', organisationId: f.orgs.countyA, organisationNameFi: 'Testi A hyvinvointialue', organisationNameSv: 'Test A välfärdsområde', kind: 'omatyontekija' },
      ]);
      const handler = await repo.pendingApplicationHandler(db, f.clients!.a.id);
      expect(handler).to.include({ staffId: f.staff.kelaHandler, organisationId: f.orgs.kelaSouth });
      expect(await repo.pendingApplicationHandler(db, f.clients!.b.id)).to.equal(undefined);
    });

    it('builds the whole client record', async () => {
      const rec = await repo.getClientRecord(db, new DirectoryCache(db), f.clients!.b.id);
      expect(rec).to.deep.include({ language: 'sv', nonDisclosure: true, namedWorkers: [], pendingApplications: [] });
      expect(rec!.county.id).to.equal(f.orgs.countyB);
      expect(rec!.municipality.code).to.equal(f.municipalities.b1);
    });

    it('lists liaisons and contacts of a municipality', async () => {
      const liaisons = await repo.municipalityContacts(db, f.municipalities.a1, 'liaison');
      expect(liaisons.map((c) => c.staffId)).to.deep.equal([f.staff.kelaLiaison]);
      const all = await repo.municipalityContacts(db, f.municipalities.a1);
      expect(all.map((c) => [c.staffId, c.kind])).to.deep.equal([
        [f.staff.kelaLiaison, 'liaison'],
        [f.staff.countyAContact, 'contact'],
      ]);
      expect(await repo.municipalityContacts(db, f.municipalities.b1)).to.deep.equal([]);
    });

    it('lists staff by team, without password hashes', async () => {
      const members = await repo.staffByTeam(db, f.teams.kelaSouth);
      expect(members.map((s) => s.id)).to.have.members([f.staff.kelaWorker, f.staff.kelaHandler, f.staff.kelaLiaison, f.staff.kelaSupervisor]);
      for (const m of members) expect(m).not.to.have.property('password_hash');
      const team = await repo.getTeam(db, f.teams.kelaSouth);
      expect(team!.supervisorId).to.equal(f.staff.kelaSupervisor);
      expect(team!.memberIds).to.have.length(4);
    });

    it('finds the current absence and its stand-in at a time', async () => {
      const a = await repo.createAbsence(db, {
        staffId: f.staff.kelaHandler,
        startsAt: '2026-02-01T00:00:00Z',
        endsAt: '2026-02-15T00:00:00Z',
        standInId: f.staff.kelaWorker,
        reason: 'leave',
      });
      const during = await repo.currentAbsence(db, f.staff.kelaHandler, new Date('2026-02-10T12:00:00Z'));
      expect(during!.absence.id).to.equal(a.id);
      expect(during!.standIn).to.include({ staffId: f.staff.kelaWorker, displayName: 'Kaisa Kelalainen' });
      expect(await repo.currentAbsence(db, f.staff.kelaHandler, new Date('2026-02-15T00:00:00Z'))).to.equal(undefined);
      expect(await repo.currentAbsence(db, f.staff.kelaHandler, new Date('2026-01-31T23:59:59Z'))).to.equal(undefined);
    });

    it('says whether a team is open, holidays included', async () => {
      expect(await repo.isTeamOpen(db, f.teams.kelaSouth, new Date('2026-01-14T07:00:00Z'))).to.equal(true);
      expect(await repo.isTeamOpen(db, f.teams.kelaSouth, new Date('2026-01-14T15:00:00Z'))).to.equal(false);
      expect(await repo.isTeamOpen(db, f.teams.kelaSouth, new Date('2026-01-06T07:00:00Z'))).to.equal(false); // Epiphany
      expect(await repo.isTeamOpen(db, 'no-such-team', new Date('2026-01-14T07:00:00Z'))).to.equal(false);
    });

    it('upserts and deactivates staff, keeping roles scoped', async () => {
      const created = await repo.upsertStaff(db, {
        id: 'temp-1', organisationId: f.orgs.countyA, displayName: 'Tilapäinen', languages: ['fi'], segments: [], active: true,
        roles: [{ role: 'caseworker', organisationId: f.orgs.countyA }], teamIds: [f.teams.countyA],
      });
      expect(created.created).to.equal(true);
      const again = await repo.upsertStaff(db, {
        id: 'temp-1', organisationId: f.orgs.countyA, displayName: 'Tilapäinen 2', languages: ['fi', 'sv'], segments: [], active: true,
        roles: [], teamIds: [],
      });
      expect(again.created).to.equal(false);
      const s = await repo.getStaff(db, 'temp-1');
      expect(s).to.deep.include({ displayName: 'Tilapäinen 2', roles: [], teamIds: [], languages: ['fi', 'sv'] });
      expect(await repo.deactivateStaff(db, 'temp-1')).to.equal(true);
      expect((await repo.getStaff(db, 'temp-1'))!.active).to.equal(false);
    });
  });
}
