import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { loadKeys } from '../crypto/keys.ts';
import { parseConfig } from '../config.ts';
import { openDb, type Db } from '../store/db.ts';
import { REPO_ROOT, STORE_KINDS, tempDir, testDb } from '../../../tests/helpers/env.ts';
import { FIXTURE, fixtureBatch } from './fixtures.ts';
import { importDirectory, kindFromFileName, readCsv, readJson } from './import.ts';
import { hashHetu } from './client-id.ts';
import * as repo from './repository.ts';

const key = new Uint8Array(32).fill(3);
const system = { kind: 'system' } as const;

for (const store of STORE_KINDS) {
  describe(`directory import on ${store}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ db, cleanup } = await testDb(store));
    });
    after(() => cleanup());

    it('imports a whole JSON document in one go, organisations before their districts', async () => {
      const batch = fixtureBatch(true);
      batch.organisations!.reverse();
      const report = await importDirectory(db, key, batch, { dryRun: false, scope: system });
      expect(report.ok, JSON.stringify(report.issues)).to.equal(true);
      expect(report.counts.organisations).to.deep.equal({ created: 5, updated: 0 });
      expect(report.counts.clients).to.deep.equal({ created: 2, updated: 0 });
      expect(await repo.clientIdByHetuHash(db, await hashHetu(key, FIXTURE.hetus.clientA))).to.be.a('string');
    });

    it('is idempotent: a second import updates, creates nothing', async () => {
      const count = async () => (await db.query<{ n: number }>('SELECT (SELECT count(*) FROM staff) + (SELECT count(*) FROM clients) + (SELECT count(*) FROM staff_roles) + (SELECT count(*) FROM team_members) + (SELECT count(*) FROM kela_applications) + (SELECT count(*) FROM client_named_workers) AS n'))[0].n;
      const before = await count();
      const report = await importDirectory(db, key, fixtureBatch(true), { dryRun: false, scope: system });
      expect(report.counts.staff).to.deep.equal({ created: 0, updated: 13 });
      expect(report.counts.clients).to.deep.equal({ created: 0, updated: 2 });
      expect(await count()).to.equal(before);
    });

    it('reports every bad row of every kind with its JSON line and field, and writes nothing', async () => {
      const doc = JSON.stringify({
        teams: [
          { id: 'ok-team', organisationId: FIXTURE.orgs.countyA, nameFi: 'x', nameSv: 'x' },
          { id: 'bad-team', organisationId: 'nope', nameFi: 'x', nameSv: 'x' },
        ],
        staff: [
          { id: 'p1', organisationId: FIXTURE.orgs.countyA, displayName: 'P', roles: [{ role: 'wizard', organisationId: FIXTURE.orgs.countyA }] },
          { id: 'p2', organisationId: FIXTURE.orgs.countyA, displayName: 'P', teamIds: ['no-team'] },
          { id: 'p3', organisationId: FIXTURE.orgs.countyA, displayName: 'P', password: 'long enough' },
          { id: 'p4', organisationId: FIXTURE.orgs.countyA, displayName: 'P', username: 'same.name' },
          { id: 'p5', organisationId: FIXTURE.orgs.countyA, displayName: 'P', username: 'same.name' },
        ],
        clients: [
          { hetu: fictionalHetu('1990-01-01', 5), municipalityCode: FIXTURE.municipalities.a1, namedWorkers: [{ staffId: 'ghost', kind: 'omatyontekija' }] },
          { hetu: fictionalHetu('1990-01-01', 5), municipalityCode: FIXTURE.municipalities.a1 },
          { hetu: fictionalHetu('1990-01-02', 6), municipalityCode: FIXTURE.municipalities.a1, applications: [{ id: FIXTURE.applications.clientA, submittedAt: '2026-01-01T00:00:00Z' }] },
        ],
      });
      const before = await repo.listTeams(db);
      const report = await importDirectory(db, key, readJson(doc), { dryRun: false, scope: system });
      expect(report.ok).to.equal(false);
      expect(report.issues.map((i) => [i.kind, i.line, i.path])).to.deep.equal([
        ['teams', 2, 'organisationId'],
        ['staff', 1, 'roles.0.role'],
        ['staff', 2, 'teamIds.0'],
        ['staff', 3, 'password'],
        ['staff', 5, 'username'],
        ['clients', 1, 'namedWorkers.0.staffId'],
        ['clients', 2, 'hetu'],
        ['clients', 3, 'applications.0.id'],
      ]);
      expect(await repo.listTeams(db)).to.deep.equal(before);
      expect(await repo.getStaff(db, 'p4')).to.equal(undefined);
    });

    it('imports staff from CSV with roles, teams and a local password, hashing only when given', async () => {
      const csv = [
        'id,organisationId,displayName,username,password,languages,roles,teamIds,active',
        `csv-1,${FIXTURE.orgs.countyA},Csv Yksi,csv.yksi,salasana-123,fi;sv,caseworker;liaison,${FIXTURE.teams.countyA},true`,
        `csv-2,${FIXTURE.orgs.countyA},Csv Kaksi,,,fi,caseworker@${FIXTURE.orgs.countyA},,kyllä`,
      ].join('\n');
      let hashed = 0;
      const report = await importDirectory(db, key, readCsv(csv, 'staff'), {
        dryRun: false,
        scope: system,
        hashPassword: async (pw) => {
          hashed++;
          return (await import('../auth/passwords.ts')).hashPassword(pw);
        },
      });
      expect(report.ok, JSON.stringify(report.issues)).to.equal(true);
      expect(hashed).to.equal(1);
      const s = await repo.getStaff(db, 'csv-1', { withPrivate: true });
      expect(s).to.deep.include({ username: 'csv.yksi', languages: ['fi', 'sv'], teamIds: [FIXTURE.teams.countyA] });
      expect(s!.roles.map((g) => g.role)).to.have.members(['caseworker', 'liaison']);
      const [row] = await db.query<{ password_hash: string }>("SELECT password_hash FROM staff WHERE id = 'csv-1'");
      expect(await verifyPassword(row.password_hash, 'salasana-123')).to.equal(true);
      // a reimport without the password keeps the stored hash
      await importDirectory(db, key, readCsv(csv.replace('salasana-123', ''), 'staff'), { dryRun: false, scope: system });
      const [again] = await db.query<{ password_hash: string }>("SELECT password_hash FROM staff WHERE id = 'csv-1'");
      expect(again.password_hash).to.equal(row.password_hash);
    });

    it('keeps admin and auditor apart even in the operators’ import, and names an unknown operator', async () => {
      const csv = `id,organisationId,displayName,roles\nboth-1,${FIXTURE.orgs.countyA},Kaksi Roolia,admin;auditor\n`;
      const report = await importDirectory(db, key, readCsv(csv, 'staff'), { dryRun: false, scope: system });
      expect(report.issues.map((i) => [i.line, i.path])).to.deep.equal([[2, 'roles']]);
      expect(report.issues[0].message).to.match(/admin and auditor/);
      const nobody = await importDirectory(db, key, readCsv(`id,organisationId,displayName\nx-1,${FIXTURE.orgs.countyA},X\n`, 'staff'), { dryRun: true, scope: { kind: 'system', operatorId: 'nobody' } });
      expect(nobody.issues.map((i) => i.path)).to.deep.equal(['(operator)']);
    });

    it('keeps what a row leaves out: a person’s roles, teams and titles, a client’s non-disclosure and named workers', async () => {
      const before = (await repo.getStaff(db, FIXTURE.staff.countyAWorker))!;
      const report = await importDirectory(db, key, readCsv(`id,organisationId,displayName\n${FIXTURE.staff.countyAWorker},${FIXTURE.orgs.countyA},Anna Uusinimi\n`, 'staff'), { dryRun: false, scope: system });
      expect(report.ok, JSON.stringify(report.issues)).to.equal(true);
      expect(await repo.getStaff(db, FIXTURE.staff.countyAWorker)).to.deep.equal({ ...before, displayName: 'Anna Uusinimi' });
      const clientB = (await repo.clientIdByHetuHash(db, await hashHetu(key, FIXTURE.hetus.clientB)))!;
      const clientA = (await repo.clientIdByHetuHash(db, await hashHetu(key, FIXTURE.hetus.clientA)))!;
      const csv = `hetu,municipalityCode\n${FIXTURE.hetus.clientB},${FIXTURE.municipalities.b1}\n${FIXTURE.hetus.clientA},${FIXTURE.municipalities.a1}\n`;
      expect((await importDirectory(db, key, readCsv(csv, 'clients'), { dryRun: false, scope: system })).ok).to.equal(true);
      const [b] = await db.query<{ non_disclosure: boolean; language: string }>('SELECT non_disclosure, language FROM clients WHERE id = $1', [clientB]);
      expect(b).to.deep.equal({ non_disclosure: true, language: 'sv' });
      expect((await repo.namedWorkers(db, clientA)).map((w) => w.staffId)).to.deep.equal([FIXTURE.staff.countyAWorker]);
    });

    it('reports CSV lines counting the header as line 1, and bad cells by column', async () => {
      const csv = ['code,nameFi,nameSv,countyId', `981,Yksi,Ett,${FIXTURE.orgs.countyA}`, '', `98,Kaksi,Två,${FIXTURE.orgs.countyA}`, `983,Kolme,Tre,${FIXTURE.orgs.kela}`].join('\n');
      const report = await importDirectory(db, key, readCsv(csv, 'municipalities'), { dryRun: true, scope: system });
      expect(report.issues.map((i) => [i.line, i.path])).to.deep.equal([
        [4, 'code'],
        [5, 'countyId'],
      ]);
    });

    it('dry-runs: reports counts, writes nothing', async () => {
      const csv = `code,nameFi,nameSv,countyId\n984,Neljä,Fyra,${FIXTURE.orgs.countyB}\n${FIXTURE.municipalities.a1},Akylä,Aby,${FIXTURE.orgs.countyA}\n`;
      const report = await importDirectory(db, key, readCsv(csv, 'municipalities'), { dryRun: true, scope: system });
      expect(report).to.deep.include({ ok: true, dryRun: true, counts: { municipalities: { created: 1, updated: 1 } } });
      expect((await repo.listMunicipalities(db)).map((m) => m.code)).not.to.include('984');
    });
  });
}

describe('import file reading', () => {
  it('names the kind of a CSV file from its name', () => {
    expect(kindFromFileName('/x/2026-staff.csv')).to.equal('staff');
    expect(kindFromFileName('clients.csv')).to.equal('clients');
    expect(kindFromFileName('other.csv')).to.equal(undefined);
  });

  it('refuses unknown sections of a JSON document', () => {
    expect(() => readJson('{"people": []}')).to.throw(/unknown section/);
    expect(() => readJson('[1]')).to.throw(/needs kind/);
  });
});

describe('npm run import (CLI)', function () {
  this.timeout(120_000);
  it('imports a JSON document into the configured database, then reports a bad CSV without writing', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'directory.json');
    const batch = fixtureBatch(true);
    fs.writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(batch).map(([k, rows]) => [k, rows!.map((r) => r.value)]))));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/src/directory/import-cli.ts'), ...args], {
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL')), DATA_DIR: dataDir },
        encoding: 'utf8',
      });
    // The operator is named for the logs: a person of the directory, here one the file creates.
    expect(run(file).status).to.equal(2);
    const ok = run(file, '--operator', FIXTURE.staff.kelaAdmin);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout).counts.clients).to.deep.equal({ created: 2, updated: 0 });

    const csv = path.join(dataDir, 'staff.csv');
    fs.writeFileSync(csv, 'id,organisationId,displayName\nz-1,nope,Z\nz-2,county-a,\n');
    const bad = run(csv, '--dry-run');
    expect(bad.status).to.equal(1);
    expect(JSON.parse(bad.stdout).issues.map((i: { line: number; path: string }) => [i.line, i.path])).to.deep.equal([
      [2, 'organisationId'],
      [3, 'displayName'],
    ]);
    expect(run().status).to.equal(2);

    const db = await openDb({ dataDir });
    try {
      const keys = await loadKeys(parseConfig({ DATA_DIR: dataDir }));
      expect(await repo.clientIdByHetuHash(db, await hashHetu(keys.clientIdKey, FIXTURE.hetus.clientB))).to.be.a('string');
      expect(await repo.getStaff(db, 'z-1')).to.equal(undefined);
      // Every client row written is in the access log, and every role granted in the change history, in the operator's name.
      const access = await db.query<{ actor_id: string; action: string; purpose: string }>('SELECT actor_id, action, purpose FROM client_access_events');
      expect(access).to.have.length(2);
      expect(access.every((a) => a.actor_id === FIXTURE.staff.kelaAdmin && a.action === 'client.import' && a.purpose === 'directory_import')).to.equal(true);
      const [entries] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log_entries WHERE log = 'access'`);
      expect(entries.n).to.equal(2);
      const grants = await db.query<{ actor_id: string; action: string }>(`SELECT actor_id, action FROM admin_changes WHERE kind = 'role'`);
      expect(grants.length).to.be.greaterThan(10);
      expect(grants.every((g) => g.actor_id === FIXTURE.staff.kelaAdmin && g.action === 'granted')).to.equal(true);
    } finally {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
