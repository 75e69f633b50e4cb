// Escalation of urgent items, after PagerDuty and Grafana OnCall: a policy has
// levels (who to alert: people, a team, whoever an on-call schedule names)
// with a delay each, repeated `loops` more times; acknowledging (claiming the
// item) stops it; running out without an acknowledgement alerts the region's
// supervisors. Each step is a durable timer, so a restart or a dead node
// continues at the right level and every step fires exactly once.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { canAdministerUrgencyCriteria } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { organisationScope } from '../directory/index.ts';
import { badRequest, forbidden, notFound, zodIssues } from '../http/errors.ts';
import type { Realtime } from '../realtime/gateway.ts';
import { PUSHES } from '../realtime/pushes.ts';
import type { Queryable } from '../store/db.ts';
import { scheduleTimer, type TimerHandler } from '../timers/timers.ts';
import { loadSchedule, whoIsOnCall } from './oncall.ts';
import { recordChange } from '../admin/changes.ts';

export const ESCALATE_TIMER = 'urgent.escalate';

const target = z.union([z.strictObject({ staffId: z.string().min(1) }), z.strictObject({ teamId: z.string().min(1) }), z.strictObject({ scheduleId: z.string().min(1) })]);
export const escalationPolicySchema = z.strictObject({
  levels: z
    .array(z.strictObject({ targets: z.array(target).min(1).max(20), delayMinutes: z.number().int().min(1).max(24 * 60) }))
    .min(1)
    .max(10),
  /** How many times the levels repeat after the first pass. */
  loops: z.number().int().min(0).max(10).default(0),
});
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;

const policyId = (region: string) => `${region}:urgent`;

/** Writes a region's (checked) escalation policy, replacing the one it had. */
export async function storePolicy(q: Queryable, region: string, policy: EscalationPolicy): Promise<void> {
  await q.query(
    `INSERT INTO escalation_policies (id, organisation_id, name, definition) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()`,
    [policyId(region), region, 'Urgent queue', JSON.stringify(policy)],
  );
}

export class Escalations {
  private readonly levelListeners: ((itemId: string) => void)[] = [];

  constructor(
    private readonly deps: Deps,
    private readonly realtime: () => Realtime,
  ) {}

  /** Called after a level's alert is committed, so the queue can show the item's new level to everyone watching it. */
  onLevelReached(listener: (itemId: string) => void): void {
    this.levelListeners.push(listener);
  }

  /** The region's policy for its urgent queue (admin of the region); every target must exist. */
  async savePolicy(actor: Actor, region: string, input: unknown): Promise<EscalationPolicy> {
    const scope = await organisationScope(this.deps.db, region);
    if (!scope || scope.kind !== 'county') throw notFound('No such region');
    if (!canAdministerUrgencyCriteria(actor, { id: region, rootId: scope.rootId })) throw forbidden('Only an admin of the region can change its escalation policy');
    const parsed = escalationPolicySchema.safeParse(input);
    if (!parsed.success) {
      const issues = zodIssues(parsed.error, 'body');
      throw badRequest(`Invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    const policy = parsed.data;
    const directory = await this.deps.directory.snapshot();
    for (const [l, level] of policy.levels.entries()) {
      for (const [t, tg] of level.targets.entries()) {
        const path = `body.levels.${l}.targets.${t}`;
        const found =
          'staffId' in tg
            ? directory.staff(tg.staffId)?.active
            : 'teamId' in tg
              ? directory.team(tg.teamId)
              : (await this.deps.db.query('SELECT 1 FROM oncall_schedules WHERE id = $1', [tg.scheduleId]))[0];
        if (!found) throw badRequest(`${path}: unknown target`, [{ path, message: 'unknown target' }]);
      }
    }
    await this.deps.db.tx(async (q) => {
      await storePolicy(q, region, policy);
      await recordChange(q, actor, this.deps.clock.now(), { organisationId: region, kind: 'escalation_policy', target: region, action: 'updated', details: policy });
    });
    return policy;
  }

  /** The policy as its admins read it in the console. */
  async readPolicy(actor: Actor, region: string): Promise<EscalationPolicy | undefined> {
    const scope = await organisationScope(this.deps.db, region);
    if (!scope || scope.kind !== 'county') throw notFound('No such region');
    if (!canAdministerUrgencyCriteria(actor, { id: region, rootId: scope.rootId })) throw forbidden('Only an admin of the region can read its escalation policy');
    return this.policy(this.deps.db, region);
  }

  async policy(q: Queryable, region: string): Promise<EscalationPolicy | undefined> {
    const [r] = await q.query<{ definition: EscalationPolicy }>('SELECT definition FROM escalation_policies WHERE id = $1', [policyId(region)]);
    return r?.definition;
  }

  /** Starts escalating an item in the caller's transaction, when its region has a policy. The first level is alerted at once. */
  async start(q: Queryable, region: string, itemId: string, now: Date): Promise<void> {
    const policy = await this.policy(q, region);
    if (!policy) return;
    const id = randomUUID();
    await q.query(
      `INSERT INTO escalations (id, organisation_id, policy_id, policy, subject_kind, subject_id, state, next_step, started_at)
       VALUES ($1, $2, $3, $4::jsonb, 'urgent_item', $5, 'active', 0, $6)`,
      [id, region, policyId(region), JSON.stringify(policy), itemId, now],
    );
    await q.query(`INSERT INTO escalation_events (escalation_id, at, kind) VALUES ($1, $2, 'started')`, [id, now]);
    await scheduleTimer(q, { kind: ESCALATE_TIMER, dueAt: now, key: `escalation:${id}:0`, payload: { escalationId: id, step: 0 } });
  }

  /** Acknowledgement stops the item's escalation. */
  async acknowledge(q: Queryable, itemId: string, staffId: string, now: Date): Promise<void> {
    const rows = await q.query<{ id: string }>(
      `UPDATE escalations SET state = 'acknowledged', acknowledged_by = $2, ended_at = $3
        WHERE subject_kind = 'urgent_item' AND subject_id = $1 AND state = 'active' RETURNING id`,
      [itemId, staffId, now],
    );
    for (const r of rows) await q.query(`INSERT INTO escalation_events (escalation_id, at, kind, actor_id) VALUES ($1, $2, 'acknowledged', $3)`, [r.id, now, staffId]);
  }

  /** The level the item's escalation has reached (1-based), or null when none ran. */
  async levelOf(q: Queryable, itemId: string): Promise<number | null> {
    const [r] = await q.query<{ level: number | null }>(
      `SELECT max(e.level) + 1 AS level FROM escalation_events e JOIN escalations x ON x.id = e.escalation_id
        WHERE x.subject_kind = 'urgent_item' AND x.subject_id = $1 AND e.kind = 'notified'
          AND e.id = (SELECT max(e2.id) FROM escalation_events e2 WHERE e2.escalation_id = x.id AND e2.kind = 'notified')`,
      [itemId],
    );
    return r?.level ?? null;
  }

  timerHandlers(): Record<string, TimerHandler> {
    return {
      [ESCALATE_TIMER]: async (q, timer, ctx) => {
        const { escalationId, step } = timer.payload as { escalationId: string; step: number };
        const [x] = await q.query<{ id: string; organisation_id: string; subject_id: string; policy: EscalationPolicy; state: string; next_step: number }>(
          'SELECT id, organisation_id, subject_id, policy, state, next_step FROM escalations WHERE id = $1 FOR UPDATE',
          [escalationId],
        );
        if (!x || x.state !== 'active' || x.next_step !== step) return;
        const levels = x.policy.levels;
        const loop = Math.floor(step / levels.length);
        const level = step % levels.length;
        if (loop > x.policy.loops) {
          // Nobody acknowledged through every level and loop: the region's supervisors hear of it.
          const supervisors = (await this.deps.directory.snapshot(q)).granted('supervisor', x.organisation_id);
          await q.query(`UPDATE escalations SET state = 'exhausted', ended_at = $2 WHERE id = $1`, [x.id, ctx.now]);
          await q.query(`INSERT INTO escalation_events (escalation_id, at, kind, recipients) VALUES ($1, $2, 'supervisor_alert', $3)`, [x.id, ctx.now, supervisors]);
          ctx.afterCommit(() => supervisors.forEach((s) => this.realtime().toUser(s, PUSHES.urgentUnacknowledged, { itemId: x.subject_id, region: x.organisation_id })));
          return;
        }
        const recipients = await this.recipients(q, levels[level].targets, ctx.now);
        await q.query(`INSERT INTO escalation_events (escalation_id, at, kind, level, loop, recipients) VALUES ($1, $2, 'notified', $3, $4, $5)`, [x.id, ctx.now, level, loop, recipients]);
        await q.query('UPDATE escalations SET next_step = $2 WHERE id = $1', [x.id, step + 1]);
        await ctx.schedule({
          kind: ESCALATE_TIMER,
          dueAt: new Date(ctx.now.getTime() + levels[level].delayMinutes * 60_000),
          key: `escalation:${x.id}:${step + 1}`,
          payload: { escalationId: x.id, step: step + 1 },
        });
        ctx.afterCommit(() => {
          recipients.forEach((s) => this.realtime().toUser(s, PUSHES.urgentEscalation, { itemId: x.subject_id, region: x.organisation_id, level: level + 1, loop }));
          this.levelListeners.forEach((l) => l(x.subject_id));
        });
      },
    };
  }

  private async recipients(q: Queryable, targets: EscalationPolicy['levels'][number]['targets'], at: Date): Promise<string[]> {
    const ids = new Set<string>();
    for (const t of targets) {
      if ('staffId' in t) ids.add(t.staffId);
      else if ('teamId' in t) [...(await this.deps.directory.snapshot(q)).teamMembers(t.teamId)].sort().forEach((id) => ids.add(id));
      else {
        const schedule = await loadSchedule(q, t.scheduleId);
        const onCall = schedule && whoIsOnCall(schedule.definition, at);
        if (onCall) ids.add(onCall.staffId);
      }
    }
    return [...ids];
  }
}
