// The urgent queue of a region (a county), shared by the on-call staff of the
// county and of Kela: a routing rule's final action 'urgent_queue' puts a
// request here. On-call staff claim an item, assess it (urgent or not, with
// criteria codes), hand it over and resolve it. A "not urgent" assessment is
// sent to the requesting organisation at once, with its codes.
import { randomUUID } from 'node:crypto';
import type { UrgencyCriterionView, UrgentAssessedView, UrgentItemView } from '../../../shared/src/urgent.ts';
import type { Actor } from '../auth/actor.ts';
import { canAdministerUrgencyCriteria, canWorkUrgentQueue, ownsUrgentItem } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { organisationScope, type Directory } from '../directory/index.ts';
import { HttpError, badRequest, conflict, forbidden, notFound } from '../http/errors.ts';
import type { Realtime } from '../realtime/gateway.ts';
import { PUSHES } from '../realtime/pushes.ts';
import type { Queryable } from '../store/db.ts';
import type { Outbox, Published, Subscription } from '../outbox/outbox.ts';
import type { Escalations } from './escalation.ts';
import { recordChange } from '../admin/changes.ts';

/** Wall-clock SLAs of an urgent item: acknowledge within 15 minutes, resolve within 4 hours. */
export const ACK_SLA_MS = 15 * 60_000;
export const RESOLVE_SLA_MS = 4 * 3_600_000;
/** An SLA is "due soon" in its last fifth. */
const DUE_SOON_SHARE = 0.2;

export const urgentRoom = (region: string) => `urgent:${region}`;

export interface NewUrgentItem {
  region: string;
  routingRequestId?: string;
  requester: { staffId: string; organisationId: string };
  clientId: string;
  requestType: string;
  criteria: string[];
}

interface Row {
  id: string;
  region: string;
  routing_request_id: string | null;
  requester_id: string;
  requester_organisation_id: string;
  client_id: string;
  request_type: string;
  criteria: string[];
  state: UrgentItemView['state'];
  owner_id: string | null;
  assessment: UrgentItemView['assessment'];
  assessment_criteria: string[];
  ack_due_at: Date;
  resolve_due_at: Date;
  created_at: Date;
  claimed_at: Date | null;
  resolved_at: Date | null;
}

/** The domain events of the urgent queue (the outbox carries them to their subscribers). */
export const URGENT_EVENTS = {
  /** { itemId }: an item joined its region's queue. */
  queued: 'urgent.queued',
  /** { itemId }: claimed, handed over or resolved. */
  changed: 'urgent.changed',
  /** { itemId, notice }: assessed; `notice` (an UrgentAssessedView) when not urgent, for the requesting organisation. */
  assessed: 'urgent.assessed',
} as const;

export class UrgentQueue {
  constructor(
    private readonly deps: Deps,
    readonly escalations: Escalations,
    private readonly outbox: Outbox,
  ) {}

  /** The criteria a region's urgent requests cite: its own, else the default set. */
  async criteria(q: Queryable, region: string): Promise<UrgencyCriterionView[]> {
    const rows = await q.query<{ code: string; name_fi: string; name_sv: string }>(
      `SELECT code, name_fi, name_sv FROM urgency_criteria
        WHERE active AND region = (CASE WHEN EXISTS (SELECT 1 FROM urgency_criteria WHERE region = $1 AND active) THEN $1 ELSE 'default' END)
        ORDER BY code`,
      [region],
    );
    return rows.map((r) => ({ code: r.code, nameFi: r.name_fi, nameSv: r.name_sv }));
  }

  /** Refuses (400, naming the field) codes the region does not know. */
  async checkCriteria(q: Queryable, region: string, codes: string[], path: string): Promise<void> {
    if (!codes.length) throw new HttpError(400, 'criteria_required', `${path}: an urgent request must cite at least one urgency criterion`, [{ path, message: 'at least one criterion' }]);
    const known = new Set((await this.criteria(q, region)).map((c) => c.code));
    const unknown = codes.filter((c) => !known.has(c));
    if (unknown.length) throw new HttpError(400, 'unknown_criteria', `${path}: unknown urgency criteria ${unknown.join(', ')}`, [{ path, message: `unknown: ${unknown.join(', ')}` }]);
  }

  /** Replaces a region's criteria (its admin); earlier codes are kept inactive so old items still read. */
  async setCriteria(actor: Actor, region: string, criteria: UrgencyCriterionView[]): Promise<UrgencyCriterionView[]> {
    const scope = await organisationScope(this.deps.db, region);
    if (!scope || scope.kind !== 'county') throw notFound('No such region');
    if (!canAdministerUrgencyCriteria(actor, { id: region, rootId: scope.rootId })) throw forbidden('Only an admin of the region can change its urgency criteria');
    const codes = criteria.map((c) => c.code);
    if (new Set(codes).size !== codes.length) throw badRequest('body.criteria: duplicate code', [{ path: 'body.criteria', message: 'duplicate code' }]);
    await this.deps.db.tx(async (q) => {
      await q.query('UPDATE urgency_criteria SET active = false, updated_at = now() WHERE region = $1', [region]);
      for (const c of criteria) {
        await q.query(
          `INSERT INTO urgency_criteria (region, code, name_fi, name_sv, active) VALUES ($1, $2, $3, $4, true)
           ON CONFLICT (region, code) DO UPDATE SET name_fi = EXCLUDED.name_fi, name_sv = EXCLUDED.name_sv, active = true, updated_at = now()`,
          [region, c.code, c.nameFi, c.nameSv],
        );
      }
      await recordChange(q, actor, this.deps.clock.now(), { organisationId: region, kind: 'urgency_criteria', target: region, action: 'updated', details: { criteria } });
    });
    this.deps.log.info({ staffId: actor.staffId, region, count: criteria.length }, 'urgency criteria changed');
    return this.criteria(this.deps.db, region);
  }

  /** Queues an item in the caller's transaction; the queue's watchers hear of it after commit. */
  async enqueue(q: Queryable, input: NewUrgentItem, published: Published): Promise<string> {
    const now = this.deps.clock.now();
    const id = randomUUID();
    await q.query(
      `INSERT INTO urgent_items (id, region, routing_request_id, requester_id, requester_organisation_id, client_id, request_type, criteria, state,
         ack_due_at, resolve_due_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'waiting', $9, $10, $11)`,
      [
        id, input.region, input.routingRequestId ?? null, input.requester.staffId, input.requester.organisationId, input.clientId, input.requestType,
        input.criteria, new Date(now.getTime() + ACK_SLA_MS), new Date(now.getTime() + RESOLVE_SLA_MS), now,
      ],
    );
    await this.event(q, id, 'queued', input.requester.staffId, now);
    await this.escalations.start(q, input.region, id, now);
    await this.outbox.publish(q, published, URGENT_EVENTS.queued, { itemId: id });
    return id;
  }

  async list(actor: Actor, region: string): Promise<UrgentItemView[]> {
    await this.requireOnCall(actor, region);
    const rows = await this.deps.db.query<Row>(`SELECT * FROM urgent_items WHERE region = $1 AND state <> 'resolved' ORDER BY created_at`, [region]);
    return Promise.all(rows.map((r) => this.view(this.deps.db, r)));
  }

  /** Lets an on-call person's socket follow the queue (the urgent:subscribe command). */
  async requireOnCall(actor: Actor, region: string): Promise<void> {
    const scope = await organisationScope(this.deps.db, region);
    if (!scope || scope.kind !== 'county' || !canWorkUrgentQueue(actor, { countyId: region })) throw notFound('No such queue');
  }

  async claim(actor: Actor, id: string): Promise<UrgentItemView> {
    return this.change(actor, id, async (q, row, now) => {
      if (row.state !== 'waiting') throw conflict(row.owner_id ? 'Someone already claimed this item' : 'This item is resolved');
      await q.query(`UPDATE urgent_items SET state = 'claimed', owner_id = $2, claimed_at = $3 WHERE id = $1`, [id, actor.staffId, now]);
      await this.event(q, id, 'claimed', actor.staffId, now);
      await this.escalations.acknowledge(q, id, actor.staffId, now);
    });
  }

  /** Urgent or not, on the cited criteria; not urgent is told to the requesting organisation at once. */
  async assess(actor: Actor, id: string, assessment: 'urgent' | 'not_urgent', criteria: string[]): Promise<UrgentItemView> {
    return this.change(actor, id, async (q, row, now, published) => {
      if (!ownsUrgentItem(actor, { state: row.state, ownerId: row.owner_id })) throw conflict('Claim the item before assessing it');
      await this.checkCriteria(q, row.region, criteria, 'body.criteria');
      await q.query('UPDATE urgent_items SET assessment = $2, assessment_criteria = $3, assessed_by = $4 WHERE id = $1', [id, assessment, criteria, actor.staffId]);
      await this.event(q, id, 'assessed', actor.staffId, now, { assessment, criteria });
      const notice: UrgentAssessedView | null =
        assessment === 'not_urgent' ? { itemId: id, routingRequestId: row.routing_request_id, assessment, criteria, assessedBy: actor.staffId, organisationId: actor.organisationId } : null;
      await this.outbox.publish(q, published, URGENT_EVENTS.assessed, { itemId: id, notice });
    });
  }

  async handOver(actor: Actor, id: string, toStaffId: string): Promise<UrgentItemView> {
    return this.change(actor, id, async (q, row, now) => {
      if (!ownsUrgentItem(actor, { state: row.state, ownerId: row.owner_id })) throw conflict('Only the owner hands an item over');
      const directory = await this.deps.directory.snapshot(q);
      const targetActor = directory.staff(toStaffId)?.active ? onCallFacts(directory, toStaffId) : undefined;
      if (!targetActor || !canWorkUrgentQueue(targetActor, { countyId: row.region }))
        throw badRequest('body.toStaffId: not an on-call person of this queue', [{ path: 'body.toStaffId', message: 'not on call for this queue' }]);
      await q.query('UPDATE urgent_items SET owner_id = $2 WHERE id = $1', [id, toStaffId]);
      await this.event(q, id, 'handed_over', actor.staffId, now, { to: toStaffId });
    });
  }

  async resolve(actor: Actor, id: string): Promise<UrgentItemView> {
    return this.change(actor, id, async (q, row, now) => {
      if (!ownsUrgentItem(actor, { state: row.state, ownerId: row.owner_id })) throw conflict('Only the owner resolves an item');
      await q.query(`UPDATE urgent_items SET state = 'resolved', resolved_at = $2 WHERE id = $1`, [id, now]);
      await this.event(q, id, 'resolved', actor.staffId, now);
    });
  }

  // ---- internals ----

  /** One change in a transaction with its event (`urgent.changed` unless fn publishes its own); answers once the subscribers ran. */
  private async change(actor: Actor, id: string, fn: (q: Queryable, row: Row, now: Date, published: Published) => Promise<void>): Promise<UrgentItemView> {
    const published: Published = [];
    await this.deps.db.tx(async (q) => {
      const [row] = await q.query<Row>('SELECT * FROM urgent_items WHERE id = $1 FOR UPDATE', [id]);
      if (!row || !canWorkUrgentQueue(actor, { countyId: row.region })) throw notFound('No such item');
      await fn(q, row, this.deps.clock.now(), published);
      if (!published.length) await this.outbox.publish(q, published, URGENT_EVENTS.changed, { itemId: id });
    });
    await this.outbox.deliver(published);
    const [row] = await this.deps.db.query<Row>('SELECT * FROM urgent_items WHERE id = $1', [id]);
    return this.view(this.deps.db, row);
  }

  // ---- subscribers (the outbox delivers the events above, retrying until each is handled) ----

  subscriptions(realtime: Realtime): Subscription[] {
    const announce = async ({ payload }: { payload: Record<string, unknown> }) => void (await this.announce(realtime, String(payload.itemId)));
    return [
      { event: URGENT_EVENTS.queued, name: 'urgent.announce', handle: announce },
      { event: URGENT_EVENTS.changed, name: 'urgent.announce', handle: announce },
      { event: URGENT_EVENTS.assessed, name: 'urgent.announce', handle: announce },
      {
        event: URGENT_EVENTS.assessed,
        name: 'urgent.notify-requester',
        handle: async ({ payload }) => {
          const notice = payload.notice as UrgentAssessedView | null;
          if (!notice) return;
          const [row] = await this.deps.db.query<Row>('SELECT * FROM urgent_items WHERE id = $1', [notice.itemId]);
          realtime.toOrganisation(row.requester_organisation_id, PUSHES.urgentAssessed, notice);
          realtime.toUser(row.requester_id, PUSHES.urgentAssessed, notice);
        },
      },
    ];
  }

  private async event(q: Queryable, id: string, kind: string, actorId: string, at: Date, details: Record<string, unknown> = {}): Promise<void> {
    await q.query('INSERT INTO urgent_item_events (item_id, at, kind, actor_id, details) VALUES ($1, $2, $3, $4, $5)', [id, at, kind, actorId, JSON.stringify(details)]);
  }

  /** Shows the item as it is now to everyone watching its queue. */
  async announce(realtime: Realtime, id: string): Promise<void> {
    const [row] = await this.deps.db.query<Row>('SELECT * FROM urgent_items WHERE id = $1', [id]);
    realtime.toRoom(urgentRoom(row.region), PUSHES.urgentChanged, await this.view(this.deps.db, row));
  }

  private async view(q: Queryable, r: Row): Promise<UrgentItemView> {
    const people = new Map([...(await this.deps.directory.snapshot(q)).people([r.requester_id, r.owner_id].filter((s): s is string => !!s))].map(([id, p]) => [id, p.displayName]));
    const now = this.deps.clock.now().getTime();
    const sla = (start: Date, due: Date, metAt: Date | null) => {
      const dueMs = new Date(due).getTime();
      if (metAt) return { dueAt: new Date(due).toISOString(), state: 'met' as const };
      const left = dueMs - now;
      const span = dueMs - new Date(start).getTime();
      return { dueAt: new Date(due).toISOString(), state: left <= 0 ? ('breached' as const) : left <= span * DUE_SOON_SHARE ? ('due_soon' as const) : ('ok' as const) };
    };
    return {
      id: r.id,
      region: r.region,
      routingRequestId: r.routing_request_id,
      requester: { staffId: r.requester_id, displayName: people.get(r.requester_id) ?? r.requester_id, organisationId: r.requester_organisation_id },
      requestType: r.request_type,
      criteria: r.criteria,
      state: r.state,
      owner: r.owner_id ? { staffId: r.owner_id, displayName: people.get(r.owner_id) ?? r.owner_id } : null,
      assessment: r.assessment,
      assessmentCriteria: r.assessment_criteria,
      escalationLevel: await this.escalations.levelOf(q, r.id),
      ageSeconds: Math.max(0, Math.floor((now - new Date(r.created_at).getTime()) / 1000)),
      sla: { acknowledge: sla(r.created_at, r.ack_due_at, r.claimed_at), resolve: sla(r.created_at, r.resolve_due_at, r.resolved_at) },
      createdAt: new Date(r.created_at).toISOString(),
    };
  }
}

/** A person's roles, as the policy needs them (for hand-over targets); undefined for someone without any. */
function onCallFacts(directory: Directory, staffId: string): Actor | undefined {
  const roles = directory.rolesOf(staffId);
  const person = directory.staff(staffId);
  if (!roles.length || !person) return undefined;
  return {
    staffId,
    displayName: '',
    organisationId: '',
    rootOrganisationId: directory.rootOf(staffId)!,
    organisationKind: person.organisationKind === 'county' ? 'county' : 'kela',
    roles,
    via: 'bearer',
    tokenKind: 'api',
    tokenHash: Buffer.alloc(0),
  };
}
