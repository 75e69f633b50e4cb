// Rule format, validation and evaluation on the test directory (PGlite), with
// presence injected: no sockets, no HTTP.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ClientRecord } from '../../../shared/src/directory.ts';
import { ROUTING_MESSAGES, type DecisionView, type RuleSet } from '../../../shared/src/routing.ts';
import { createAbsence, getClientRecord } from '../directory/repository.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';
import { DirectoryCache, loadDirectory } from '../directory/snapshot.ts';
import type { Presence } from '../realtime/presence.ts';
import type { Db } from '../store/db.ts';
import { testDb } from '../../../tests/helpers/env.ts';
import { DEFAULT_RULE_SET } from '../../../shared/src/default-rules.ts';
import { addWorkingDays, decide as evaluate, type PresenceLookup, type RoutingRequest } from './decide.ts';
import { diffJson } from './diff.ts';
import { validateRuleSet } from './validate.ts';

/** Wednesday 18 November 2026, 10:00 in Helsinki: every fixture team is open. */
const OPEN = new Date('2026-11-18T08:00:00Z');
/** The same Wednesday at 20:00 in Helsinki: office teams are closed. */
const EVENING = new Date('2026-11-18T18:00:00Z');

const presenceOf =
  (overrides: Record<string, Presence['status']> = {}, fallback: Presence['status'] = 'available'): PresenceLookup =>
  async (ids) => new Map(ids.map((id) => [id, { status: overrides[id] ?? fallback, until: null }]));

const ids = (list: { staffId: string }[]) => list.map((c) => c.staffId);

/** Every decision made here, to check that each i18n key it carries has texts. */
const decisions: DecisionView[] = [];
const decide = async (...args: Parameters<typeof evaluate>) => {
  const d = await evaluate(...args);
  decisions.push(d);
  return d;
};
const keysIn = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap(keysIn)
    : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => (k === 'key' && typeof x === 'string' ? [x] : keysIn(x)))
      : [];

describe('routing rules: format, validation, evaluation', () => {
  let db: Db;
  let cleanup: () => Promise<void>;
  let f: OrgFixture;
  let clientA: ClientRecord;
  let clientB: ClientRecord;

  before(async () => {
    ({ db, cleanup } = await testDb('pglite'));
    f = await makeOrgFixture(db, { clientIdKey: new Uint8Array(randomBytes(32)) });
    clientA = (await getClientRecord(db, new DirectoryCache(db), f.clients!.a.id))!;
    clientB = (await getClientRecord(db, new DirectoryCache(db), f.clients!.b.id))!;
  });
  after(() => cleanup());

  const fromCountyA = (over: Partial<RoutingRequest> = {}): RoutingRequest => ({
    type: 'lisaselvityspyynto',
    urgency: 'normal',
    requester: { staffId: f.staff.countyAWorker, organisationId: f.orgs.countyA, organisationKind: 'county' },
    ...over,
  });
  const fromKela = (over: Partial<RoutingRequest> = {}): RoutingRequest => ({
    type: 'lausuntopyynto',
    urgency: 'normal',
    requester: { staffId: f.staff.kelaWorker, organisationId: f.orgs.kelaSouth, organisationKind: 'kela' },
    ...over,
  });
  // A fresh read of the directory each time: tests change it between decisions.
  const ctx = async (presence = presenceOf()) => ({ directory: await loadDirectory(db), presence, ruleSetVersion: 1 });

  describe('validation', () => {
    const base = (): RuleSet => ({
      region: f.orgs.countyA,
      filters: [
        {
          id: 'main',
          name: 'Main',
          match: { requestTypes: ['lisaselvityspyynto'] },
          steps: [{ id: 's1', select: { team: f.teams.countyA }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }],
          final: { action: 'callback', dueWorkingDays: 1 },
        },
      ],
    });

    it('accepts the shipped default rule set and a well-formed county rule set', async () => {
      const d = validateRuleSet(await loadDirectory(db), DEFAULT_RULE_SET);
      expect(d.issues.filter((i) => i.severity === 'error')).to.deep.equal([]);
      expect(d.ok).to.equal(true);
      const r = validateRuleSet(await loadDirectory(db), base());
      expect(r).to.include({ ok: true });
      expect(r.issues).to.deep.equal([]);
    });

    it('reports schema errors with JSON paths: unknown keys, bad enums, out-of-range timeouts, code strings', async () => {
      const body = base() as unknown as { filters: Record<string, unknown>[] };
      const steps = body.filters[0].steps as Record<string, unknown>[];
      steps[0].ringTimeoutSeconds = 2;
      steps[0].strategy = 'random';
      (body.filters[0].match as Record<string, unknown>).expression = 'client.age > 18';
      const r = validateRuleSet(await loadDirectory(db), body);
      expect(r.ok).to.equal(false);
      const paths = r.issues.map((i) => i.path);
      expect(paths).to.include('filters[0].steps[0].ringTimeoutSeconds');
      expect(paths).to.include('filters[0].steps[0].strategy');
      expect(paths).to.include('filters[0].match');
      expect(r.issues.every((i) => i.code === 'routing.rule.schema')).to.equal(true);
    });

    it('rejects an empty selector object and both due-time forms at once', async () => {
      const body = base() as unknown as { filters: Record<string, unknown>[] };
      (body.filters[0].steps as Record<string, unknown>[])[0].select = {};
      body.filters[0].final = { action: 'callback', dueHours: 4, dueWorkingDays: 1 };
      const r = validateRuleSet(await loadDirectory(db), body);
      const paths = r.issues.map((i) => i.path);
      expect(paths).to.include('filters[0].steps[0].select');
      expect(paths).to.include('filters[0].final.dueWorkingDays');
    });

    it('finds unknown teams and organisations, duplicate ids, empty filters, unreachable filters and empty selectors', async () => {
      const rs: RuleSet = {
        region: f.orgs.countyA,
        filters: [
          {
            id: 'dup',
            name: 'First',
            match: { requestTypes: ['konsultaatio'] },
            steps: [
              { id: 'x', select: { team: 'no-such-team' }, strategy: 'serial', ringTimeoutSeconds: 20 },
              { id: 'x', select: { role: 'on_call', organisation: f.orgs.countyB }, strategy: 'serial', ringTimeoutSeconds: 20 },
              { id: 'y', select: { segment: 'laakkeet', organisation: 'no-such-org' }, strategy: 'serial', ringTimeoutSeconds: 20 },
              { id: 'z', select: { team: 'no-such-team' }, strategy: 'simultaneous', ringTimeoutSeconds: 60 },
            ],
            final: { action: 'callback', ownerTeamId: 'no-such-team' },
          },
          { id: 'dup', name: 'Empty', match: { urgency: 'urgent', counties: ['no-such-county'] }, steps: [] },
          { id: 'all', name: 'Everything', match: {}, steps: [], final: { action: 'urgent_queue' } },
          { id: 'after-all', name: 'Never', match: { requestTypes: ['paatostieto'] }, steps: [], final: { action: 'urgent_queue' } },
          { id: 'nd', name: 'Non-disclosure is still reachable', match: { nonDisclosure: true }, steps: [], final: { action: 'urgent_queue' } },
        ],
      };
      const r = validateRuleSet(await loadDirectory(db), rs);
      expect(r.ok).to.equal(false);
      const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.code]));
      expect(byPath).to.include({
        'filters[0].steps[0].select.team': 'routing.rule.unknown_team',
        'filters[0].steps[1].id': 'routing.rule.duplicate_id',
        'filters[0].steps[1].select': 'routing.rule.empty_selector',
        'filters[0].steps[2].select.organisation': 'routing.rule.unknown_organisation',
        'filters[0].steps[3].select': 'routing.rule.unreachable_step',
        'filters[0].final.ownerTeamId': 'routing.rule.unknown_team',
        'filters[1].id': 'routing.rule.duplicate_id',
        'filters[1].match.counties[0]': 'routing.rule.unknown_organisation',
        'filters[1].steps': 'routing.rule.empty_filter',
        'filters[3]': 'routing.rule.unreachable',
      });
      expect(byPath).not.to.have.property('filters[4]');
      expect(r.issues.find((i) => i.path === 'filters[3]')!.message).to.contain('filters[2]');
    });

    it('refuses a region that is not a county or a Kela district, and municipality rules for non-disclosure clients', async () => {
      const r = validateRuleSet(await loadDirectory(db), {
        region: f.orgs.kela,
        filters: [
          {
            id: 'nd', name: 'ND', match: { nonDisclosure: true, municipalities: [f.municipalities.a1] },
            steps: [{ id: 'l', select: { relation: 'municipality_liaison' }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }],
          },
        ],
      });
      const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.code]));
      expect(byPath).to.deep.include({
        region: 'routing.rule.bad_region',
        'filters[0].match.municipalities': 'routing.rule.non_disclosure_municipality',
        'filters[0].steps[0].select.relation': 'routing.rule.non_disclosure_municipality',
      });
    });

    it('refuses non-disclosure rules that would tell the client’s county where they live: its contact persons, its urgent queue', async () => {
      const r = validateRuleSet(await loadDirectory(db), {
        region: f.orgs.countyA,
        filters: [
          { id: 'nd', name: 'ND', match: { nonDisclosure: true }, steps: [{ id: 'c', select: { relation: 'county_contacts' }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }], final: { action: 'urgent_queue' } },
        ],
      });
      const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.code]));
      expect(byPath).to.deep.include({
        'filters[0].steps[0].select.relation': 'routing.rule.non_disclosure_location',
        'filters[0].final.action': 'routing.rule.non_disclosure_location',
      });
      expect(r.ok).to.equal(false);
    });
  });

  describe('evaluation', () => {
    it('rings the handler of the pending application first, then the Kela liaison of the municipality, then the Kela team', async () => {
      const d = await decide(await ctx(), DEFAULT_RULE_SET, fromCountyA(), clientA, OPEN);
      expect(d.filter).to.include({ id: 'county-to-kela' });
      expect(d.outcome).to.equal('ring');
      expect(d.firstRingingStep).to.equal(0);
      expect(d.steps[0]).to.include({ stepId: 'application-handler', skipped: false });
      expect(ids(d.steps[0].candidates)).to.deep.equal([f.staff.kelaHandler]);
      // A county requester's "named worker on the other side" is a Kela asiakkuusvastaava: none here.
      expect(d.steps[1]).to.include({ stepId: 'named-worker', skipped: true });
      expect(d.steps[1].explanation.key).to.equal('routing.step.no_named_worker');
      expect(ids(d.steps[2].candidates)).to.deep.equal([f.staff.kelaLiaison]);
      const last = d.steps[3];
      expect(ids(last.candidates)).to.have.members([f.staff.kelaWorker, f.staff.kelaSupervisor]);
      expect(last.excluded.filter((e) => e.reason === 'already_listed').map((e) => e.staffId)).to.have.members([f.staff.kelaHandler, f.staff.kelaLiaison]);
      expect(d.final).to.include({ action: 'callback' });
      expect(d.basis.municipalityCode).to.equal(f.municipalities.a1);
      // A live ring needs only the first step that rings.
      const live = await decide({ ...(await ctx()), stopAtFirstRinging: true }, DEFAULT_RULE_SET, fromCountyA(), clientA, OPEN);
      expect(live.steps).to.have.length(1);
      expect(live.steps[0]).to.deep.equal(d.steps[0]);
      expect(live.outcome).to.equal('ring');
    });

    it('a Kela requester reaches the county named worker; on leave, the stand-in rings in their place', async () => {
      const before = await decide(await ctx(), DEFAULT_RULE_SET, fromKela(), clientA, OPEN);
      expect(before.filter).to.include({ id: 'kela-to-county' });
      const namedStep = before.steps.find((s) => s.stepId === 'named-worker')!;
      expect(ids(namedStep.candidates)).to.deep.equal([f.staff.countyAWorker]);
      expect(ids(before.steps.find((s) => s.stepId === 'county-contacts')!.candidates)).to.deep.equal([f.staff.countyAContact]);

      await createAbsence(db, {
        staffId: f.staff.countyAWorker,
        startsAt: '2026-11-16T00:00:00Z',
        endsAt: '2026-11-20T00:00:00Z',
        standInId: f.staff.countyAOnCall,
        reason: 'leave',
      });
      const d = await decide(await ctx(), DEFAULT_RULE_SET, fromKela(), clientA, OPEN);
      const step = d.steps.find((s) => s.stepId === 'named-worker')!;
      expect(step.candidates).to.have.length(1);
      expect(step.candidates[0]).to.deep.include({
        staffId: f.staff.countyAOnCall,
        standInFor: { staffId: f.staff.countyAWorker, displayName: 'Anna Sosiaalityöntekijä', absenceReason: 'leave' },
      });
      const absent = step.excluded.find((e) => e.staffId === f.staff.countyAWorker)!;
      expect(absent.reason).to.equal('absent');
      expect(absent.explanation).to.deep.include({ key: 'routing.excluded.absent' });
      expect(absent.explanation.params).to.include({ standInId: f.staff.countyAOnCall, standInName: 'Arto Päivystäjä', absenceReason: 'leave' });
      // Outside the absence the named worker rings again.
      const later = await decide(await ctx(), DEFAULT_RULE_SET, fromKela(), clientA, new Date('2026-11-25T08:00:00Z'));
      expect(ids(later.steps.find((s) => s.stepId === 'named-worker')!.candidates)).to.deep.equal([f.staff.countyAWorker]);
    });

    it('a Swedish-speaking client reaches the Swedish-language team; Finnish-only people are left out for language', async () => {
      const swedish = { ...clientA, language: 'sv', pendingApplications: [], namedWorkers: [] };
      const rs: RuleSet = {
        region: f.orgs.countyA,
        filters: [
          {
            id: 'sv', name: 'Svenska', match: { languages: ['sv'] },
            steps: [
              { id: 'south', select: { team: f.teams.kelaSouth }, constraints: { language: 'client' }, strategy: 'simultaneous', ringTimeoutSeconds: 30 },
              { id: 'swedish', select: { team: f.teams.kelaWestSwedish }, constraints: { language: 'client' }, strategy: 'simultaneous', ringTimeoutSeconds: 30 },
            ],
          },
          { id: 'rest', name: 'Muut', match: {}, steps: [{ id: 'south', select: { team: f.teams.kelaSouth }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }] },
        ],
      };
      const d = await decide(await ctx(), rs, fromCountyA(), swedish, OPEN);
      expect(d.filter).to.include({ id: 'sv' });
      expect(d.steps[0].skipped).to.equal(true);
      expect(d.steps[0].excluded.every((e) => e.reason === 'language')).to.equal(true);
      expect(d.firstRingingStep).to.equal(1);
      expect(ids(d.steps[1].candidates)).to.deep.equal([f.staff.kelaSwedish]);
      // The requester's preferred language can choose the filter too.
      const finnish = await decide(await ctx(), rs, fromCountyA({ language: 'sv' }), clientA, OPEN);
      expect(finnish.filter).to.include({ id: 'sv' });
      expect((await decide(await ctx(), rs, fromCountyA(), clientA, OPEN)).filter).to.include({ id: 'rest' });
    });

    it('a non-disclosure client meets only non-disclosure filters, reaches only the central team, and no municipality appears', async () => {
      const rs: RuleSet = {
        region: 'default',
        filters: [
          { id: 'everyone', name: 'Everyone', match: {}, steps: [{ id: 'south', select: { team: f.teams.kelaSouth }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }] },
          { id: 'central', name: 'Central', match: { nonDisclosure: true }, steps: [{ id: 'central', select: { team: f.teams.kelaWestSwedish }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }] },
        ],
      };
      const requester = { staffId: f.staff.countyBWorker, organisationId: f.orgs.countyB, organisationKind: 'county' as const };
      const d = await decide(await ctx(), rs, fromCountyA({ requester }), clientB, OPEN);
      expect(d.filter).to.include({ id: 'central' });
      expect(d.steps).to.have.length(1);
      expect(ids(d.steps[0].candidates)).to.deep.equal([f.staff.kelaSwedish]);
      expect(d.basis).not.to.have.property('municipalityCode');
      const text = JSON.stringify(d);
      for (const secret of [clientB.municipality.code, clientB.municipality.nameFi, clientB.municipality.nameSv]) expect(text).not.to.contain(secret);
      // The shipped default sends non-disclosure clients to the turvakielto segment only.
      const dd = await decide(await ctx(), DEFAULT_RULE_SET, fromCountyA({ requester }), clientB, OPEN);
      expect(dd.filter).to.include({ id: 'non-disclosure' });
      expect(JSON.stringify(dd)).not.to.contain(clientB.municipality.code);
      // Without any non-disclosure filter, nothing matches: a callback, never an ordinary filter.
      const none = await decide(await ctx(), { region: 'default', filters: [rs.filters[0]] }, fromCountyA({ requester }), clientB, OPEN);
      expect(none.filter).to.equal(null);
      expect(none.outcome).to.equal('callback');
      expect(none.explanation.key).to.equal('routing.decision.no_filter_matched');
    });

    it('a region that refuses urgent requests answers with its reason; the default sends them to the urgent queue', async () => {
      const reason = { fi: 'Kiireelliset asiat Kelan palvelunumeroon.', sv: 'Brådskande ärenden till FPA:s servicenummer.', en: 'Urgent matters go to Kela’s service line.' };
      const rs: RuleSet = {
        region: f.orgs.countyA,
        filters: [
          { id: 'no-urgent', name: 'Ei kiireellisiä', match: { urgency: 'urgent' }, steps: [], final: { action: 'refuse', reason } },
          { id: 'rest', name: 'Muut', match: {}, steps: [{ id: 'team', select: { team: f.teams.countyA }, strategy: 'serial', ringTimeoutSeconds: 30 }] },
        ],
      };
      const d = await decide(await ctx(), rs, fromKela({ urgency: 'urgent' }), clientA, OPEN);
      expect(d.outcome).to.equal('refuse');
      expect(d.final).to.deep.include({ action: 'refuse', reason });
      expect(d.final.explanation.key).to.equal('routing.final.refuse');
      const byDefault = await decide(await ctx(), DEFAULT_RULE_SET, fromKela({ urgency: 'urgent' }), clientA, OPEN);
      expect(byDefault.outcome).to.equal('urgent_queue');
    });

    it('nobody available: every step is skipped with each person’s reason, and the final action is a callback with owner team and due time', async () => {
      const rs: RuleSet = {
        region: f.orgs.countyA,
        filters: [
          {
            id: 'main', name: 'Main', match: {},
            steps: [
              { id: 'team', select: { team: f.teams.kelaSouth }, strategy: 'simultaneous', ringTimeoutSeconds: 30 },
              { id: 'busy-ok', select: { team: f.teams.kelaSouth }, constraints: { ringBusy: true }, strategy: 'simultaneous', ringTimeoutSeconds: 30 },
            ],
            final: { action: 'callback', dueWorkingDays: 2, ownerTeamId: f.teams.kelaSouth },
          },
        ],
      };
      const presence = presenceOf({ [f.staff.kelaWorker]: 'away', [f.staff.kelaHandler]: 'busy' }, 'offline');
      const d = await decide(await ctx(presence), rs, fromCountyA(), clientA, OPEN);
      const reasons = Object.fromEntries(d.steps[0].excluded.map((e) => [e.staffId, e.reason]));
      expect(reasons).to.deep.equal({
        [f.staff.kelaWorker]: 'away',
        [f.staff.kelaHandler]: 'busy',
        [f.staff.kelaLiaison]: 'offline',
        [f.staff.kelaSupervisor]: 'offline',
      });
      // ringBusy lets the busy handler ring.
      expect(ids(d.steps[1].candidates)).to.deep.equal([f.staff.kelaHandler]);

      // Round-robin order comes from the ring lifecycle's shared state, through the hook.
      const rr: RuleSet = { region: 'default', filters: [{ id: 'rr', name: 'rr', match: {}, steps: [{ id: 'team', select: { team: f.teams.kelaSouth }, strategy: 'round_robin', ringTimeoutSeconds: 30 }] }] };
      const plain = await decide(await ctx(), rr, fromCountyA(), clientA, OPEN);
      const rotated = await decide({ ...(await ctx()), orderCandidates: async (s, list) => (s.stepId === 'team' ? [...list.slice(1), list[0]] : list) }, rr, fromCountyA(), clientA, OPEN);
      expect(ids(rotated.steps[0].candidates)).to.deep.equal([...ids(plain.steps[0].candidates).slice(1), plain.steps[0].candidates[0].staffId]);

      const allOffline = await decide(await ctx(presenceOf({}, 'offline')), rs, fromCountyA(), clientA, OPEN);
      expect(allOffline.steps.every((s) => s.skipped)).to.equal(true);
      expect(allOffline.firstRingingStep).to.equal(null);
      expect(allOffline.outcome).to.equal('callback');
      // Wednesday + 2 working days = Friday, same time.
      expect(allOffline.final).to.deep.include({ action: 'callback', ownerTeamId: f.teams.kelaSouth, dueAt: '2026-11-20T08:00:00.000Z' });

      // Outside hours the team is closed: everyone excluded for hours, presence not even asked.
      let asked = 0;
      const counting: PresenceLookup = async (list) => {
        asked += list.length;
        return presenceOf()(list);
      };
      const evening = await decide(await ctx(counting), rs, fromCountyA(), clientA, EVENING);
      expect(evening.steps[0].explanation.key).to.equal('routing.step.team_closed');
      expect(evening.steps[0].excluded.every((e) => e.reason === 'outside_hours')).to.equal(true);
      expect(asked).to.equal(0);
      expect(evening.outcome).to.equal('callback');
    });

    it('leaves out inactive people and the requester, and counts working days over weekends and holidays', async () => {
      await db.query('UPDATE staff SET active = false WHERE id = $1', [f.staff.kelaSupervisor]);
      try {
        const rs: RuleSet = { region: 'default', filters: [{ id: 'm', name: 'm', match: {}, steps: [{ id: 't', select: { team: f.teams.kelaSouth }, strategy: 'serial', ringTimeoutSeconds: 30 }] }] };
        const d = await decide(await ctx(), rs, fromKela(), clientA, OPEN);
        expect(d.steps[0].excluded.find((e) => e.staffId === f.staff.kelaSupervisor)!.reason).to.equal('inactive');
        // Nobody is rung about their own request.
        expect(d.steps[0].excluded.find((e) => e.staffId === f.staff.kelaWorker)!.reason).to.equal('requester');
      } finally {
        await db.query('UPDATE staff SET active = true WHERE id = $1', [f.staff.kelaSupervisor]);
      }
      // Friday 4 Dec 2026 + 1 working day: Monday 7 Dec is open; Independence Day (6th) is a Sunday.
      expect(addWorkingDays(new Date('2026-12-04T08:00:00Z'), 1).toISOString()).to.equal('2026-12-07T08:00:00.000Z');
      // Wednesday 23 Dec + 1: Christmas Eve, Christmas Day and the weekend are skipped → Monday 28th.
      expect(addWorkingDays(new Date('2026-12-23T08:00:00Z'), 1).toISOString()).to.equal('2026-12-28T08:00:00.000Z');
    });
  });

  it('diffs two rule sets as JSON paths', () => {
    const a = { region: 'x', filters: [{ id: 'f', steps: [{ select: { team: 't1' } }] }] };
    const b = { region: 'x', filters: [{ id: 'f', steps: [{ select: { team: 't2' } }] }, { id: 'g' }] };
    expect(diffJson(a, b)).to.deep.equal([
      { path: 'filters[0].steps[0].select.team', op: 'changed', from: 't1', to: 't2' },
      { path: 'filters[1]', op: 'added', to: { id: 'g' } },
    ]);
  });

  // After the evaluation suite (mocha runs a suite's own tests before its child suites).
  describe('texts', () => {
    it('has Finnish, Swedish and English texts for every key a decision or a rule problem carried', async () => {
      const keys = new Set(decisions.flatMap(keysIn));
      expect(keys.size).to.be.greaterThan(15);
      for (const key of keys) expect(ROUTING_MESSAGES, key).to.have.property(key);
      const problems = validateRuleSet(await loadDirectory(db), { region: 'nowhere', filters: [{ id: 'a', name: 'a', match: {}, steps: [] }, { id: 'a', name: 'b', match: {}, steps: [{ id: 's', select: { team: 'x' }, strategy: 'serial', ringTimeoutSeconds: 1 }] }] });
      for (const i of problems.issues) expect(ROUTING_MESSAGES, i.code).to.have.property(i.code);
    });
  });
});
