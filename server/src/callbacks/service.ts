// Callback requests: created when a ring runs out of steps, when the requester
// chooses to leave one instead of waiting, or directly. Lifecycle: open →
// claimed → done | cancelled; a "not reached" attempt is recorded and the owner
// tries again. A reminder goes out before the due time; an overdue callback
// escalates to the team's supervisor.
import { randomUUID } from 'node:crypto';
import type { CallbackChannel, CallbackReason, CallbackView, CreateCallbackInput } from '../../../shared/src/callbacks.ts';
import type { Actor } from '../auth/actor.ts';
import { canCancelCallback, canClaimCallback, canCompleteCallback, canReadCallback, canWorkOnClientMatters, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { lookUpClient } from '../directory/index.ts';
import { HttpError, badRequest, conflict, notFound } from '../http/errors.ts';
import type { Matrix } from '../matrix/index.ts';
import type { Realtime } from '../realtime/gateway.ts';
import { PUSHES } from '../realtime/pushes.ts';
import { addWorkingDays } from '../routing/decide.ts';
import type { Queryable } from '../store/db.ts';
import type { Outbox, Published, Subscription } from '../outbox/outbox.ts';
import { scheduleTimer, wakeTimerRunners, type TimerHandler } from '../timers/timers.ts';

export const CALLBACK_REMINDER_TIMER = 'callback.reminder';
export const CALLBACK_OVERDUE_TIMER = 'callback.overdue';
/** How long before the due time the reminder goes out. */
const REMINDER_BEFORE_MS = 15 * 60_000;

/** The domain events of callbacks (the outbox carries them to their subscribers); payloads name the callback. */
export const CALLBACK_EVENTS = {
  /** { callbackId, wakeAt }: its conference room is opened and everyone concerned hears of it. */
  created: 'callback.created',
  /** { callbackId, ownerId }: the owner is let into the room. */
  claimed: 'callback.claimed',
  /** { callbackId }: done, not reached or cancelled. */
  changed: 'callback.changed',
  /** { callbackId }: the reminder before the due time. */
  reminded: 'callback.reminded',
  /** { callbackId, supervisors }: overdue, the supervisors hear of it. */
  escalated: 'callback.escalated',
} as const;

export interface NewCallback {
  requester: { staffId: string; organisationId: string };
  target: { teamId: string } | { staffId: string };
  clientId?: string;
  requestType: string;
  routingRequestId?: string;
  windows?: { from: string; to: string }[];
  channel: CallbackChannel;
  dueAt: Date;
  reason: CallbackReason;
}

interface Row {
  id: string;
  requester_id: string;
  requester_organisation_id: string;
  target_team_id: string | null;
  target_staff_id: string | null;
  client_id: string | null;
  request_type: string;
  routing_request_id: string | null;
  windows: { from: string; to: string }[];
  channel: CallbackChannel;
  due_at: Date;
  reason: CallbackReason;
  state: CallbackView['state'];
  owner_id: string | null;
  attempts: number;
  room_id: string | null;
  escalated_at: Date | null;
  created_at: Date;
  closed_at: Date | null;
}

export class Callbacks {
  constructor(
    private readonly deps: Deps,
    /** The node's one Matrix context, for the conference rooms. */
    private readonly matrix: Matrix,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Creates a callback in the caller's transaction. The conference room (where
   * the requester's encrypted note goes) and the notifications follow after
   * commit, through its `callback.created` event.
   */
  async create(q: Queryable, input: NewCallback, published: Published): Promise<string> {
    const now = this.deps.clock.now();
    const id = randomUUID();
    const target = 'teamId' in input.target ? { team: input.target.teamId, staff: null } : { team: null, staff: input.target.staffId };
    await q.query(
      `INSERT INTO callbacks (id, requester_id, requester_organisation_id, target_team_id, target_staff_id, client_id, request_type,
         routing_request_id, windows, channel, due_at, reason, state, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13)`,
      [
        id, input.requester.staffId, input.requester.organisationId, target.team, target.staff, input.clientId ?? null, input.requestType,
        input.routingRequestId ?? null, JSON.stringify(input.windows ?? []), JSON.stringify(input.channel), input.dueAt, input.reason, now,
      ],
    );
    await this.event(q, id, 'created', input.requester.staffId, now);
    const reminderAt = new Date(input.dueAt.getTime() - REMINDER_BEFORE_MS);
    if (reminderAt > now) await scheduleTimer(q, { kind: CALLBACK_REMINDER_TIMER, dueAt: reminderAt, key: `callback:${id}:reminder`, payload: { callbackId: id } });
    await scheduleTimer(q, { kind: CALLBACK_OVERDUE_TIMER, dueAt: input.dueAt, key: `callback:${id}:overdue`, payload: { callbackId: id } });
    await this.outbox.publish(q, published, CALLBACK_EVENTS.created, { callbackId: id, wakeAt: (reminderAt > now ? reminderAt : input.dueAt).toISOString() });
    return id;
  }

  /** A callback asked for directly, without a ring first. */
  async createDirect(actor: Actor, body: CreateCallbackInput): Promise<CallbackView> {
    require(canWorkOnClientMatters(actor), 'Callbacks are asked for by people who work with clients');
    const { db, clock } = this.deps;
    const now = clock.now();
    const dueAt = body.dueAt ? new Date(body.dueAt) : addWorkingDays(now, 1);
    if (dueAt <= now) throw badRequest('body.dueAt: must be in the future', [{ path: 'body.dueAt', message: 'must be in the future' }]);
    await this.checkTarget(body.target);
    const client = body.client ? await lookUpClient(this.deps, actor, { ...body.client, purpose: 'callback' }) : undefined;
    const published: Published = [];
    const id = await db.tx((q) =>
      this.create(
        q,
        {
          requester: { staffId: actor.staffId, organisationId: actor.organisationId },
          target: body.target,
          ...(client ? { clientId: client.id } : {}),
          requestType: body.requestType,
          windows: body.windows,
          channel: body.channel,
          dueAt,
          reason: 'direct',
        },
        published,
      ),
    );
    // The answer carries the conference room.
    await this.outbox.deliver(published);
    return this.view(db, (await this.row(db, id))!);
  }

  async list(actor: Actor, which: 'mine' | 'team' | 'created'): Promise<CallbackView[]> {
    const { db } = this.deps;
    const rows =
      which === 'mine'
        ? // Claimed by me or addressed to me, still to do.
          await db.query<Row>(`SELECT * FROM callbacks WHERE state IN ('open', 'claimed') AND (owner_id = $1 OR target_staff_id = $1) ORDER BY due_at`, [actor.staffId])
        : which === 'team'
          ? await db.query<Row>(`SELECT * FROM callbacks WHERE state IN ('open', 'claimed') AND target_team_id = ANY($1::text[]) ORDER BY due_at`, [
              (await this.deps.directory.snapshot(db)).staff(actor.staffId)?.teamIds ?? [],
            ])
          : await db.query<Row>(`SELECT * FROM callbacks WHERE requester_id = $1 ORDER BY created_at DESC LIMIT 200`, [actor.staffId]);
    return Promise.all(rows.map((r) => this.view(db, r)));
  }

  async get(actor: Actor, id: string): Promise<CallbackView> {
    const row = await this.row(this.deps.db, id);
    if (!row || !canReadCallback(actor, await this.facts(this.deps.db, row, actor))) throw notFound('No such callback');
    return this.view(this.deps.db, row);
  }

  /** Takes the callback: the owner is let into its conference room to read the requester's note. */
  async claim(actor: Actor, id: string): Promise<CallbackView> {
    return this.transition(actor, id, 'claimed', async (q, r, facts, published) => {
      if (!canClaimCallback(actor, facts)) throw new HttpError(403, 'forbidden', 'Only the addressed person or a member of the addressed team can claim this callback');
      if (r.state !== 'open') throw conflict(r.owner_id ? 'Someone already claimed this callback' : 'This callback is closed');
      await q.query(`UPDATE callbacks SET state = 'claimed', owner_id = $2 WHERE id = $1`, [id, actor.staffId]);
      await this.outbox.publish(q, published, CALLBACK_EVENTS.claimed, { callbackId: id, ownerId: actor.staffId });
    });
  }

  async done(actor: Actor, id: string): Promise<CallbackView> {
    return this.transition(actor, id, 'done', async (q, r, facts) => {
      if (!canCompleteCallback(actor, facts)) throw new HttpError(403, 'forbidden', 'Only the owner can complete this callback');
      if (r.state !== 'claimed') throw conflict('Claim the callback first');
      await q.query(`UPDATE callbacks SET state = 'done', closed_at = $2 WHERE id = $1`, [id, this.deps.clock.now()]);
    });
  }

  /** The client or the counterpart could not be reached: the attempt is recorded and the owner keeps it. */
  async notReached(actor: Actor, id: string): Promise<CallbackView> {
    return this.transition(actor, id, 'not_reached', async (q, r, facts) => {
      if (!canCompleteCallback(actor, facts)) throw new HttpError(403, 'forbidden', 'Only the owner can record an attempt');
      if (r.state !== 'claimed') throw conflict('Claim the callback first');
      await q.query('UPDATE callbacks SET attempts = attempts + 1 WHERE id = $1', [id]);
    });
  }

  async cancel(actor: Actor, id: string): Promise<CallbackView> {
    return this.transition(actor, id, 'cancelled', async (q, r, facts) => {
      if (!canCancelCallback(actor, facts)) throw new HttpError(403, 'forbidden', 'Only the requester can cancel a callback');
      if (r.state !== 'open' && r.state !== 'claimed') throw conflict('This callback is closed');
      await q.query(`UPDATE callbacks SET state = 'cancelled', closed_at = $2 WHERE id = $1`, [id, this.deps.clock.now()]);
    });
  }

  timerHandlers(): Record<string, TimerHandler> {
    return {
      [CALLBACK_REMINDER_TIMER]: async (q, timer, ctx) => {
        const row = await this.row(q, String(timer.payload.callbackId), true);
        if (!row || (row.state !== 'open' && row.state !== 'claimed')) return;
        await this.event(q, row.id, 'reminded', null, ctx.now);
        const published: Published = [];
        await this.outbox.publish(q, published, CALLBACK_EVENTS.reminded, { callbackId: row.id });
        ctx.afterCommit(() => this.outbox.deliver(published));
      },
      [CALLBACK_OVERDUE_TIMER]: async (q, timer, ctx) => {
        const row = await this.row(q, String(timer.payload.callbackId), true);
        if (!row || (row.state !== 'open' && row.state !== 'claimed') || row.escalated_at) return;
        const supervisors = await this.supervisorsOf(q, row);
        await q.query('UPDATE callbacks SET escalated_at = $2 WHERE id = $1', [row.id, ctx.now]);
        await this.event(q, row.id, 'escalated', null, ctx.now);
        const published: Published = [];
        await this.outbox.publish(q, published, CALLBACK_EVENTS.escalated, { callbackId: row.id, supervisors });
        ctx.afterCommit(() => this.outbox.deliver(published));
      },
    };
  }

  // ---- subscribers (the outbox delivers the events above, retrying until each is handled) ----

  subscriptions(realtime: Realtime): Subscription[] {
    const on = (event: string, name: string, handle: (callback: Row, payload: Record<string, unknown>) => Promise<void>): Subscription => ({
      event,
      name,
      handle: async ({ payload }) => handle((await this.row(this.deps.db, String(payload.callbackId)))!, payload),
    });
    const announce = async (row: Row) => void (await this.announce(realtime, row.id));
    return [
      on(CALLBACK_EVENTS.created, 'callbacks.open-conference', async (row, { wakeAt }) => {
        await wakeTimerRunners(this.deps.bus, new Date(String(wakeAt)));
        // Once: a retry finds the room open.
        if (!row.room_id) {
          const { roomId } = await this.matrix.openConference({ creatorId: row.requester_id, inviteeIds: [], name: row.request_type, grantReason: `callback:${row.id}` });
          await this.deps.db.query('UPDATE callbacks SET room_id = $2 WHERE id = $1', [row.id, roomId]);
        }
        await announce(row);
      }),
      on(CALLBACK_EVENTS.claimed, 'callbacks.admit-owner', async (row, { ownerId }) => {
        if (row.room_id) {
          await this.matrix.admitToConference({ roomId: row.room_id, staffId: String(ownerId), inviterId: row.requester_id, grantReason: `callback:${row.id}` });
        }
        await announce(row);
      }),
      on(CALLBACK_EVENTS.changed, 'callbacks.announce', announce),
      on(CALLBACK_EVENTS.reminded, 'callbacks.push-reminder', async (row) => {
        const view = await this.view(this.deps.db, row);
        if (row.owner_id) realtime.toUser(row.owner_id, PUSHES.callbackReminder, view);
        else if (row.target_staff_id) realtime.toUser(row.target_staff_id, PUSHES.callbackReminder, view);
        else realtime.toTeam(row.target_team_id!, PUSHES.callbackReminder, view);
      }),
      on(CALLBACK_EVENTS.escalated, 'callbacks.push-overdue', async (row, { supervisors }) => {
        const view = await this.view(this.deps.db, row);
        for (const s of supervisors as string[]) realtime.toUser(s, PUSHES.callbackOverdue, view);
      }),
    ];
  }

  // ---- internals ----

  /** One change of state in a transaction with its history line and event; answers with the callback once its subscribers ran. */
  private async transition(
    actor: Actor,
    id: string,
    kind: string,
    change: (q: Queryable, row: Row, facts: CallbackFacts, published: Published) => Promise<void>,
  ): Promise<CallbackView> {
    const published: Published = [];
    await this.deps.db.tx(async (q) => {
      const row = await this.row(q, id, true);
      const facts = row ? await this.facts(q, row, actor) : undefined;
      if (!row || !facts || !canReadCallback(actor, facts)) throw notFound('No such callback');
      await change(q, row, facts, published);
      await this.event(q, id, kind, actor.staffId, this.deps.clock.now());
      if (!published.length) await this.outbox.publish(q, published, CALLBACK_EVENTS.changed, { callbackId: id });
    });
    await this.outbox.deliver(published);
    return this.view(this.deps.db, (await this.row(this.deps.db, id))!);
  }

  private async facts(q: Queryable, row: Row, actor: Actor): Promise<CallbackFacts> {
    const inTeam = row.target_team_id ? !!(await this.deps.directory.snapshot(q)).staff(actor.staffId)?.teamIds.includes(row.target_team_id) : false;
    return { requesterId: row.requester_id, targetStaffId: row.target_staff_id, ownerId: row.owner_id, inTargetTeam: inTeam };
  }

  private async checkTarget(target: CreateCallbackInput['target']): Promise<void> {
    const directory = await this.deps.directory.snapshot();
    const found = 'teamId' in target ? directory.team(target.teamId) : directory.staff(target.staffId)?.active;
    const path = 'teamId' in target ? 'body.target.teamId' : 'body.target.staffId';
    if (!found) throw badRequest(`${path}: no such ${'teamId' in target ? 'team' : 'person'}`, [{ path, message: 'unknown' }]);
  }

  /** The supervisor of the team addressed, or of each team of the person addressed. */
  private async supervisorsOf(q: Queryable, row: Row): Promise<string[]> {
    const directory = await this.deps.directory.snapshot(q);
    const teamIds = row.target_team_id ? [row.target_team_id] : row.target_staff_id ? (directory.staff(row.target_staff_id)?.teamIds ?? []) : [];
    return [...new Set(teamIds.map((t) => directory.team(t)?.supervisorId).filter((s): s is string => !!s))];
  }

  private async event(q: Queryable, id: string, kind: string, actorId: string | null, at: Date): Promise<void> {
    await q.query('INSERT INTO callback_events (callback_id, at, kind, actor_id) VALUES ($1, $2, $3, $4)', [id, at, kind, actorId]);
  }

  /** Pushes the callback to everyone concerned: requester, owner, the addressed person or team. */
  private async announce(rt: Realtime, id: string): Promise<CallbackView> {
    const row = (await this.row(this.deps.db, id))!;
    const view = await this.view(this.deps.db, row);
    for (const s of new Set([row.requester_id, row.owner_id, row.target_staff_id].filter((s): s is string => !!s))) rt.toUser(s, PUSHES.callbackChanged, view);
    if (row.target_team_id) rt.toTeam(row.target_team_id, PUSHES.callbackChanged, view);
    return view;
  }

  private async row(q: Queryable, id: string, lock = false): Promise<Row | undefined> {
    const [r] = await q.query<Row>(`SELECT * FROM callbacks WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return r;
  }

  private async view(q: Queryable, r: Row): Promise<CallbackView> {
    const directory = await this.deps.directory.snapshot(q);
    const people = new Map([...directory.people([r.requester_id, r.owner_id, r.target_staff_id].filter((s): s is string => !!s))].map(([id, p]) => [id, p.displayName]));
    const teamName = r.target_team_id ? directory.team(r.target_team_id)?.nameFi : undefined;
    const events = await q.query<{ at: Date; kind: string; actor_id: string | null }>('SELECT at, kind, actor_id FROM callback_events WHERE callback_id = $1 ORDER BY id', [r.id]);
    const person = (id: string) => ({ staffId: id, displayName: people.get(id) ?? id });
    const open = r.state === 'open' || r.state === 'claimed';
    return {
      id: r.id,
      state: r.state,
      reason: r.reason,
      requester: person(r.requester_id),
      target: { teamId: r.target_team_id, staffId: r.target_staff_id, name: teamName ?? people.get(r.target_staff_id ?? '') ?? '' },
      owner: r.owner_id ? person(r.owner_id) : null,
      requestType: r.request_type,
      routingRequestId: r.routing_request_id,
      windows: r.windows,
      channel: r.channel,
      dueAt: new Date(r.due_at).toISOString(),
      overdue: open && new Date(r.due_at) <= this.deps.clock.now(),
      attempts: r.attempts,
      roomId: r.room_id,
      createdAt: new Date(r.created_at).toISOString(),
      closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
      events: events.map((e) => ({ at: new Date(e.at).toISOString(), kind: e.kind, actorId: e.actor_id })),
    };
  }
}

export interface CallbackFacts {
  requesterId: string;
  targetStaffId: string | null;
  ownerId: string | null;
  inTargetTeam: boolean;
}
