// The administrators' change history: every change made through the admin
// console (people, teams, role grants and revocations, absences, contacts, imports, urgency criteria,
// escalation, on-call schedules, legal bases) is written here in the same
// transaction as the change, and read back per organisation together with
// the routing rules' own history.
import { Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { canAdministerOrganisation, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { organisationScope } from '../directory/index.ts';
import { listChanges as listRuleChanges } from '../routing/repository.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { badRequest } from '../http/errors.ts';
import type { Queryable } from '../store/db.ts';
import { naturalId } from '../../../shared/src/directory.ts';

export type ChangeKind = 'team' | 'staff' | 'role' | 'absence' | 'contact' | 'import' | 'urgency_criteria' | 'escalation_policy' | 'oncall_schedule' | 'legal_basis' | 'data_category';

export interface AdminChange {
  organisationId: string;
  kind: ChangeKind;
  target: string;
  action: 'created' | 'updated' | 'deleted' | 'imported' | 'granted' | 'revoked';
  /** What changed; never a password or client data. */
  details?: Record<string, unknown>;
}

export async function recordChange(q: Queryable, actor: Pick<Actor, 'staffId'>, at: Date, c: AdminChange): Promise<void> {
  await q.query(
    'INSERT INTO admin_changes (at, actor_id, organisation_id, kind, target, action, details) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)',
    [at, actor.staffId, c.organisationId, c.kind, c.target, c.action, JSON.stringify(c.details ?? {})],
  );
}

export const changeView = z.object({
  at: z.string(),
  actorId: z.string().nullable(),
  organisationId: z.string(),
  kind: z.string(),
  target: z.string(),
  action: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export function adminChangeMounts(deps: Deps): Mount[] {
  const api = Router();
  route(api, {
    method: 'get', path: '/api/admin/changes', tag: 'admin',
    summary: 'The change history of an organisation: admin changes and routing rule changes, newest first (its admins)',
    query: z.strictObject({ organisationId: naturalId }), response: z.array(changeView),
    handler: async ({ actor, query }) => {
      const scope = await organisationScope(deps.db, query.organisationId);
      if (!scope) throw badRequest('organisationId: unknown organisation', [{ path: 'query.organisationId', message: 'unknown organisation' }]);
      require(canAdministerOrganisation(actor, scope), 'Only an admin of the organisation may read its change history');
      const own = await deps.db.query<{ at: Date; actor_id: string; organisation_id: string; kind: string; target: string; action: string; details: Record<string, unknown> }>(
        'SELECT at, actor_id, organisation_id, kind, target, action, details FROM admin_changes WHERE organisation_id = $1 ORDER BY id DESC LIMIT 500',
        [query.organisationId],
      );
      const rules = (await listRuleChanges(deps.db, query.organisationId)).slice(0, 500);
      return [
        ...own.map((r) => ({ at: new Date(r.at).toISOString(), actorId: r.actor_id, organisationId: r.organisation_id, kind: r.kind, target: r.target, action: r.action, details: r.details })),
        ...rules.map((r) => ({
          at: r.at, actorId: r.actorId, organisationId: r.region, kind: 'routing_rules', target: r.version === null ? r.region : `v${r.version}`, action: r.action,
          details: r.comment ? { comment: r.comment } : {},
        })),
      ].sort((a, b) => b.at.localeCompare(a.at));
    },
  });
  return [{ path: '/', router: api }];
}
