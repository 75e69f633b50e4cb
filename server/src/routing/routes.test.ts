// Rule administration over REST on both stores: who may read and change rules,
// drafts, validation, publishing (never an invalid rule set), simulation (the
// client read is logged), rollback and diff.
import { expect } from 'chai';
import type { RuleSet } from '../../../shared/src/routing.ts';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { FIXTURE, makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';

/** Wednesday 18 November 2026, 10:00 in Helsinki. */
const OPEN_AT = '2026-11-18T08:00:00Z';

for (const store of STORE_KINDS) {
  describe(`routing rule administration REST on ${store}`, function () {
    let rinki: TestRinki;
    let f: OrgFixture;
    const tokens: Record<string, string> = {};

    before(async () => {
      rinki = await startTestRinki({ store });
      f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
      for (const id of Object.values(f.staff)) tokens[id] = await apiTokenFor(rinki, id);
    });
    after(() => rinki.cleanup());

    const call = async (staffId: string, method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { authorization: `Bearer ${tokens[staffId]}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${rinki.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const count = async (sql: string, params: unknown[] = []) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;
    const writes = async () => ({ sets: await count('routing_rule_sets'), changes: await count('routing_rule_changes') });

    const countyARules = (teamId: string): RuleSet => ({
      region: f.orgs.countyA,
      filters: [
        {
          id: 'main',
          name: 'Kaikki pyynnöt',
          match: {},
          steps: [{ id: 'team', select: { team: teamId }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }],
          final: { action: 'callback', dueWorkingDays: 1 },
        },
      ],
    });
    const A = () => `/api/routing/regions/${f.orgs.countyA}`;
    /** A made-up client of county A: a simulation reads no client record. */
    const profile = { kind: 'profile', municipalityCode: FIXTURE.municipalities.a1, language: 'fi', applicationHandlerId: FIXTURE.staff.kelaHandler, namedWorkers: [{ staffId: FIXTURE.staff.countyAWorker, kind: 'omatyontekija' }] };
    const reason = 'Tarkistan uuden säännön tälle asiakkaalle ennen julkaisua';
    const simulateBody = (extra: Record<string, unknown> = {}) => ({
      client: profile,
      request: { type: 'konsultaatio', urgency: 'normal' },
      requesterOrganisationId: f.orgs.kelaSouth,
      at: OPEN_AT,
      ...extra,
    });

    it('describes the rule administration endpoints in the OpenAPI document', async () => {
      const doc = await (await fetch(`${rinki.url}/api/openapi.json`)).json();
      for (const p of ['rule-sets', 'rule-sets/{version}', 'rule-sets/{version}/publish', 'validate', 'simulate', 'rollback', 'diff', 'changes'])
        expect(doc.paths, p).to.have.property(`/api/routing/regions/{region}/${p}`);
    });

    it('a caseworker can neither read nor change rules (403) and nothing is written', async () => {
      const before = await writes();
      for (const staffId of [f.staff.countyAWorker, f.staff.kelaWorker]) {
        expect((await call(staffId, 'GET', `${A()}/rule-sets`)).status).to.equal(403);
        expect((await call(staffId, 'POST', `${A()}/rule-sets`, { body: countyARules(f.teams.countyA) })).status).to.equal(403);
        expect((await call(staffId, 'POST', `${A()}/rule-sets/1/publish`, {})).status).to.equal(403);
        expect((await call(staffId, 'POST', `${A()}/rollback`, { version: 1 })).status).to.equal(403);
        expect((await call(staffId, 'POST', `${A()}/simulate`, simulateBody())).status).to.equal(403);
        expect((await call(staffId, 'GET', '/api/routing/regions/default/rule-sets')).status).to.equal(403);
      }
      expect(await writes()).to.deep.equal(before);
    });

    it('an admin of county B cannot read or change county A’s rules (nor a Kela admin), and nothing is written', async () => {
      const before = await writes();
      expect((await call(f.staff.countyBAdmin, 'GET', `${A()}/rule-sets`)).status).to.equal(403);
      const res = await call(f.staff.countyBAdmin, 'POST', `${A()}/rule-sets`, { body: countyARules(f.teams.countyA) });
      expect(res.status).to.equal(403);
      expect((await call(f.staff.countyBAdmin, 'POST', `${A()}/validate`, { body: countyARules(f.teams.countyA) })).status).to.equal(403);
      // Nor the national default, which belongs to Kela's admins, nor a Kela district's rules.
      expect((await call(f.staff.countyAAdmin, 'GET', '/api/routing/regions/default/rule-sets')).status).to.equal(403);
      expect((await call(f.staff.countyAAdmin, 'GET', `/api/routing/regions/${f.orgs.kelaWest}/rule-sets`)).status).to.equal(403);
      // And a Kela admin does not administer a county's rules.
      expect((await call(f.staff.kelaAdmin, 'POST', `${A()}/rule-sets`, { body: countyARules(f.teams.countyA) })).status).to.equal(403);
      expect(await writes()).to.deep.equal(before);
    });

    it('answers 404 for a region that is not a county or a Kela district, and 400 for a malformed one', async () => {
      expect((await call(f.staff.kelaAdmin, 'GET', `/api/routing/regions/${f.orgs.kela}/rule-sets`)).status).to.equal(404);
      expect((await call(f.staff.kelaAdmin, 'GET', '/api/routing/regions/no-such-county/rule-sets')).status).to.equal(404);
      expect((await call(f.staff.kelaAdmin, 'GET', '/api/routing/regions/%20bad/rule-sets')).status).to.equal(400);
    });

    it('a Kela admin sees the shipped default rule set, installed once as version 1', async () => {
      const res = await call(f.staff.kelaAdmin, 'GET', '/api/routing/regions/default/rule-sets');
      expect(res.status).to.equal(200);
      expect(res.body.publishedVersion).to.equal(1);
      expect(res.body.versions).to.have.length(1);
      expect(res.body.versions[0]).to.include({ status: 'published', createdBy: null });
      expect(res.body.versions[0].body.filters.map((x: { id: string }) => x.id)).to.include('non-disclosure');
      const again = await call(f.staff.kelaAdmin, 'GET', '/api/routing/regions/default/rule-sets');
      expect(again.body.versions).to.have.length(1);
      // A Kela root admin also administers each district.
      expect((await call(f.staff.kelaAdmin, 'GET', `/api/routing/regions/${f.orgs.kelaWest}/rule-sets`)).status).to.equal(200);
    });

    it('refuses a draft that fails the schema with JSON paths inside the rule set, writing nothing', async () => {
      const before = await writes();
      const bad = countyARules(f.teams.countyA) as unknown as { filters: { steps: Record<string, unknown>[] }[] };
      bad.filters[0].steps[0].ringTimeoutSeconds = 1;
      bad.filters[0].steps[0].select = { team: f.teams.countyA, code: 'return true' };
      const res = await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets`, { body: bad });
      expect(res.status).to.equal(400);
      const paths = res.body.issues.map((i: { path: string }) => i.path);
      expect(paths).to.include('filters[0].steps[0].ringTimeoutSeconds');
      expect(paths).to.include('filters[0].steps[0].select');
      const wrongRegion = await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets`, { body: { ...countyARules(f.teams.countyA), region: f.orgs.countyB } });
      expect(wrongRegion.status).to.equal(400);
      expect(wrongRegion.body.issues[0].path).to.equal('region');
      const unknownField = await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets`, { body: countyARules(f.teams.countyA), extra: 1 });
      expect(unknownField.status).to.equal(400);
      expect(await writes()).to.deep.equal(before);
    });

    it('validates without saving', async () => {
      const before = await writes();
      const ok = await call(f.staff.countyAAdmin, 'POST', `${A()}/validate`, { body: countyARules(f.teams.countyA) });
      expect(ok.status).to.equal(200);
      expect(ok.body).to.deep.equal({ ok: true, issues: [] });
      const bad = await call(f.staff.countyAAdmin, 'POST', `${A()}/validate`, { body: countyARules('no-such-team') });
      expect(bad.body.ok).to.equal(false);
      expect(bad.body.issues[0]).to.include({ path: 'filters[0].steps[0].select.team', code: 'routing.rule.unknown_team', severity: 'error' });
      expect(await writes()).to.deep.equal(before);
    });

    it('an invalid rule set cannot be published: 400 with every problem, and nothing changes', async () => {
      const draft = await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets`, { body: countyARules('no-such-team'), comment: 'typo' });
      expect(draft.status).to.equal(201);
      expect(draft.body).to.include({ status: 'draft', createdBy: f.staff.countyAAdmin });
      expect(draft.body.issues.map((i: { path: string }) => i.path)).to.deep.equal(['filters[0].steps[0].select.team']);
      const before = await writes();
      const res = await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets/${draft.body.version}/publish`, {});
      expect(res.status).to.equal(400);
      expect(res.body.error).to.equal('invalid_rule_set');
      expect(res.body.issues).to.deep.equal([{ path: 'filters[0].steps[0].select.team', message: 'unknown team no-such-team' }]);
      expect(await writes()).to.deep.equal(before);
      const list = await call(f.staff.countyAAdmin, 'GET', `${A()}/rule-sets`);
      expect(list.body.publishedVersion).to.equal(null);
      // Fixing the draft makes it publishable.
      const fixed = await call(f.staff.countyAAdmin, 'PUT', `${A()}/rule-sets/${draft.body.version}`, { body: countyARules(f.teams.countyA) });
      expect(fixed.status).to.equal(200);
      expect(fixed.body.issues).to.deep.equal([]);
      const published = await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets/${draft.body.version}/publish`, { comment: 'first rules' });
      expect(published.status).to.equal(200);
      expect(published.body).to.include({ status: 'published', publishedBy: f.staff.countyAAdmin, comment: 'first rules' });
      // A published version is no longer a draft.
      expect((await call(f.staff.countyAAdmin, 'PUT', `${A()}/rule-sets/${draft.body.version}`, { body: countyARules(f.teams.countyA) })).status).to.equal(404);
      expect((await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets/${draft.body.version}/publish`, {})).status).to.equal(400);
    });

    it('simulates on a made-up client (no read), publishing changes the next decision, rollback restores it, diff shows what changed', async () => {
      const sim = async () => {
        const res = await call(f.staff.countyAAdmin, 'POST', `${A()}/simulate`, simulateBody());
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        return res.body;
      };
      const accessBefore = await count('client_access_events');
      const first = await sim();
      expect(await count('client_access_events')).to.equal(accessBefore);
      const publishedVersion = first.decision.ruleSet.version;
      expect(first.appliesToClient).to.deep.equal({ region: f.orgs.countyA, version: publishedVersion });
      expect(first.decision.steps[0].stepId).to.equal('team');
      // Nobody is online in this test: the whole team is excluded as offline and the outcome is a callback.
      expect(first.decision.steps[0].excluded.map((e: { reason: string }) => e.reason)).to.deep.equal(['offline', 'offline', 'offline']);
      expect(first.decision.outcome).to.equal('callback');

      const urgentRefusal: RuleSet = {
        region: f.orgs.countyA,
        filters: [
          {
            id: 'refuse-all', name: 'Kelan palvelunumeroon', match: {}, steps: [],
            final: { action: 'refuse', reason: { fi: 'Soita Kelan palvelunumeroon.', sv: 'Ring FPA:s servicenummer.', en: 'Call Kela’s service line.' } },
          },
        ],
      };
      const draft = await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets`, { body: urgentRefusal });
      // A draft can be simulated before it is published.
      const preview = await call(f.staff.countyAAdmin, 'POST', `${A()}/simulate`, simulateBody({ version: draft.body.version }));
      expect(preview.body.decision.outcome).to.equal('refuse');
      expect((await sim()).decision.outcome).to.equal('callback');

      expect((await call(f.staff.countyAAdmin, 'POST', `${A()}/rule-sets/${draft.body.version}/publish`, {})).status).to.equal(200);
      const after = await sim();
      expect(after.decision.outcome).to.equal('refuse');
      expect(after.decision.final.reason.fi).to.equal('Soita Kelan palvelunumeroon.');

      const diff = await call(f.staff.countyAAdmin, 'GET', `${A()}/diff?from=${publishedVersion}&to=${draft.body.version}`);
      expect(diff.status).to.equal(200);
      const paths = diff.body.map((d: { path: string }) => d.path);
      expect(paths).to.include('filters[0].id');
      expect(paths).to.include('filters[0].steps[0]');
      expect(diff.body.find((d: { path: string }) => d.path === 'filters[0].id')).to.deep.include({ op: 'changed', from: 'main', to: 'refuse-all' });

      const rolled = await call(f.staff.countyAAdmin, 'POST', `${A()}/rollback`, { version: publishedVersion, comment: 'back' });
      expect(rolled.status).to.equal(200);
      expect(rolled.body.version).to.be.greaterThan(draft.body.version);
      expect(rolled.body.status).to.equal('published');
      const restored = await sim();
      expect(restored.decision.outcome).to.equal('callback');
      expect(restored.decision.ruleSet.version).to.equal(rolled.body.version);
      expect((await call(f.staff.countyAAdmin, 'GET', `${A()}/diff?from=${publishedVersion}&to=${rolled.body.version}`)).body).to.deep.equal([]);

      const versions = (await call(f.staff.countyAAdmin, 'GET', `${A()}/rule-sets`)).body.versions;
      expect(versions.filter((v: { status: string }) => v.status === 'published')).to.have.length(1);
      const changes = (await call(f.staff.countyAAdmin, 'GET', `${A()}/changes`)).body;
      expect(changes[0]).to.include({ action: 'rolled_back', actorId: f.staff.countyAAdmin, comment: 'back' });
      expect(changes[0].details).to.deep.include({ fromVersion: publishedVersion, replacedVersion: draft.body.version });
      expect(changes[0].details.diff.map((d: { path: string }) => d.path)).to.include('filters[0].id');
      expect(changes.map((c: { action: string }) => c.action)).to.include.members(['draft_created', 'draft_updated', 'published', 'archived']);
      // Rolling back to a version that does not exist, or to a draft: 4xx, nothing written.
      const before = await writes();
      expect((await call(f.staff.countyAAdmin, 'POST', `${A()}/rollback`, { version: 999 })).status).to.equal(404);
      const aDraft = versions.find((v: { status: string }) => v.status === 'draft');
      if (aDraft) expect((await call(f.staff.countyAAdmin, 'POST', `${A()}/rollback`, { version: aDraft.version })).status).to.equal(400);
      expect((await call(f.staff.countyAAdmin, 'POST', `${A()}/rollback`, { version: 'x' })).status).to.equal(400);
      expect(await writes()).to.deep.equal(before);
    });

    it('simulates a made-up non-disclosure client, and returns nothing that locates them', async () => {
      const res = await call(f.staff.countyAAdmin, 'POST', `${A()}/simulate`, simulateBody({ client: { ...profile, nonDisclosure: true } }));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.decision.basis).to.include({ nonDisclosure: true });
      expect(res.body.decision.basis).not.to.have.property('countyId');
      expect(res.body.decision.basis).not.to.have.property('municipalityCode');
    });

    it('simulates a real client only for rule verification with a reason: logged and listed to the auditor', async () => {
      const real = { kind: 'real', hetu: f.clients!.a.hetu, purpose: 'rule_verification', reason };
      const res = await call(f.staff.countyAAdmin, 'POST', `${A()}/simulate`, simulateBody({ client: real }));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const [logged] = await rinki.deps.db.query<Record<string, unknown>>('SELECT * FROM client_access_events ORDER BY id DESC LIMIT 1');
      expect(logged).to.include({ actor_id: f.staff.countyAAdmin, client_id: f.clients!.a.id, action: 'client.read.rule_verification', purpose: `rule_verification: ${reason}` });
      // Listed to the auditor of the admin's own organisation (county A has none: Kela's auditor does not see it).
      const kelaAuditor = await call(f.staff.auditor, 'GET', '/api/audit/emergency-access');
      expect(kelaAuditor.status).to.equal(200);
      expect(kelaAuditor.body.some((r: { clientId: string }) => r.clientId === f.clients!.a.id)).to.equal(false);
    });

    it('a real client the region does not route answers 404 (the refusal is logged); bad simulation input is 400 and writes nothing', async () => {
      const before = await count('client_access_events');
      const other = await call(f.staff.countyAAdmin, 'POST', `${A()}/simulate`, simulateBody({ client: { kind: 'real', hetu: f.clients!.b.hetu, purpose: 'rule_verification', reason } }));
      expect(other.status).to.equal(404);
      expect(await count('client_access_events')).to.equal(before + 1);
      const [refused] = await rinki.deps.db.query<Record<string, unknown>>('SELECT * FROM client_access_events ORDER BY id DESC LIMIT 1');
      expect(refused).to.include({ actor_id: f.staff.countyAAdmin, action: 'client.read.refused', purpose: 'rule_verification' });
      const bad = async (extra: Record<string, unknown>, path: string) => {
        const res = await call(f.staff.countyAAdmin, 'POST', `${A()}/simulate`, simulateBody(extra));
        expect(res.status, JSON.stringify(extra)).to.equal(400);
        expect(res.body.issues.map((i: { path: string }) => i.path), JSON.stringify(res.body.issues)).to.include(path);
      };
      await bad({ request: { type: 'smalltalk' } }, 'body.request.type');
      await bad({ client: { kind: 'real', hetu: '010101-0000', purpose: 'rule_verification', reason } }, 'body.client.hetu');
      // The old form (an identity code alone), a real client without a reason or with a short one, another purpose.
      await bad({ client: { hetu: f.clients!.a.hetu } }, 'body.client.kind');
      await bad({ client: { kind: 'real', hetu: f.clients!.a.hetu, purpose: 'rule_verification' } }, 'body.client.reason');
      await bad({ client: { kind: 'real', hetu: f.clients!.a.hetu, purpose: 'rule_verification', reason: 'testi' } }, 'body.client.reason');
      await bad({ client: { kind: 'real', hetu: f.clients!.a.hetu, purpose: 'rule_verification', reason: `tarkistus asiakkaalle ${f.clients!.a.hetu} nyt` } }, 'body.client.reason');
      await bad({ client: { kind: 'real', hetu: f.clients!.a.hetu, purpose: 'routing', reason } }, 'body.client.purpose');
      await bad({ client: { ...profile, municipalityCode: '999' } }, 'body.client.municipalityCode');
      await bad({ client: { ...profile, namedWorkers: [{ staffId: 'nobody', kind: 'omatyontekija' }] } }, 'body.client.namedWorkers.0.staffId');
      expect(await count('client_access_events')).to.equal(before + 1);
    });
  });
}
