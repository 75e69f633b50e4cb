// Role grants and revocations: what a change of a person's roles grants and
// revokes, whether the one making it may (separation of duties, decided in
// auth/policies.ts), and its rows in the change history. The REST staff routes
// and the import both go through here.
import type { Actor, RoleGrant } from '../auth/actor.ts';
import { SENSITIVE_ROLES, canChangeRolesOf, canGrantRole, holdsAdminAndAuditor } from '../auth/policies.ts';
import { recordChange } from '../admin/changes.ts';
import type { Queryable } from '../store/db.ts';

export interface RoleChange extends RoleGrant {
  action: 'granted' | 'revoked';
}

const key = (g: RoleGrant) => `${g.role}@${g.organisationId}`;

/** The grants `after` adds to `before`, then the ones it takes away. */
export function roleChanges(before: RoleGrant[], after: RoleGrant[]): RoleChange[] {
  const had = new Set(before.map(key));
  const has = new Set(after.map(key));
  return [
    ...after.filter((g, i) => !had.has(key(g)) && after.findIndex((x) => key(x) === key(g)) === i).map((g) => ({ ...g, action: 'granted' as const })),
    ...before.filter((g) => !has.has(key(g))).map((g) => ({ ...g, action: 'revoked' as const })),
  ];
}

export type RootOf = (organisationId: string) => string | undefined;

/**
 * Why `actor` may not make these role changes of person `personId` ending in
 * `after`, in plain words, or undefined when they may. `status` says whether it
 * is a matter of permission (403) or of the roles asked for (400).
 */
export function roleChangeRefusal(
  actor: Actor,
  personId: string,
  changes: RoleChange[],
  after: RoleGrant[],
  rootOf: RootOf,
): { status: 400 | 403; message: string } | undefined {
  if (!changes.length) return undefined;
  if (!canChangeRolesOf(actor, personId)) return { status: 403, message: 'You cannot change your own roles; another admin of your organisation does that' };
  for (const c of changes) {
    const rootId = rootOf(c.organisationId);
    if (!rootId) return { status: 400, message: `unknown organisation ${c.organisationId}` };
    if (!canGrantRole(actor, { role: c.role, organisation: { id: c.organisationId, rootId } }, personId)) {
      const verb = c.action === 'granted' ? 'grant' : 'revoke';
      return SENSITIVE_ROLES.includes(c.role)
        ? { status: 403, message: `Only an admin at the root of ${rootId} may ${verb} the ${c.role} role` }
        : { status: 403, message: `You may ${verb} roles only in organisations you administer (${c.organisationId} is not one)` };
    }
  }
  return conflictRefusal(after, rootOf);
}

/** 400 when the roles would put admin and auditor in one person's hands in the same root organisation. */
export function conflictRefusal(roles: RoleGrant[], rootOf: RootOf): { status: 400; message: string } | undefined {
  const withRoots = roles.map((g) => ({ role: g.role, rootId: rootOf(g.organisationId) ?? g.organisationId }));
  return holdsAdminAndAuditor(withRoots) ? { status: 400, message: 'One person cannot hold both admin and auditor in the same organisation' } : undefined;
}

/** One change-history row per grant or revocation, in the caller's transaction. */
export async function recordRoleChanges(q: Queryable, actorId: string, at: Date, personId: string, changes: RoleChange[]): Promise<void> {
  for (const c of changes)
    await recordChange(q, { staffId: actorId }, at, {
      organisationId: c.organisationId,
      kind: 'role',
      target: personId,
      action: c.action,
      details: { role: c.role, organisationId: c.organisationId },
    });
}
