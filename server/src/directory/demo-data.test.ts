import { expect } from 'chai';
import { validateHetu } from '../../../shared/src/hetu.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { DEMO_ACCOUNTS, DEMO_CLIENTS, DEMO_CLIENT_COUNT, DEMO_PASSWORD, demoClientHetu, loadDemoData } from './demo-data.ts';
import { dumpDatabaseText } from './fixtures.ts';
import * as repo from './repository.ts';

describe('demo data', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  before(async () => {
    rinki = await startTestRinki({ store: 'pglite', env: { DEMO_DATA: 'true' } });
  });
  after(() => rinki.cleanup());

  const n = async (sql: string) => (await rinki.deps.db.query<{ n: number }>(sql))[0].n;

  it('loads at start: Kela with five districts, three counties, ~60 staff, 1,000 clients', async () => {
    const orgs = await repo.listOrganisations(rinki.deps.db);
    expect(orgs.filter((o) => o.kind === 'kela_district')).to.have.length(5);
    expect(orgs.filter((o) => o.kind === 'county')).to.have.length(3);
    expect(await n('SELECT count(*)::int AS n FROM staff')).to.be.within(50, 70);
    expect(await n('SELECT count(*)::int AS n FROM clients')).to.equal(DEMO_CLIENT_COUNT);
    const nonDisclosure = await n('SELECT count(*)::int AS n FROM clients WHERE non_disclosure');
    expect(nonDisclosure).to.be.within(10, 30);
    const pending = await n(`SELECT count(DISTINCT client_id)::int AS n FROM kela_applications WHERE status = 'pending' AND handler_id IS NOT NULL`);
    expect(pending).to.be.within(250, 350);
    expect(await n(`SELECT count(*)::int AS n FROM clients WHERE language = 'sv'`)).to.be.greaterThan(100);
    expect(await n('SELECT count(*)::int AS n FROM absences WHERE stand_in_id IS NOT NULL')).to.equal(1);
    expect(await n(`SELECT count(DISTINCT municipality_code)::int AS n FROM municipality_contacts WHERE kind = 'liaison'`)).to.equal(
      await n('SELECT count(*)::int AS n FROM municipalities'),
    );
  });

  it('uses fictional codes only', () => {
    for (let i = 0; i < DEMO_CLIENT_COUNT; i++) expect(validateHetu(demoClientHetu(i))).to.deep.include({ valid: true, isFictional: true });
  });

  it('has the documented accounts, all with the demo password', async () => {
    for (const a of DEMO_ACCOUNTS) {
      const s = await repo.getStaff(rinki.deps.db, a.staffId, { withPrivate: true });
      expect(s, a.username).to.deep.include({ username: a.username, organisationId: a.organisationId, active: true });
    }
    const hashes = await rinki.deps.db.query<{ password_hash: string }>(
      'SELECT DISTINCT password_hash FROM staff WHERE password_hash IS NOT NULL',
    );
    expect(hashes).to.have.length(1); // hashed once, reused
    expect(await verifyPassword(hashes[0].password_hash, DEMO_PASSWORD)).to.equal(true);
    const roles = async (id: string) => (await repo.getStaff(rinki.deps.db, id))!.roles.map((g) => g.role);
    expect(await roles('kela.kasittelija')).to.include('caseworker');
    expect(await roles('eksote.admin')).to.deep.equal(['admin']);
    expect(await roles('auditor')).to.deep.equal(['auditor']);
  });

  it('lets the documented users look up the documented clients they have a task with, and nobody else', async () => {
    const lookup = async (staffId: string, hetu: string) => {
      const res = await fetch(`${rinki.url}/api/clients/lookup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await apiTokenFor(rinki, staffId)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ hetu, purpose: 'case_handling' }),
      });
      return { status: res.status, body: await res.json() };
    };
    const [eksote, keusote] = DEMO_CLIENTS;
    const own = await lookup('eksote.sosiaalityontekija', eksote.hetu);
    expect(own.status).to.equal(200);
    expect(own.body.namedWorkers.map((w: { staffId: string }) => w.staffId)).to.include('eksote.sosiaalityontekija');
    expect(own.body.pendingApplications[0]).to.deep.include({ id: eksote.applicationId });
    expect(own.body.pendingApplications[0].handler.staffId).to.equal('kela.kasittelija');
    // Need to know: the handler of a client's application reads it, another Kela handler does not.
    expect((await lookup('kela.kasittelija', keusote.hetu)).status).to.equal(404);
    expect((await lookup(keusote.handler, keusote.hetu)).status).to.equal(200);
    expect((await lookup('eksote.sosiaalityontekija', keusote.hetu)).status).to.equal(404);
    expect((await lookup('auditor', eksote.hetu)).status).to.equal(403);
  });

  it('is idempotent: a second load changes nothing', async () => {
    expect(await loadDemoData(rinki.deps)).to.deep.equal({ loaded: false });
    expect(await n('SELECT count(*)::int AS n FROM clients')).to.equal(DEMO_CLIENT_COUNT);
  });

  it('stores no henkilötunnus in clear', async () => {
    const dump = await dumpDatabaseText(rinki.deps.db);
    for (const i of [0, 1, 2, 500, 999]) expect(dump).not.to.contain(demoClientHetu(i));
  });
});
