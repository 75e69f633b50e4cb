// Routing use cases above storage: which rule set applies, simulation for an
// admin, and rule administration with validation before anything is written.
import type { ClientRecord, PersonRef } from '../../../shared/src/directory.ts';
import { DEFAULT_REGION, type DecisionView, type RuleIssue, type RuleSet, type RuleSetVersionView, type SimulateInput, type SimulatedClientProfile } from '../../../shared/src/routing.ts';
import type { Actor } from '../auth/actor.ts';
import { canAdministerRouting, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { loadDirectory, organisationScope, readClientForRuleVerification, type Directory, type RulesReachQuestion } from '../directory/index.ts';
import { HttpError, badRequest, notFound } from '../http/errors.ts';
import type { Queryable } from '../store/db.ts';
import { decide, peopleRulesCouldReach, type DecideContext, type PresenceLookup, type RoutingRequest } from './decide.ts';
import * as store from './repository.ts';
import { RuleSetCache } from './rule-cache.ts';
import { validateRuleSet } from './validate.ts';

export type RegionScope = 'default' | { id: string; rootId: string; kind: 'county' | 'kela_district' };

/** The region named in a URL, or 404 when it is not a county, a Kela district or 'default'. */
export async function resolveRegion(q: Queryable, region: string): Promise<RegionScope> {
  if (region === DEFAULT_REGION) return 'default';
  const scope = await organisationScope(q, region);
  if (!scope || (scope.kind !== 'county' && scope.kind !== 'kela_district')) throw notFound('No such region');
  return { id: scope.id, rootId: scope.rootId, kind: scope.kind };
}

/** Resolves the region and refuses (403) anyone who does not administer its rules. */
export async function requireRoutingAdmin(q: Queryable, actor: Actor, region: string): Promise<RegionScope> {
  const scope = await resolveRegion(q, region);
  require(canAdministerRouting(actor, scope), 'Only an admin of the region may read or change its routing rules');
  return scope;
}

/** 400 with every issue (path, i18n code, message); nothing has been written. */
export class RuleSetInvalid extends HttpError {
  constructor(readonly ruleIssues: RuleIssue[]) {
    const errors = ruleIssues.filter((i) => i.severity === 'error');
    super(400, 'invalid_rule_set', `${errors.length} problem(s) in the rule set: ${errors.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      errors.map((i) => ({ path: i.path, message: i.message })));
  }
}

/** Schema-checks a body for a region; semantic errors are returned, schema errors thrown. */
export function checkBody(directory: Directory, region: string, body: unknown): { issues: RuleIssue[]; ok: boolean; ruleSet?: RuleSet } {
  const result = validateRuleSet(directory, body);
  if (result.ruleSet && result.ruleSet.region !== region)
    result.issues.unshift({ path: 'region', code: 'routing.rule.region_mismatch', message: `the body is for region ${result.ruleSet.region}, not ${region}`, severity: 'error' });
  return { ...result, ok: !result.issues.some((i) => i.severity === 'error') };
}

export async function publish(deps: Pick<Deps, 'db' | 'clock' | 'directory'>, actor: Actor, region: string, version: number, comment?: string): Promise<RuleSetVersionView> {
  return deps.db.tx(async (q) => {
    const draft = await store.getVersion(q, region, version);
    if (!draft) throw notFound('No such version');
    if (draft.status !== 'draft') throw badRequest(`version ${version} is ${draft.status}, not a draft`, [{ path: 'version', message: 'not a draft' }]);
    const check = checkBody(await deps.directory.snapshot(q), region, draft.body);
    if (!check.ok) throw new RuleSetInvalid(check.issues);
    return (await store.publishDraft(q, { region, version, actorId: actor.staffId, comment, at: deps.clock.now() }))!;
  });
}

export async function rollback(deps: Pick<Deps, 'db' | 'clock' | 'directory'>, actor: Actor, region: string, version: number, comment?: string): Promise<RuleSetVersionView> {
  return deps.db.tx(async (q) => {
    const old = await store.getVersion(q, region, version);
    if (!old) throw notFound('No such version');
    if (old.status === 'draft') throw badRequest(`version ${version} was never published`, [{ path: 'body.version', message: 'a draft; publish it instead' }]);
    // The directory may have changed since: an old body that no longer validates is refused too.
    const check = checkBody(await deps.directory.snapshot(q), region, old.body);
    if (!check.ok) throw new RuleSetInvalid(check.issues);
    return store.publishCopy(q, { region, body: old.body, fromVersion: version, actorId: actor.staffId, comment, at: deps.clock.now() });
  });
}

/** The requester's side as routing sees it. */
async function requesterFor(q: Queryable, actor: Actor, organisationId?: string): Promise<RoutingRequest['requester']> {
  if (!organisationId) return { staffId: actor.staffId, organisationId: actor.organisationId, organisationKind: actor.organisationKind };
  const scope = await organisationScope(q, organisationId);
  if (!scope) throw badRequest(`body.requesterOrganisationId: unknown organisation ${organisationId}`, [{ path: 'body.requesterOrganisationId', message: 'unknown organisation' }]);
  // A simulated requester is nobody in the directory, so no one is left out as "the requester".
  return { staffId: '', organisationId, organisationKind: scope.kind === 'county' ? 'county' : 'kela' };
}

export interface SimulationResult {
  decision: DecisionView;
  /** The rule set that applies to this client in real routing (the county's, else the default). */
  appliesToClient: { region: string; version: number };
}

/**
 * "For this client and this request, at each step these people would ring."
 * Normally on a made-up client profile: no client record is read. A real
 * client only for rule verification with a reason; that read is logged and
 * listed to the auditor.
 */
export async function simulate(
  deps: Pick<Deps, 'db' | 'keys' | 'log' | 'clock' | 'config' | 'directory'>,
  actor: Actor,
  region: string,
  input: SimulateInput,
  presence: PresenceLookup,
): Promise<SimulationResult> {
  const { db } = deps;
  const at = input.at ? new Date(input.at) : deps.clock.now();
  let ruleSet: RuleSetVersionView | undefined;
  if (input.version !== undefined) {
    ruleSet = await store.getVersion(db, region, input.version);
    if (!ruleSet) throw notFound('No such version');
  }
  const requester = await requesterFor(db, actor, input.requesterOrganisationId);
  const directory = await deps.directory.snapshot(db);
  let client: ClientRecord;
  let segment = input.request.segment;
  if (input.client.kind === 'profile') {
    client = profileRecord(directory, input.client, at);
    segment ??= input.client.segments[0];
  } else {
    client = await readClientForRuleVerification(deps, actor, await resolveRegion(db, region), input.client, input.client.reason);
  }
  const applies = await new RuleSetCache(db).forClient(db, client, requester.organisationKind, at);
  ruleSet ??= (await store.publishedVersion(db, region)) ?? (await store.defaultRuleSet(db, at));
  const decision = await decide(
    { directory, presence, ruleSetVersion: ruleSet.version },
    ruleSet.body,
    { ...input.request, ...(segment ? { segment } : {}), requester },
    client,
    at,
  );
  return { decision, appliesToClient: { region: applies.region, version: applies.version } };
}

/** A made-up client as routing sees one; unknown municipalities and people are refused (400) with their path. */
function profileRecord(directory: Directory, p: SimulatedClientProfile, at: Date): ClientRecord {
  const unknown = (path: string, what: string) => badRequest(`body.client.${path}: unknown ${what}`, [{ path: `body.client.${path}`, message: `unknown ${what}` }]);
  const municipality = directory.municipality(p.municipalityCode);
  if (!municipality) throw unknown('municipalityCode', 'municipality');
  const county = directory.organisation(municipality.countyId)!;
  const person = (staffId: string, path: string): PersonRef => {
    const p = directory.person(staffId);
    if (!p) throw unknown(path, 'staff');
    return p;
  };
  return {
    id: 'simulated',
    municipality: { code: municipality.code, nameFi: municipality.nameFi, nameSv: municipality.nameSv },
    county: { id: county.id, nameFi: county.nameFi, nameSv: county.nameSv },
    language: p.language,
    nonDisclosure: p.nonDisclosure,
    namedWorkers: p.namedWorkers.map((w, i) => ({ ...person(w.staffId, `namedWorkers.${i}.staffId`), kind: w.kind })),
    pendingApplications: p.applicationHandlerId
      ? [{ id: 'simulated', benefit: 'perustoimeentulotuki', submittedAt: at.toISOString(), urgent: false, handler: person(p.applicationHandlerId, 'applicationHandlerId') }]
      : [],
    openConcernNotifications: [],
  };
}

/**
 * The decision real routing uses (RuleSetCache.forClient picks the rule set:
 * the side being reached), evaluated now. The ring lifecycle calls this with
 * a client record it has already read (and logged).
 */
export async function decideForClient(
  q: Queryable,
  client: ClientRecord,
  request: RoutingRequest,
  presence: PresenceLookup,
  at: Date,
  opts: Pick<DecideContext, 'stopAtFirstRinging' | 'orderCandidates'> = {},
): Promise<DecisionView> {
  const ruleSet = await new RuleSetCache(q).forClient(q, client, request.requester.organisationKind, at);
  return decide({ directory: await loadDirectory(q), presence, ruleSetVersion: ruleSet.version, ...opts }, ruleSet.body, request, client, at);
}

/**
 * Whether the published rules could ring this person for this client: need to
 * know's routing_reach, which the directory asks through its ClientFactSources.
 */
export async function rulesCouldReach(q: Queryable, ask: RulesReachQuestion): Promise<boolean> {
  const ruleSet = await new RuleSetCache(q).forClient(q, ask.client, ask.requesterKind, ask.at);
  return peopleRulesCouldReach(ask.directory, ruleSet.body, ask.client, ask.requesterKind).has(ask.staffId);
}
