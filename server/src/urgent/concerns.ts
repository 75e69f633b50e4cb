// The concern-notification feedback loop (huoli-ilmoitus). Today a sender
// never hears what became of a concern; here the receiving county gives each
// status (client reached or not, taken charge with the responsible worker
// named, closed) and the sender sees it live. When no status arrives within
// the region's working-day limit, a reminder goes to the receiving county and
// the sender. The concern's content travels encrypted in a conference, never here.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { hetuSchema, naturalId } from '../../../shared/src/directory.ts';
import { concernStatusInput, concernView, type ConcernStatus, type ConcernView } from '../../../shared/src/urgent.ts';
import type { Actor } from '../auth/actor.ts';
import { canFollowConcern, canGiveConcernStatus } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { lookUpClient } from '../directory/index.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { HttpError, badRequest, conflict, notFound } from '../http/errors.ts';
import type { Realtime } from '../realtime/gateway.ts';
import { PUSHES } from '../realtime/pushes.ts';
import type { Queryable } from '../store/db.ts';
import { scheduleTimer, wakeTimerRunners, type TimerHandler } from '../timers/timers.ts';
import { addWorkingDays } from './working-time.ts';

export const CONCERN_REMINDER_TIMER = 'concern.reminder';
const DEFAULT_LIMIT_WORKING_DAYS = 3;

/** Which status may follow which: reached or not first, then taken charge, and closing at any time. */
const NEXT: Record<ConcernStatus, ConcernStatus[]> = {
  received: ['client_reached', 'client_not_reached', 'taken_charge', 'closed'],
  client_not_reached: ['client_reached', 'client_not_reached', 'taken_charge', 'closed'],
  client_reached: ['taken_charge', 'closed'],
  taken_charge: ['closed'],
  closed: [],
};

interface Row {
  id: string;
  client_id: string;
  from_organisation_id: string;
  to_organisation_id: string;
  status: ConcernStatus;
  sender_id: string | null;
  responsible_worker_id: string | null;
  status_due_at: Date | null;
  created_at: Date;
  client_reference: string | null;
}

export class Concerns {
  constructor(
    private readonly deps: Deps,
    private readonly realtime: () => Realtime,
  ) {}

  /** A tracked concern to the client's county; reading the client for it is logged. */
  async send(actor: Actor, client: { hetu: string } | { applicationId: string }): Promise<ConcernView> {
    const record = await lookUpClient(this.deps, actor, { ...client, purpose: 'case_handling' });
    const reference = 'applicationId' in client ? client.applicationId : (newestApplication(record.pendingApplications) ?? null);
    const now = this.deps.clock.now();
    const id = randomUUID();
    let due!: Date;
    await this.deps.db.tx(async (q) => {
      due = await this.dueFrom(q, record.county.id, now);
      await q.query(
        `INSERT INTO concern_notifications (id, client_id, from_organisation_id, to_organisation_id, status, created_at, sender_id, status_due_at, updated_at, client_reference)
         VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $5, $8)`,
        [id, record.id, actor.organisationId, record.county.id, now, actor.staffId, due, reference],
      );
      await q.query(`INSERT INTO concern_status_events (concern_id, at, status, actor_id) VALUES ($1, $2, 'received', $3)`, [id, now, actor.staffId]);
      await scheduleTimer(q, { kind: CONCERN_REMINDER_TIMER, dueAt: due, key: `concern:${id}:${due.toISOString()}`, payload: { concernId: id, dueAt: due.toISOString() } });
    });
    await wakeTimerRunners(this.deps.bus, due);
    return this.announce(id);
  }

  async setStatus(actor: Actor, id: string, status: Exclude<ConcernStatus, 'received'>, responsibleWorkerId?: string): Promise<ConcernView> {
    const now = this.deps.clock.now();
    let due: Date | null = null;
    await this.deps.db.tx(async (q) => {
      const row = await this.row(q, id, true);
      if (!row || !canFollowConcern(actor, facts(row))) throw notFound('No such concern');
      if (!canGiveConcernStatus(actor, facts(row))) throw new HttpError(403, 'forbidden', 'Only the receiving county gives the status');
      if (!NEXT[row.status].includes(status)) throw conflict(`A concern that is ${row.status} cannot become ${status}`);
      if (responsibleWorkerId) {
        const directory = await this.deps.directory.snapshot(q);
        if (!directory.staff(responsibleWorkerId)?.active || directory.rootOf(responsibleWorkerId) !== row.to_organisation_id)
          throw badRequest('body.responsibleWorkerId: not a worker of the receiving county', [{ path: 'body.responsibleWorkerId', message: 'not a worker of the receiving county' }]);
      }
      due = status === 'closed' ? null : await this.dueFrom(q, row.to_organisation_id, now);
      await q.query(
        `UPDATE concern_notifications SET status = $2, responsible_worker_id = COALESCE($3, responsible_worker_id), status_due_at = $4, updated_at = $5 WHERE id = $1`,
        [id, status, responsibleWorkerId ?? null, due, now],
      );
      await q.query('INSERT INTO concern_status_events (concern_id, at, status, actor_id) VALUES ($1, $2, $3, $4)', [id, now, status, actor.staffId]);
      if (due) await scheduleTimer(q, { kind: CONCERN_REMINDER_TIMER, dueAt: due, key: `concern:${id}:${due.toISOString()}`, payload: { concernId: id, dueAt: due.toISOString() } });
    });
    if (due) await wakeTimerRunners(this.deps.bus, due);
    return this.announce(id);
  }

  async get(actor: Actor, id: string): Promise<ConcernView> {
    const row = await this.row(this.deps.db, id);
    if (!row || !canFollowConcern(actor, facts(row))) throw notFound('No such concern');
    return this.view(this.deps.db, row);
  }

  /** Sent by my organisation, or received by my county; open ones first by due time. */
  async list(actor: Actor, which: 'sent' | 'received'): Promise<ConcernView[]> {
    const rows = await this.deps.db.query<Row>(
      which === 'sent'
        ? `SELECT * FROM concern_notifications WHERE from_organisation_id = $1 AND sender_id IS NOT NULL ORDER BY status = 'closed', status_due_at NULLS LAST LIMIT 200`
        : `SELECT * FROM concern_notifications WHERE to_organisation_id = $1 AND sender_id IS NOT NULL ORDER BY status = 'closed', status_due_at NULLS LAST LIMIT 200`,
      [which === 'sent' ? actor.organisationId : actor.rootOrganisationId],
    );
    return Promise.all(rows.filter((r) => canFollowConcern(actor, facts(r))).map((r) => this.view(this.deps.db, r)));
  }

  timerHandlers(): Record<string, TimerHandler> {
    return {
      [CONCERN_REMINDER_TIMER]: async (q, timer, ctx) => {
        const row = await this.row(q, String(timer.payload.concernId));
        // Only if this deadline still stands: a status given since moved it on.
        if (!row || row.status === 'closed' || !row.status_due_at || new Date(row.status_due_at).toISOString() !== timer.payload.dueAt) return;
        ctx.afterCommit(async () => {
          const view = await this.view(this.deps.db, row);
          this.realtime().toOrganisation(row.to_organisation_id, PUSHES.concernReminder, view);
          if (row.sender_id) this.realtime().toUser(row.sender_id, PUSHES.concernReminder, view);
        });
      },
    };
  }

  private async dueFrom(q: Queryable, region: string, from: Date): Promise<Date> {
    const [l] = await q.query<{ working_days: number }>('SELECT working_days FROM concern_feedback_limits WHERE region = $1', [region]);
    return addWorkingDays(from, l?.working_days ?? DEFAULT_LIMIT_WORKING_DAYS);
  }

  private async announce(id: string): Promise<ConcernView> {
    const row = (await this.row(this.deps.db, id))!;
    const view = await this.view(this.deps.db, row);
    if (row.sender_id) this.realtime().toUser(row.sender_id, PUSHES.concernStatus, view);
    this.realtime().toOrganisation(row.from_organisation_id, PUSHES.concernStatus, view);
    return view;
  }

  private async row(q: Queryable, id: string, lock = false): Promise<Row | undefined> {
    const [r] = await q.query<Row>(`SELECT * FROM concern_notifications WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return r;
  }

  private async view(q: Queryable, r: Row): Promise<ConcernView> {
    const ids = [r.sender_id, r.responsible_worker_id].filter((x): x is string => !!x);
    const byId = (await this.deps.directory.snapshot(q)).people(ids);
    const history = await q.query<{ at: Date; status: string; actor_id: string | null }>('SELECT at, status, actor_id FROM concern_status_events WHERE concern_id = $1 ORDER BY id', [r.id]);
    const person = (id: string | null) => {
      const p = id ? byId.get(id) : undefined;
      return id ? { staffId: id, displayName: p?.displayName ?? id, organisationNameFi: p?.organisationNameFi ?? '', organisationNameSv: p?.organisationNameSv ?? '' } : null;
    };
    return {
      id: r.id,
      status: r.status,
      fromOrganisationId: r.from_organisation_id,
      toOrganisationId: r.to_organisation_id,
      sender: person(r.sender_id),
      clientReference: r.client_reference,
      responsibleWorker: person(r.responsible_worker_id),
      statusDueAt: r.status_due_at ? new Date(r.status_due_at).toISOString() : null,
      createdAt: new Date(r.created_at).toISOString(),
      history: history.map((h) => ({ at: new Date(h.at).toISOString(), status: h.status, actorId: h.actor_id })),
    };
  }
}

/** The pending application submitted last, if any. */
function newestApplication(applications: { id: string; submittedAt: string }[]): string | undefined {
  return [...applications].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))[0]?.id;
}

const facts = (r: Row) => ({ fromOrganisationId: r.from_organisation_id, toOrganisationId: r.to_organisation_id });

export function concernMounts(concerns: Concerns): Mount[] {
  const api = Router();
  const idParams = z.strictObject({ id: z.uuid() });
  route(api, {
    method: 'post', path: '/api/concerns', tag: 'concerns', status: 201, summary: 'Send a tracked concern notification to the client’s county (the content goes in a conference)',
    body: z.strictObject({ client: z.union([z.strictObject({ hetu: hetuSchema }), z.strictObject({ applicationId: naturalId })]) }), response: concernView,
    handler: ({ actor, body }) => concerns.send(actor, body.client),
  });
  route(api, {
    method: 'get', path: '/api/concerns', tag: 'concerns', summary: 'Concerns my organisation sent, or my county received',
    query: z.strictObject({ view: z.enum(['sent', 'received']).default('sent') }), response: z.array(concernView),
    handler: ({ actor, query }) => concerns.list(actor, query.view),
  });
  route(api, {
    method: 'get', path: '/api/concerns/:id', tag: 'concerns', summary: 'One concern with its status history',
    params: idParams, response: concernView,
    handler: ({ actor, params }) => concerns.get(actor, params.id),
  });
  route(api, {
    method: 'post', path: '/api/concerns/:id/status', tag: 'concerns', summary: 'The receiving county’s next status; the sender sees it live',
    params: idParams, body: concernStatusInput, response: concernView,
    handler: ({ actor, params, body }) => concerns.setStatus(actor, params.id, body.status, body.responsibleWorkerId),
  });
  return [{ path: '/', router: api }];
}
