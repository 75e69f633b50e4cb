// Rule evaluation: for one client and one request, the first matching filter
// and, for each of its steps, who would ring and who was left out and why,
// then the final action. Pure reads: nothing is written, nobody is rung. The
// result is a structured explanation (i18n keys + params) that can be stored
// and shown to the requester. Presence is passed in, so tests need no sockets.
import type { ClientRecord } from '../../../shared/src/directory.ts';
import { EXCLUSION_REASONS, REQUEST_TYPES } from '../../../shared/src/routing.ts';
import type {
  CandidateView,
  DecisionView,
  ExclusionReason,
  ExclusionView,
  Filter,
  FinalDecisionView,
  RequestType,
  RuleSet,
  Step,
  StepDecisionView,
  Urgency,
} from '../../../shared/src/routing.ts';
import { helsinkiLocal, isFinnishDayOff, isOpenAt, type Directory, type StaffFacts } from '../directory/index.ts';
import type { Presence } from '../realtime/presence.ts';

export type PresenceLookup = (staffIds: string[]) => Promise<Map<string, Presence>>;

export interface DecideContext {
  /** The directory in memory (DirectoryCache.snapshot). */
  directory: Directory;
  /** Effective presence; people missing from the answer count as offline. */
  presence: PresenceLookup;
  /** The stored version of the rule set, recorded in the explanation. */
  ruleSetVersion?: number | null;
  /**
   * Orders a step's candidates for round-robin and longest-idle ringing, from
   * state all nodes share (the ring lifecycle owns it). Without it, candidates
   * keep the selector's order (by name).
   */
  orderCandidates?: (step: { filterId: string; stepId: string; strategy: Step['strategy'] }, candidates: CandidateView[]) => Promise<CandidateView[]>;
  /**
   * Stop after the first step that has candidates: what a live ring needs now
   * (later steps are evaluated when they are reached, with presence as it is then).
   * The decision then lists only the steps evaluated. Default: all steps (simulation).
   */
  stopAtFirstRinging?: boolean;
}

export interface RoutingRequest {
  type: RequestType;
  urgency: Urgency;
  criteria?: string[];
  /** The requester's preferred language for the conversation. */
  language?: string;
  segment?: string;
  requester: { staffId: string; organisationId: string; organisationKind: 'kela' | 'county' };
}

/** Without a final action, or when no filter matches: a callback due the next working day. */
const DEFAULT_CALLBACK_WORKING_DAYS = 1;
/** How far a chain of stand-ins is followed (A absent → B absent → C). */
const MAX_STAND_IN_DEPTH = 3;
/** Each exclusion's i18n key, made once rather than for every person left out. */
const EXCLUSION_KEYS = Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, `routing.excluded.${r}`])) as Record<ExclusionReason, string>;

export function filterMatches(f: Filter, request: RoutingRequest, client: ClientRecord): boolean {
  const m = f.match;
  // Non-disclosure clients are routed only by filters written for them.
  if (client.nonDisclosure !== (m.nonDisclosure === true)) return false;
  if (m.requestTypes && !m.requestTypes.includes(request.type)) return false;
  if (m.urgency && m.urgency !== request.urgency) return false;
  if (m.counties && !m.counties.includes(client.county.id)) return false;
  if (m.municipalities && !m.municipalities.includes(client.municipality.code)) return false;
  if (m.languages && !m.languages.includes(client.language) && !(request.language && m.languages.includes(request.language))) return false;
  if (m.requesterOrganisationKind && m.requesterOrganisationKind !== request.requester.organisationKind) return false;
  if (m.segments && !(request.segment && m.segments.includes(request.segment))) return false;
  return true;
}

export async function decide(
  ctx: DecideContext,
  ruleSet: RuleSet,
  request: RoutingRequest,
  client: ClientRecord,
  at: Date,
): Promise<DecisionView> {
  const basis: DecisionView['basis'] = {
    requestType: request.type,
    urgency: request.urgency,
    requesterOrganisationKind: request.requester.organisationKind,
    // Nothing that locates a non-disclosure client leaves the server: no county, no municipality.
    ...(client.nonDisclosure ? {} : { countyId: client.county.id, municipalityCode: client.municipality.code }),
    clientLanguage: client.language,
    nonDisclosure: client.nonDisclosure,
    at: at.toISOString(),
  };
  const ruleSetRef = { region: ruleSet.region, version: ctx.ruleSetVersion ?? null };
  const index = ruleSet.filters.findIndex((f) => filterMatches(f, request, client));
  if (index < 0) {
    const final = finalDecision(undefined, at, null);
    return {
      ruleSet: ruleSetRef, filter: null, basis, steps: [], firstRingingStep: null, outcome: final.action, final,
      explanation: { key: 'routing.decision.no_filter_matched', params: { region: ruleSet.region } },
    };
  }
  const filter = ruleSet.filters[index];
  const listed = new Set<string>();
  const steps: StepDecisionView[] = [];
  for (const step of filter.steps) {
    const view = await evaluateFilterStep(ctx, filter, step, request, client, at, listed);
    steps.push(view);
    if (ctx.stopAtFirstRinging && !view.skipped) break;
  }
  const firstRingingStep = steps.findIndex((s) => !s.skipped);
  const lastTeam = [...filter.steps].reverse().find((s) => 'team' in s.select)?.select as { team: string } | undefined;
  const final = finalDecision(filter.final, at, lastTeam?.team ?? null);
  const outcome = firstRingingStep >= 0 ? 'ring' : final.action;
  return {
    ruleSet: ruleSetRef,
    filter: { id: filter.id, name: filter.name, index },
    basis,
    steps,
    firstRingingStep: firstRingingStep >= 0 ? firstRingingStep : null,
    outcome,
    final,
    explanation: {
      key: `routing.decision.${outcome}`,
      params: { filterId: filter.id, filterName: filter.name, ...(firstRingingStep >= 0 ? { stepId: steps[firstRingingStep].stepId } : {}) },
    },
  };
}

// ---- steps ----

interface Selection {
  ids: string[];
  /** For a team step: the team whose hours apply to everyone selected. */
  teamId?: string;
  /** Why the selector itself found nobody, when it did not even reach people. */
  note?: string;
}

function select(directory: Directory, step: Step, request: RoutingRequest, client: ClientRecord): Selection {
  const sel = step.select;
  if ('relation' in sel) {
    switch (sel.relation) {
      case 'application_handler': {
        const handler = client.pendingApplications.find((a) => a.handler)?.handler;
        return handler ? { ids: [handler.staffId] } : { ids: [], note: 'routing.step.no_pending_application' };
      }
      case 'named_worker': {
        // The named worker on the other side: a Kela requester reaches the county's
        // omatyöntekijä / vastuutyöntekijä, a county requester Kela's asiakkuusvastaava.
        const kinds = request.requester.organisationKind === 'kela' ? ['omatyontekija', 'vastuutyontekija'] : ['asiakkuusvastaava'];
        const ids = client.namedWorkers.filter((w) => kinds.includes(w.kind)).map((w) => w.staffId);
        return ids.length ? { ids } : { ids: [], note: 'routing.step.no_named_worker' };
      }
      case 'municipality_liaison': {
        const ids = directory.liaisons(client.municipality.code);
        return ids.length ? { ids } : { ids: [], note: 'routing.step.no_liaison' };
      }
      case 'county_contacts': {
        const ids = directory.countyContacts(client.county.id);
        return ids.length ? { ids } : { ids: [], note: 'routing.step.no_county_contacts' };
      }
    }
  }
  if ('team' in sel) return { ids: directory.teamMembers(sel.team), teamId: sel.team };
  // Role or segment: in the given organisation, else on the other side from the requester.
  const scope =
    sel.organisation !== undefined
      ? directory.organisationAndUnits(sel.organisation)
      : request.requester.organisationKind === 'kela'
        ? [client.county.id]
        : directory.kelaOrganisations();
  const ids = 'role' in sel ? directory.staffWithRole(sel.role, scope) : directory.staffWithSegment(sel.segment, scope);
  return { ids };
}

/**
 * Everyone a rule set could ring for this client when a requester of
 * `requesterKind` asks: the people every step of every filter the client could
 * match would select. What the rules cannot know before a request (its type,
 * urgency, segment, preferred language) counts as matching, and hours, presence,
 * absences and step constraints are left out, so this is the widest set the
 * published rules could reach: the "routing reach" relation of the access model.
 */
export function peopleRulesCouldReach(directory: Directory, ruleSet: RuleSet, client: ClientRecord, requesterKind: 'kela' | 'county'): Set<string> {
  const request: RoutingRequest = { type: REQUEST_TYPES[0], urgency: 'normal', requester: { staffId: '', organisationId: '', organisationKind: requesterKind } };
  const reached = new Set<string>();
  for (const f of ruleSet.filters) {
    // The filter's own test, without the conditions on what only a request tells (its type, urgency, segment, preferred language).
    const { requestTypes: _types, urgency: _urgency, segments: _segments, languages: _languages, ...knownBeforeRequest } = f.match;
    if (!filterMatches({ ...f, match: knownBeforeRequest }, request, client)) continue;
    for (const step of f.steps) for (const id of select(directory, step, request, client).ids) reached.add(id);
    if (f.final?.action === 'callback' && f.final.ownerTeamId) for (const id of directory.teamMembers(f.final.ownerTeamId)) reached.add(id);
  }
  return reached;
}

function requiredLanguage(step: Step, request: RoutingRequest, client: ClientRecord): string | undefined {
  const l = step.constraints?.language;
  if (l === 'client') return client.language;
  if (l === 'request') return request.language ?? client.language;
  return l;
}

/**
 * One step of a filter, on its own: the ring lifecycle calls this when a step
 * is reached. `listed` holds everyone already rung by earlier steps (they are
 * left out as already_listed) and gains this step's candidates.
 */
export async function evaluateFilterStep(
  ctx: DecideContext,
  filter: Filter,
  step: Step,
  request: RoutingRequest,
  client: ClientRecord,
  at: Date,
  listed: Set<string>,
): Promise<StepDecisionView> {
  const view = await evaluateStep(ctx, step, request, client, at, listed);
  if (ctx.orderCandidates && view.candidates.length > 1 && (step.strategy === 'round_robin' || step.strategy === 'longest_idle'))
    view.candidates = await ctx.orderCandidates({ filterId: filter.id, stepId: step.id, strategy: step.strategy }, view.candidates);
  return view;
}

async function evaluateStep(
  ctx: DecideContext,
  step: Step,
  request: RoutingRequest,
  client: ClientRecord,
  at: Date,
  listed: Set<string>,
): Promise<StepDecisionView> {
  const { directory } = ctx;
  const selection = select(directory, step, request, client);
  const requireOpenHours = step.constraints?.requireOpenHours ?? true;
  const ringBusy = step.constraints?.ringBusy ?? false;
  const language = requiredLanguage(step, request, client);
  const openTeams = new Map<string, boolean>();
  const open = (teamId: string) => {
    let isOpen = openTeams.get(teamId);
    if (isOpen === undefined) {
      const h = directory.teamHours(teamId);
      openTeams.set(teamId, (isOpen = !!h && isOpenAt(h, at)));
    }
    return isOpen;
  };
  const teamClosed = selection.teamId !== undefined && requireOpenHours && !open(selection.teamId);

  const candidates: CandidateView[] = [];
  const excluded: ExclusionView[] = [];
  // Written out rather than spread from a smaller object: on V8 (Node 20) an object built by spreading a
  // fresh one and then adding properties tends to outlive the young generation, so a step's few
  // hundred of them were promoted and filled the old generation (bench:routing's GC tail).
  const exclude = (f: StaffFacts, reason: ExclusionReason, params?: Record<string, unknown>) =>
    excluded.push({
      staffId: f.id,
      displayName: f.displayName,
      organisationId: f.organisationId,
      reason,
      explanation: { key: EXCLUSION_KEYS[reason], params: { displayName: f.displayName, ...params } },
    });

  // Everything but presence, which is asked once for all survivors.
  const survivors: { f: StaffFacts; standInFor?: CandidateView['standInFor'] }[] = [];
  const seen = new Set<string>();
  const consider = (id: string, depth: number, standInFor?: CandidateView['standInFor']) => {
    const f = directory.staff(id);
    if (!f || seen.has(id)) return;
    seen.add(id);
    if (id === request.requester.staffId) return exclude(f, 'requester');
    if (listed.has(id)) return exclude(f, 'already_listed');
    if (!f.active) return exclude(f, 'inactive');
    const absence = directory.absenceAt(id, at);
    if (absence) {
      const standIn = absence.standInId ? directory.staff(absence.standInId) : undefined;
      exclude(f, 'absent', {
        absenceReason: absence.reason,
        until: new Date(absence.endsAt).toISOString(),
        ...(standIn ? { standInId: standIn.id, standInName: standIn.displayName } : {}),
      });
      if (standIn && depth < MAX_STAND_IN_DEPTH)
        consider(standIn.id, depth + 1, { staffId: f.id, displayName: f.displayName, absenceReason: absence.reason });
      return;
    }
    if (requireOpenHours) {
      if (teamClosed) return exclude(f, 'outside_hours', { teamId: selection.teamId });
      // A person is reachable when one of their teams is open; people in no team keep no hours.
      if (selection.teamId === undefined && f.teamIds.length && !f.teamIds.some(open)) return exclude(f, 'outside_hours', { teamIds: f.teamIds });
    }
    if (language && !f.languages.includes(language)) return exclude(f, 'language', { language });
    survivors.push({ f, standInFor });
  };
  for (const id of selection.ids) consider(id, 1);

  const presence = survivors.length ? await ctx.presence(survivors.map((s) => s.f.id)) : new Map<string, Presence>();
  for (const { f, standInFor } of survivors) {
    const p = presence.get(f.id)?.status ?? 'offline';
    if (p === 'offline') exclude(f, 'offline');
    else if (p === 'away') exclude(f, 'away');
    else if (p === 'busy' && !ringBusy) exclude(f, 'busy');
    else {
      candidates.push(
        standInFor
          ? { staffId: f.id, displayName: f.displayName, organisationId: f.organisationId, standInFor }
          : { staffId: f.id, displayName: f.displayName, organisationId: f.organisationId },
      );
      listed.add(f.id);
    }
  }

  const skipped = candidates.length === 0;
  const explanation = skipped
    ? { key: selection.ids.length ? (teamClosed ? 'routing.step.team_closed' : 'routing.step.nobody_available') : (selection.note ?? 'routing.step.nobody_selected'), params: { stepId: step.id, ...(selection.teamId ? { teamId: selection.teamId } : {}) } }
    : { key: 'routing.step.ring', params: { stepId: step.id, strategy: step.strategy, count: candidates.length, ringTimeoutSeconds: step.ringTimeoutSeconds } };
  return {
    stepId: step.id,
    select: step.select,
    strategy: step.strategy,
    ringTimeoutSeconds: step.ringTimeoutSeconds,
    candidates,
    excluded,
    skipped,
    explanation,
  };
}

// ---- final action ----

function finalDecision(final: Filter['final'], at: Date, lastTeamId: string | null): FinalDecisionView {
  if (final?.action === 'urgent_queue') return { action: 'urgent_queue', explanation: { key: 'routing.final.urgent_queue' } };
  if (final?.action === 'refuse') return { action: 'refuse', reason: final.reason, explanation: { key: 'routing.final.refuse', params: { reason: final.reason } } };
  const dueAt =
    final?.dueHours !== undefined
      ? new Date(at.getTime() + final.dueHours * 3_600_000)
      : addWorkingDays(at, final?.dueWorkingDays ?? DEFAULT_CALLBACK_WORKING_DAYS);
  const ownerTeamId = final?.ownerTeamId ?? lastTeamId;
  return {
    action: 'callback',
    dueAt: dueAt.toISOString(),
    ownerTeamId,
    explanation: { key: final ? 'routing.final.callback' : 'routing.final.default_callback', params: { dueAt: dueAt.toISOString(), ownerTeamId } },
  };
}

/** `days` Finnish working days later (weekends, public holidays and office-closing eves skipped), same time of day. */
export function addWorkingDays(at: Date, days: number): Date {
  let t = at.getTime();
  let left = days;
  while (left > 0) {
    t += 86_400_000;
    const local = helsinkiLocal(new Date(t));
    if (local.weekday !== 'sat' && local.weekday !== 'sun' && !isFinnishDayOff(local.date)) left--;
  }
  return new Date(t);
}
