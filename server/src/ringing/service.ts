// The ring lifecycle: a routing request rings the people its rule set chose,
// step by step, until one of them accepts (first accept wins, on any node) or
// the steps run out and the rule's final action is taken.
//
// Evaluating a step reads the directory and presence; that happens outside
// any transaction, and the result is applied in a short transaction that
// first checks the request is still where the evaluation started (state and
// round). A stale evaluation is simply dropped.
import { randomUUID } from 'node:crypto';
import type { DecisionView, Filter, FinalDecisionView, RoutingRequestInput, StepDecisionView, StepSelect } from '../../../shared/src/routing.ts';
import type { ClosedTeamsView, RingEventView, RingOfferView, RingRequestInput, RingRequestView, RingState } from '../../../shared/src/ringing.ts';
import type { Actor } from '../auth/actor.ts';
import { canCancelRingRequest, canReadRingRequest } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { clientPlacement, lookUpClient, nextOpeningAt, readClientRecord, type Directory } from '../directory/index.ts';
import { judgeDisclosure } from '../disclosures/legal-bases.ts';
import { recordDisclosure, DisclosureRefused } from '../disclosures/record.ts';
import { auditSigner } from '../disclosures/store.ts';
import { HttpError, conflict, notFound } from '../http/errors.ts';
import type { Callbacks } from '../callbacks/service.ts';
import type { CallbackChannel } from '../../../shared/src/callbacks.ts';
import type { Matrix } from '../matrix/index.ts';
import type { Realtime } from '../realtime/gateway.ts';
import { PUSHES } from '../realtime/pushes.ts';
import { decide, evaluateFilterStep, type DecideContext, type RoutingRequest } from '../routing/decide.ts';
import type { RuleSetCache } from '../routing/rule-cache.ts';
import type { UrgentQueue } from '../urgent/queue.ts';
import type { Queryable } from '../store/db.ts';
import type { Outbox, OutboxEvent, Published, Subscription } from '../outbox/outbox.ts';
import { scheduleTimer, wakeTimerRunners, type TimerHandler } from '../timers/timers.ts';

export const RING_TIMEOUT_TIMER = 'ringing.timeout';
/** A timeout whose follow-up did not happen (the node died) is tried again this much later. */
const TIMEOUT_RETRY_MS = 15_000;

interface RequestRow {
  id: string;
  requester_id: string;
  requester_organisation_id: string;
  requester_organisation_kind: 'kela' | 'county';
  client_id: string;
  request_type: string;
  urgency: 'urgent' | 'normal';
  criteria: string[];
  language: string | null;
  segment: string | null;
  basis: string;
  consent_id: string | null;
  state: RingState;
  rule_set_region: string;
  rule_set_version: number | null;
  filter: Filter | null;
  final: FinalDecisionView;
  step_index: number;
  round: number;
  step_candidates: StepDecisionView['candidates'];
  listed: string[];
  explanation: RingEventView[];
  accepted_by: string | null;
  room_id: string | null;
  callback_id: string | null;
  created_at: Date;
  ended_at: Date | null;
}

/** What to do next, computed outside a transaction. */
interface Plan {
  stepIndex: number;
  /** Offered in this round. */
  batch: StepDecisionView['candidates'];
  /** The current step's candidates still to ring after this round (serial strategies). */
  rest: StepDecisionView['candidates'];
  listed: string[];
  events: RingEventView[];
  /** Set when the steps ran out. */
  final?: FinalDecisionView;
  /** The step's reason, shown with each offer. */
  why?: StepDecisionView['explanation'];
}

/** The domain events of the ring lifecycle (the outbox carries them to their subscribers). */
export const RING_EVENTS = {
  /** A round rang: { requestId, expiresAt, offers: [{ offerId, staffId, why }] }. */
  offered: 'ring.offered',
  /** Offers stopped ringing: { requestId, state: 'withdrawn' | 'expired', offers: [{ offerId, staffId }] }. */
  offersEnded: 'ring.offers_ended',
  /** Someone took the request: { requestId, staffId }; their conference room is opened. */
  accepted: 'ring.accepted',
  /** The steps ran out and the final action was taken: { requestId }. */
  ended: 'ring.ended',
} as const;

export class Ringing {
  constructor(
    private readonly deps: Deps,
    /** Presence for the decisions, and the pushes: the gateway is attached after the ring commands exist. */
    private readonly realtime: () => Realtime,
    private readonly services: { callbacks: Callbacks; urgent: UrgentQueue; ruleSets: RuleSetCache; outbox: Outbox },
    /** The node's one Matrix context, for the conference room an accepted ring opens. */
    private readonly matrix: Matrix,
  ) {}

  private presence = (ids: string[]) => this.realtime().getPresence(ids);

  // ---- commands ----

  /** Starts ringing for a client. A repeated requestId returns the request already started. */
  async start(actor: Actor, input: RingRequestInput): Promise<RingRequestView> {
    const { db, clock } = this.deps;
    if (input.requestId) {
      const existing = await this.row(db, input.requestId);
      if (existing) {
        if (existing.requester_id !== actor.staffId) throw conflict('This request id is already in use');
        return this.view(db, existing);
      }
    }
    const refusal = await judgeDisclosure(db, { basis: input.basis, categories: ['identity'], hasConsent: input.consentId !== undefined, at: clock.now() });
    if (refusal) throw new DisclosureRefused(refusal.reason, refusal.categories);
    const client = await lookUpClient(this.deps, actor, { ...input.client, purpose: 'routing' });
    if (input.request.urgency === 'urgent') await this.services.urgent.checkCriteria(db, client.county.id, input.request.criteria ?? [], 'body.request.criteria');
    const now = clock.now();
    const requester: RoutingRequest['requester'] = { staffId: actor.staffId, organisationId: actor.organisationId, organisationKind: actor.organisationKind };
    const request: RoutingRequest = { ...input.request, requester };
    const ruleSet = await this.services.ruleSets.forClient(db, client, actor.organisationKind, now);
    const rotationKey = (filterId: string, stepId: string) => `${ruleSet.region}:${filterId}:${stepId}`;
    const directory = await this.deps.directory.snapshot(db);
    const context: DecideContext = {
      directory,
      presence: this.presence,
      ruleSetVersion: ruleSet.version,
      stopAtFirstRinging: true,
      orderCandidates: this.orderCandidates(rotationKey),
    };
    const decision = await decide(context, ruleSet.body, request, client, now);
    if (input.whenClosed === 'ask' && decision.firstRingingStep === null && decision.final.action === 'callback') {
      const closed = closedTeams(directory, decision, now);
      if (closed.length) {
        const asUrgent = await decide(context, ruleSet.body, { ...request, urgency: 'urgent' }, client, now);
        const view: ClosedTeamsView = { teams: closed, urgentQueue: asUrgent.outcome === 'urgent_queue' || asUrgent.outcome === 'ring' };
        throw new HttpError(409, 'team_closed', 'The counterpart is closed now; nothing was started', undefined, undefined, { closed: view });
      }
    }
    const filter = decision.filter ? ruleSet.body.filters[decision.filter.index] : null;
    const id = input.requestId ?? randomUUID();
    const events: RingEventView[] = [
      { at: now.toISOString(), kind: 'started', explanation: decision.explanation },
      ...decision.steps.map((step) => stepEvent(now, step)),
    ];
    const ringing = decision.firstRingingStep !== null ? decision.steps[decision.firstRingingStep] : undefined;
    const plan: Plan = ringing
      ? { stepIndex: decision.steps.length - 1, ...splitBatch(ringing), listed: listedAfter(decision), events: [], why: ringing.explanation }
      : { stepIndex: decision.steps.length, batch: [], rest: [], listed: [], events: [], final: decision.final };

    const published: Published = [];
    await db.tx(async (q) => {
      await q.query(
        `INSERT INTO routing_requests (id, requester_id, requester_organisation_id, requester_organisation_kind, client_id, request_type, urgency,
           criteria, language, segment, basis, consent_id, state, rule_set_region, rule_set_version, filter, final, explanation, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'ringing', $13, $14, $15, $16, $17, $18)`,
        [
          id, actor.staffId, actor.organisationId, actor.organisationKind, client.id, input.request.type, input.request.urgency, input.request.criteria ?? [],
          input.request.language ?? null, input.request.segment ?? null, input.basis, input.consentId ?? null, ruleSet.region,
          ruleSet.version, filter ? JSON.stringify(filter) : null, JSON.stringify(decision.final), JSON.stringify(events), now,
        ],
      );
      const row = (await this.row(q, id, true))!;
      await this.apply(q, row, plan, now, published);
    });
    await this.services.outbox.deliver(published);
    return this.view(db, (await this.row(db, id))!);
  }

  /** First accept wins: the request row is locked first, so exactly one accept commits. */
  async accept(actor: Actor, offerId: string): Promise<RingRequestView> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const published: Published = [];
    const row = await db.tx(async (q) => {
      const [offer] = await q.query<{ request_id: string; staff_id: string; state: string }>('SELECT request_id, staff_id, state FROM ring_offers WHERE id = $1', [offerId]);
      // Someone else's offer answers exactly like a missing one.
      if (!offer || offer.staff_id !== actor.staffId) throw notFound('No such offer');
      const req = (await this.row(q, offer.request_id, true))!;
      if (req.state !== 'ringing') throw conflict(req.accepted_by ? 'Someone else already took this request' : 'This request is no longer ringing');
      const taken = await q.query(`UPDATE ring_offers SET state = 'accepted', ended_at = $2 WHERE id = $1 AND state = 'ringing' RETURNING id`, [offerId, now]);
      if (!taken.length) throw conflict('This offer is no longer ringing');
      await this.withdrawOffers(q, req.id, now, published);
      const disclosure = await recordDisclosure(
        q,
        {
          at: now,
          discloser: { staffId: req.requester_id, organisationId: req.requester_organisation_id },
          recipients: [{ staffId: actor.staffId, organisationId: actor.organisationId }],
          clientId: req.client_id,
          categories: ['identity'],
          basis: req.basis,
          ...(req.consent_id ? { consentId: req.consent_id } : {}),
          routingRequestId: req.id,
        },
        auditSigner(this.deps),
      );
      const event: RingEventView = { at: now.toISOString(), kind: 'accepted', staffId: actor.staffId, explanation: { key: 'ringing.event.accepted', params: { staffId: actor.staffId } } };
      await q.query(
        `UPDATE routing_requests SET state = 'accepted', accepted_by = $2, disclosure_id = $3, ended_at = $4,
           explanation = explanation || $5::jsonb WHERE id = $1`,
        [req.id, actor.staffId, disclosure.disclosureId, now, JSON.stringify([event])],
      );
      await q.query(
        `INSERT INTO ring_activity (staff_id, last_accepted_at) VALUES ($1, $2)
         ON CONFLICT (staff_id) DO UPDATE SET last_accepted_at = EXCLUDED.last_accepted_at`,
        [actor.staffId, now],
      );
      await this.services.outbox.publish(q, published, RING_EVENTS.accepted, { requestId: req.id, staffId: actor.staffId });
      return req;
    });
    // Opens the conference and tells both sides before answering, so the answer carries the room.
    await this.services.outbox.deliver(published);
    return this.view(db, (await this.row(db, row.id))!);
  }

  async decline(actor: Actor, offerId: string, reason: string): Promise<{ ok: true }> {
    const ended = await this.endOffer(offerId, {
      staffId: actor.staffId,
      event: { kind: 'declined', staffId: actor.staffId, reason, explanation: { key: 'ringing.event.declined', params: { staffId: actor.staffId, reason } } },
    });
    if (ended === 'not_found') throw notFound('No such offer');
    if (ended === 'not_ringing') throw conflict('This offer is no longer ringing');
    return { ok: true };
  }

  /**
   * Someone who went offline or away stops ringing at once: their open offers
   * are withdrawn, and when nobody of the round is left the request moves on
   * without waiting for the ring timeout ("offline people are never rung").
   */
  async withdrawOffersOf(staffId: string, status: 'offline' | 'away'): Promise<number> {
    const offers = await this.deps.db.query<{ id: string }>(`SELECT id FROM ring_offers WHERE staff_id = $1 AND state = 'ringing'`, [staffId]);
    let withdrawn = 0;
    for (const { id } of offers) {
      const ended = await this.endOffer(id, {
        staffId,
        reason: status,
        event: { kind: 'withdrawn', staffId, reason: status, explanation: { key: 'ringing.event.withdrawn', params: { staffId, status } } },
      });
      if (ended === 'ended') withdrawn++;
    }
    return withdrawn;
  }

  /** Ends one ringing offer of `staffId` as declined, records why, and moves the request on when the round is empty. */
  private async endOffer(
    offerId: string,
    end: { staffId: string; reason?: string; event: Omit<RingEventView, 'at'> },
  ): Promise<'ended' | 'not_found' | 'not_ringing'> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const reason = end.reason ?? end.event.reason ?? '';
    const ended = await db.tx(async (q) => {
      const [offer] = await q.query<{ request_id: string; staff_id: string; round: number }>('SELECT request_id, staff_id, round FROM ring_offers WHERE id = $1', [offerId]);
      if (!offer || offer.staff_id !== end.staffId) return 'not_found' as const;
      const req = (await this.row(q, offer.request_id, true))!;
      const [done] = await q.query(
        `UPDATE ring_offers SET state = 'declined', decline_reason = $2, ended_at = $3 WHERE id = $1 AND state = 'ringing' RETURNING id`,
        [offerId, reason, now],
      );
      if (!done) return 'not_ringing' as const;
      const event: RingEventView = { at: now.toISOString(), ...end.event };
      await q.query('UPDATE routing_requests SET explanation = explanation || $2::jsonb WHERE id = $1', [req.id, JSON.stringify([event])]);
      const [left] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ring_offers WHERE request_id = $1 AND round = $2 AND state = 'ringing'`, [req.id, offer.round]);
      return { req, round: offer.round, nobodyLeft: left.n === 0 && req.round === offer.round && req.state === 'ringing' };
    });
    if (typeof ended === 'string') return ended;
    // Everyone of this round said no (or left): move on at once instead of waiting for the timeout.
    if (ended.nobodyLeft) await this.advance(ended.req.id, ended.round);
    else await this.progress(ended.req.id);
    return 'ended';
  }

  async cancel(actor: Actor, requestId: string): Promise<RingRequestView> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const published: Published = [];
    await db.tx(async (q) => {
      const req = await this.row(q, requestId, true);
      if (!req || !canReadRingRequest(actor, await this.parties(q, req))) throw notFound('No such request');
      if (!canCancelRingRequest(actor, { requesterId: req.requester_id })) throw new HttpError(403, 'forbidden', 'Only the requester can cancel a request');
      if (req.state !== 'ringing') throw conflict('This request is no longer ringing');
      await this.withdrawOffers(q, req.id, now, published);
      const event: RingEventView = { at: now.toISOString(), kind: 'cancelled', staffId: actor.staffId, explanation: { key: 'ringing.event.cancelled' } };
      await q.query(`UPDATE routing_requests SET state = 'cancelled', ended_at = $2, explanation = explanation || $3::jsonb WHERE id = $1`, [req.id, now, JSON.stringify([event])]);
    });
    await this.services.outbox.deliver(published);
    return this.progress(requestId);
  }

  /** "Leave a callback request" instead of waiting: the ring stops and the callback goes to the rule's owner team. */
  async leaveCallback(actor: Actor, requestId: string, body: { windows: { from: string; to: string }[]; channel: CallbackChannel }): Promise<RingRequestView> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const published: Published = [];
    await db.tx(async (q) => {
      const req = await this.row(q, requestId, true);
      if (!req || !canReadRingRequest(actor, await this.parties(q, req))) throw notFound('No such request');
      if (!canCancelRingRequest(actor, { requesterId: req.requester_id })) throw new HttpError(403, 'forbidden', 'Only the requester can leave a callback request');
      if (req.state !== 'ringing') throw conflict('This request is no longer ringing');
      const teamId = req.final.ownerTeamId ?? this.lastTeamOf(req);
      if (!teamId) throw conflict('This request has no team to leave a callback request for');
      const dueAt = req.final.dueAt ? new Date(req.final.dueAt) : new Date(now.getTime() + 86_400_000);
      const callbackId = await this.services.callbacks.create(q, { ...this.callbackFor(req, { teamId }, dueAt, 'requester_choice', body.channel), windows: body.windows }, published);
      await this.withdrawOffers(q, req.id, now, published);
      const event: RingEventView = { at: now.toISOString(), kind: 'final', explanation: { key: 'ringing.event.callback_left', params: { teamId } } };
      await q.query(
        `UPDATE routing_requests SET state = 'callback', callback_id = $2, ended_at = $3, explanation = explanation || $4::jsonb WHERE id = $1`,
        [req.id, callbackId, now, JSON.stringify([event])],
      );
    });
    await this.services.outbox.deliver(published);
    return this.progress(requestId);
  }

  /** The request, for its requester and the people it rang. */
  async get(actor: Actor, requestId: string): Promise<RingRequestView> {
    const req = await this.row(this.deps.db, requestId);
    if (!req || !canReadRingRequest(actor, await this.parties(this.deps.db, req))) throw notFound('No such request');
    return this.view(this.deps.db, req);
  }

  /** My own requests of the last week, newest first (the app's home after a reload). */
  async mine(actor: Actor): Promise<RingRequestView[]> {
    const since = new Date(this.deps.clock.now().getTime() - 7 * 86_400_000);
    const rows = await this.deps.db.query<RequestRow>(
      'SELECT * FROM routing_requests WHERE requester_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT 50',
      [actor.staffId, since],
    );
    const out: RingRequestView[] = [];
    for (const r of rows) out.push(await this.view(this.deps.db, r));
    return out;
  }

  /** Offers ringing for me now (the app asks after a reconnect). */
  async myOffers(actor: Actor): Promise<RingOfferView[]> {
    const rows = await this.deps.db.query<{ id: string; request_id: string; expires_at: Date; step_id: string }>(
      `SELECT id, request_id, expires_at, step_id FROM ring_offers WHERE staff_id = $1 AND state = 'ringing' ORDER BY offered_at`,
      [actor.staffId],
    );
    const out: RingOfferView[] = [];
    for (const o of rows) {
      const req = (await this.row(this.deps.db, o.request_id))!;
      out.push(await this.offerView(this.deps.db, req, o.id, new Date(o.expires_at), lastStepWhy(req)));
    }
    return out;
  }

  // ---- timers ----

  timerHandlers(): Record<string, TimerHandler> {
    return {
      [RING_TIMEOUT_TIMER]: async (q, timer, ctx) => {
        const { requestId, round, retry = 0 } = timer.payload as { requestId: string; round: number; retry?: number };
        const [req] = await q.query<{ state: string; round: number }>('SELECT state, round FROM routing_requests WHERE id = $1', [requestId]);
        if (!req || req.state !== 'ringing' || req.round !== round) return;
        // The next step is evaluated after this commits (it reads presence); should this
        // node die first, the retry scheduled here moves the ring on.
        await ctx.schedule({ kind: RING_TIMEOUT_TIMER, dueAt: new Date(ctx.now.getTime() + TIMEOUT_RETRY_MS), key: `ring:${requestId}:${round}:${retry + 1}`, payload: { requestId, round, retry: retry + 1 } });
        ctx.afterCommit(() => this.advance(requestId, round));
      },
    };
  }

  /** The round's offers ended unanswered: ring the next person, the next step, or take the final action. */
  async advance(requestId: string, round: number): Promise<void> {
    const { db, clock } = this.deps;
    const req = await this.row(db, requestId);
    if (!req || req.state !== 'ringing' || req.round !== round) return;
    const now = clock.now();
    const plan = await this.plan(req, now);
    const published: Published = [];
    const applied = await db.tx(async (q) => {
      const fresh = (await this.row(q, requestId, true))!;
      if (fresh.state !== 'ringing' || fresh.round !== round) return false;
      const expired = await q.query<{ id: string; staff_id: string }>(
        `UPDATE ring_offers SET state = 'expired', ended_at = $3 WHERE request_id = $1 AND round = $2 AND state = 'ringing' RETURNING id, staff_id`,
        [requestId, round, now],
      );
      if (expired.length) await this.publishOffersEnded(q, published, requestId, 'expired', expired);
      if (expired.length) plan.events.unshift({ at: now.toISOString(), kind: 'expired', explanation: { key: 'ringing.event.expired', params: { count: expired.length } } });
      await this.apply(q, fresh, plan, now, published);
      return true;
    });
    if (applied) await this.services.outbox.deliver(published);
  }

  // ---- internals ----

  /** From where the request is: the rest of this step, else the next steps in turn (skipping at once those with nobody). */
  private async plan(req: RequestRow, now: Date): Promise<Plan> {
    if (req.step_candidates.length) {
      return { stepIndex: req.step_index, ...splitBatch({ strategy: this.stepOf(req, req.step_index)!.strategy, candidates: req.step_candidates }), listed: req.listed, events: [], why: lastStepWhy(req) };
    }
    const filter = req.filter;
    const events: RingEventView[] = [];
    const listed = new Set(req.listed);
    if (filter) {
      const { client, directory } = (await readClientRecord(this.deps.db, this.deps.directory, req.client_id))!;
      const request = this.routingRequest(req);
      const ctx: DecideContext = {
        directory,
        presence: this.presence,
        ruleSetVersion: req.rule_set_version,
        orderCandidates: this.orderCandidates((f, s) => `${req.rule_set_region}:${f}:${s}`),
      };
      for (let i = req.step_index + 1; i < filter.steps.length; i++) {
        const view = await evaluateFilterStep(ctx, filter, filter.steps[i], request, client, now, listed);
        events.push(stepEvent(now, view));
        if (!view.skipped) return { stepIndex: i, ...splitBatch(view), listed: [...listed], events, why: view.explanation };
      }
    }
    return { stepIndex: filter?.steps.length ?? 0, batch: [], rest: [], listed: [...listed], events, final: req.final };
  }

  /** Applies a plan in the caller's transaction: offers a round, or ends the request with its final action. */
  private async apply(q: Queryable, req: RequestRow, plan: Plan, now: Date, published: Published): Promise<void> {
    if (plan.final) {
      const state: RingState = plan.final.action === 'callback' ? 'callback' : plan.final.action === 'urgent_queue' ? 'urgent_queue' : 'refused';
      const event: RingEventView = { at: now.toISOString(), kind: 'final', explanation: plan.final.explanation };
      // The callback goes to the rule's owner team, else the last team a step named,
      // else the first person the steps chose (e.g. the handler who was offline).
      const teamId = plan.final.ownerTeamId ?? this.lastTeamOf(req);
      const staffId = teamId ? undefined : firstPersonChosen([...req.explanation, ...plan.events]);
      const target = teamId ? { teamId } : staffId ? { staffId } : undefined;
      const callbackId =
        plan.final.action === 'callback' && target
          ? await this.services.callbacks.create(q, this.callbackFor(req, target, new Date(plan.final.dueAt!), 'steps_exhausted', { kind: 'conference' }), published)
          : null;
      if (plan.final.action === 'urgent_queue') {
        const { countyId } = (await clientPlacement(q, req.client_id))!;
        await this.services.urgent.enqueue(
          q,
          { region: countyId, routingRequestId: req.id, requester: { staffId: req.requester_id, organisationId: req.requester_organisation_id }, clientId: req.client_id, requestType: req.request_type, criteria: req.criteria },
          published,
        );
      }
      await q.query(
        `UPDATE routing_requests SET state = $2, step_index = $3, step_candidates = '[]', listed = $4, ended_at = $5,
           explanation = explanation || $6::jsonb, callback_id = $7 WHERE id = $1`,
        [req.id, state, plan.stepIndex, plan.listed, now, JSON.stringify([...plan.events, event]), callbackId],
      );
      await this.services.outbox.publish(q, published, RING_EVENTS.ended, { requestId: req.id });
      return;
    }
    const step = this.stepOf(req, plan.stepIndex)!;
    const round = req.round + 1;
    const expiresAt = new Date(now.getTime() + step.ringTimeoutSeconds * 1000);
    const offered: { id: string; staffId: string; standInFor?: { displayName: string } }[] = [];
    for (const c of plan.batch) {
      const id = randomUUID();
      await q.query(
        `INSERT INTO ring_offers (id, request_id, staff_id, step_id, round, state, offered_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'ringing', $6, $7)`,
        [id, req.id, c.staffId, step.id, round, now, expiresAt],
      );
      await q.query(
        `INSERT INTO ring_rotation (rotation_key, staff_id, last_offered_at) VALUES ($1, $2, $3)
         ON CONFLICT (rotation_key, staff_id) DO UPDATE SET last_offered_at = EXCLUDED.last_offered_at`,
        [`${req.rule_set_region}:${req.filter!.id}:${step.id}`, c.staffId, now],
      );
      offered.push({ id, staffId: c.staffId, standInFor: c.standInFor });
    }
    const event: RingEventView = { at: now.toISOString(), kind: 'offered', explanation: { key: 'ringing.event.offered', params: { stepId: step.id, staffIds: offered.map((o) => o.staffId) } } };
    await q.query(
      `UPDATE routing_requests SET step_index = $2, round = $3, step_candidates = $4, listed = $5, explanation = explanation || $6::jsonb WHERE id = $1`,
      [req.id, plan.stepIndex, round, JSON.stringify(plan.rest), plan.listed, JSON.stringify([...plan.events, event])],
    );
    await scheduleTimer(q, { kind: RING_TIMEOUT_TIMER, dueAt: expiresAt, key: `ring:${req.id}:${round}:0`, payload: { requestId: req.id, round } });
    const why = plan.why ?? { key: 'routing.step.ring', params: { stepId: step.id } };
    await this.services.outbox.publish(q, published, RING_EVENTS.offered, {
      requestId: req.id,
      expiresAt: expiresAt.toISOString(),
      offers: offered.map((o) => ({ offerId: o.id, staffId: o.staffId, why: whyThisPerson(why, step.select, o.standInFor) })),
    });
  }

  /** Ends the offers still ringing (someone accepted, the requester gave up); their people hear it after commit. */
  private async withdrawOffers(q: Queryable, requestId: string, now: Date, published: Published): Promise<void> {
    const ended = await q.query<{ id: string; staff_id: string }>(
      `UPDATE ring_offers SET state = 'withdrawn', ended_at = $2 WHERE request_id = $1 AND state = 'ringing' RETURNING id, staff_id`,
      [requestId, now],
    );
    if (ended.length) await this.publishOffersEnded(q, published, requestId, 'withdrawn', ended);
  }

  private async publishOffersEnded(q: Queryable, published: Published, requestId: string, state: 'withdrawn' | 'expired', offers: { id: string; staff_id: string }[]): Promise<void> {
    await this.services.outbox.publish(q, published, RING_EVENTS.offersEnded, { requestId, state, offers: offers.map((o) => ({ offerId: o.id, staffId: o.staff_id })) });
  }

  /** Orders round-robin and longest-idle candidates from state every node shares. */
  private orderCandidates(rotationKey: (filterId: string, stepId: string) => string): DecideContext['orderCandidates'] {
    return async (step, candidates) => {
      const ids = candidates.map((c) => c.staffId);
      const rows =
        step.strategy === 'round_robin'
          ? await this.deps.db.query<{ staff_id: string; t: Date }>('SELECT staff_id, last_offered_at AS t FROM ring_rotation WHERE rotation_key = $1 AND staff_id = ANY($2::text[])', [
              rotationKey(step.filterId, step.stepId),
              ids,
            ])
          : await this.deps.db.query<{ staff_id: string; t: Date }>('SELECT staff_id, last_accepted_at AS t FROM ring_activity WHERE staff_id = ANY($1::text[])', [ids]);
      const last = new Map(rows.map((r) => [r.staff_id, new Date(r.t).getTime()]));
      // Never rung (or never took a ring) first; Array.sort is stable, so ties keep the selector's order.
      return [...candidates].sort((a, b) => (last.get(a.staffId) ?? -Infinity) - (last.get(b.staffId) ?? -Infinity));
    };
  }

  // ---- subscribers (the outbox delivers the events above, retrying until each is handled) ----

  subscriptions(): Subscription[] {
    const on = (event: string, name: string, handle: (e: OutboxEvent) => Promise<void>): Subscription => ({ event, name, handle });
    return [
      on(RING_EVENTS.offered, 'ringing.push-offers', async ({ payload }) => {
        const { requestId, expiresAt, offers } = payload as { requestId: string; expiresAt: string; offers: { offerId: string; staffId: string; why: RingOfferView['why'] }[] };
        await wakeTimerRunners(this.deps.bus, new Date(expiresAt));
        const req = (await this.row(this.deps.db, requestId))!;
        for (const o of offers) this.realtime().toUser(o.staffId, PUSHES.ringOffer, await this.offerView(this.deps.db, req, o.offerId, new Date(expiresAt), o.why));
        await this.progress(requestId);
      }),
      on(RING_EVENTS.offersEnded, 'ringing.push-offers-ended', async ({ payload }) => {
        const { requestId, state, offers } = payload as { requestId: string; state: 'withdrawn' | 'expired'; offers: { offerId: string; staffId: string }[] };
        for (const o of offers) this.realtime().toUser(o.staffId, PUSHES.ringOfferEnded, { offerId: o.offerId, requestId, state });
      }),
      on(RING_EVENTS.accepted, 'ringing.open-conference', (e) => this.openConference(e as OutboxEvent<{ requestId: string; staffId: string }>)),
      on(RING_EVENTS.ended, 'ringing.push-progress', async ({ payload }) => void (await this.progress(String(payload.requestId)))),
    ];
  }

  /**
   * Opens the accepted request's conference room (once: a retry finds it open)
   * and shows both sides the request. When opening fails, both still hear of
   * the accept, with a note that the room is late, and the outbox tries again.
   */
  private async openConference({ payload: { requestId, staffId }, attempt }: OutboxEvent<{ requestId: string; staffId: string }>): Promise<void> {
    const req = (await this.row(this.deps.db, requestId))!;
    if (!req.room_id) {
      try {
        const { roomId } = await this.matrix.openConference({ creatorId: req.requester_id, inviteeIds: [staffId], name: req.request_type, grantReason: `routing:${req.id}` });
        await this.deps.db.query('UPDATE routing_requests SET room_id = $2 WHERE id = $1', [req.id, roomId]);
      } catch (err) {
        if (attempt === 1) {
          const event: RingEventView = { at: this.deps.clock.now().toISOString(), kind: 'conference_failed', explanation: { key: 'ringing.event.conference_failed' } };
          await this.deps.db.query('UPDATE routing_requests SET explanation = explanation || $2::jsonb WHERE id = $1', [req.id, JSON.stringify([event])]);
          await this.pushView(requestId, [req.requester_id, staffId]);
        }
        throw err;
      }
    }
    await this.pushView(requestId, [req.requester_id, staffId]);
  }

  private async pushView(requestId: string, staffIds: string[]): Promise<void> {
    const view = await this.view(this.deps.db, (await this.row(this.deps.db, requestId))!);
    for (const s of staffIds) this.realtime().toUser(s, PUSHES.ringProgress, view);
  }

  /** Tells the requester where the request is now. */
  private async progress(requestId: string): Promise<RingRequestView> {
    const req = (await this.row(this.deps.db, requestId))!;
    const view = await this.view(this.deps.db, req);
    this.realtime().toUser(req.requester_id, PUSHES.ringProgress, view);
    return view;
  }

  /** The last team a step of the request's filter selects: who owns a callback when the rule names nobody. */
  private lastTeamOf(req: RequestRow): string | null {
    const step = [...(req.filter?.steps ?? [])].reverse().find((s) => 'team' in s.select);
    return step && 'team' in step.select ? step.select.team : null;
  }

  private callbackFor(req: RequestRow, target: { teamId: string } | { staffId: string }, dueAt: Date, reason: 'steps_exhausted' | 'requester_choice', channel: CallbackChannel) {
    return {
      requester: { staffId: req.requester_id, organisationId: req.requester_organisation_id },
      target,
      clientId: req.client_id,
      requestType: req.request_type,
      routingRequestId: req.id,
      channel,
      dueAt,
      reason,
    };
  }

  private stepOf(req: RequestRow, index: number) {
    return req.filter?.steps[index];
  }

  private routingRequest(req: RequestRow): RoutingRequest {
    return {
      type: req.request_type as RoutingRequestInput['type'],
      urgency: req.urgency,
      criteria: req.criteria,
      ...(req.language ? { language: req.language } : {}),
      ...(req.segment ? { segment: req.segment } : {}),
      requester: { staffId: req.requester_id, organisationId: req.requester_organisation_id, organisationKind: req.requester_organisation_kind },
    };
  }

  private async row(q: Queryable, id: string, lock = false): Promise<RequestRow | undefined> {
    const [r] = await q.query<RequestRow>(`SELECT * FROM routing_requests WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return r;
  }

  private async parties(q: Queryable, req: RequestRow): Promise<{ requesterId: string; offeredTo: string[] }> {
    const rows = await q.query<{ staff_id: string }>('SELECT DISTINCT staff_id FROM ring_offers WHERE request_id = $1', [req.id]);
    return { requesterId: req.requester_id, offeredTo: rows.map((r) => r.staff_id) };
  }

  private async people(q: Queryable, ids: string[]): Promise<Map<string, RingRequestView['requester']>> {
    return (await this.deps.directory.snapshot(q)).people(ids);
  }

  private async view(q: Queryable, req: RequestRow): Promise<RingRequestView> {
    const ringing = await q.query<{ staff_id: string; expires_at: Date }>(`SELECT staff_id, expires_at FROM ring_offers WHERE request_id = $1 AND state = 'ringing' ORDER BY offered_at`, [req.id]);
    const people = await this.people(q, [req.requester_id, ...(req.accepted_by ? [req.accepted_by] : []), ...ringing.map((r) => r.staff_id)]);
    const client = await clientPlacement(q, req.client_id);
    const ended = req.state !== 'ringing';
    return {
      requestId: req.id,
      state: req.state,
      requester: people.get(req.requester_id)!,
      requestType: req.request_type,
      urgency: req.urgency,
      // The region whose rules routed a non-disclosure client (their county or district) would locate them.
      ruleSet: { region: client?.nonDisclosure ? null : req.rule_set_region, version: req.rule_set_version },
      ringing: ringing.map((r) => ({ staffId: r.staff_id, displayName: people.get(r.staff_id)?.displayName ?? r.staff_id, expiresAt: new Date(r.expires_at).toISOString() })),
      acceptedBy: req.accepted_by ? (people.get(req.accepted_by) ?? null) : null,
      roomId: req.room_id,
      callbackId: req.callback_id,
      final: ended && req.state !== 'accepted' && req.state !== 'cancelled' ? req.final : null,
      explanation: req.explanation,
      createdAt: new Date(req.created_at).toISOString(),
      endedAt: req.ended_at ? new Date(req.ended_at).toISOString() : null,
    };
  }

  /** What the rung person sees before accepting: no identity, and no municipality for a non-disclosure client. */
  private async offerView(q: Queryable, req: RequestRow, offerId: string, expiresAt: Date, why: RingOfferView['why']): Promise<RingOfferView> {
    const people = await this.people(q, [req.requester_id]);
    const c = await clientPlacement(q, req.client_id);
    return {
      offerId,
      requestId: req.id,
      requester: people.get(req.requester_id)!,
      requestType: req.request_type,
      urgency: req.urgency,
      criteria: req.criteria,
      language: req.language,
      ...(c && !c.nonDisclosure ? { municipality: c.municipality } : {}),
      expiresAt: expiresAt.toISOString(),
      why,
    };
  }
}

/**
 * The teams that kept the first counterpart the rules chose from ringing: the
 * closed teams of the first step whose people were left out for the hours, each
 * with its names and when it next opens (soonest first).
 */
function closedTeams(directory: Directory, decision: DecisionView, now: Date): ClosedTeamsView['teams'] {
  const ids = new Set<string>();
  for (const step of decision.steps) {
    for (const x of step.excluded) {
      if (x.reason !== 'outside_hours') continue;
      const p = x.explanation.params ?? {};
      for (const id of [p.teamId, ...(Array.isArray(p.teamIds) ? p.teamIds : [])]) if (typeof id === 'string') ids.add(id);
    }
    if (ids.size) break;
  }
  if (!ids.size) return [];
  return [...ids]
    .flatMap((id) => {
      const team = directory.team(id);
      if (!team) return [];
      const hours = directory.teamHours(id);
      const opensAt = hours ? nextOpeningAt(hours, now) : null;
      return [{
        teamId: id,
        nameFi: team.nameFi,
        nameSv: team.nameSv,
        organisationNameFi: directory.organisationName(team.organisationId, 'fi') ?? '',
        organisationNameSv: directory.organisationName(team.organisationId, 'sv') ?? '',
        opensAt: opensAt?.toISOString() ?? null,
      }];
    })
    .sort((a, b) => (a.opensAt ?? '~').localeCompare(b.opensAt ?? '~'));
}

/** Someone the steps chose who could take a callback: rung without answer, or left out only for now (offline, away, busy, closed). */
function firstPersonChosen(events: RingEventView[]): string | undefined {
  const later = new Set(['offline', 'away', 'busy', 'outside_hours']);
  for (const e of events) {
    if (e.kind !== 'step' || !e.step) continue;
    const person = e.step.candidates[0]?.staffId ?? e.step.excluded.find((x) => later.has(x.reason))?.staffId;
    if (person) return person;
  }
  return undefined;
}

function stepEvent(now: Date, step: StepDecisionView): RingEventView {
  return { at: now.toISOString(), kind: 'step', step, explanation: step.explanation };
}

/** A simultaneous step rings everyone at once; the others ring one person per round, in order. */
function splitBatch(step: Pick<StepDecisionView, 'strategy' | 'candidates'>): Pick<Plan, 'batch' | 'rest'> {
  return step.strategy === 'simultaneous' ? { batch: step.candidates, rest: [] } : { batch: step.candidates.slice(0, 1), rest: step.candidates.slice(1) };
}

function listedAfter(decision: DecisionView): string[] {
  return decision.steps.flatMap((s) => s.candidates.map((c) => c.staffId));
}

/** The step's explanation plus what chose this person: the step's selector, and whom they stand in for. */
function whyThisPerson(why: RingOfferView['why'], select: StepSelect, standInFor: { displayName: string } | undefined): RingOfferView['why'] {
  return { key: why.key, params: { ...why.params, ...select, ...(standInFor ? { standInForName: standInFor.displayName } : {}) } };
}

function lastStepWhy(req: RequestRow): RingOfferView['why'] {
  const step = [...req.explanation].reverse().find((e) => e.kind === 'step' && e.step && !e.step.skipped);
  return step?.explanation ?? { key: 'routing.step.ring' };
}
