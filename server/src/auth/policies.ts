// Who may see and do what. Every authorisation decision in the control plane
// is a function here, so a reviewer reads one file.
import { CLIENT_WORK_ROLES, type AccessPurpose } from '../../../shared/src/directory.ts';
import type { Actor, Role } from './actor.ts';
import { forbidden } from '../http/errors.ts';

export function hasRole(actor: Actor, role: Role, organisationId?: string): boolean {
  return actor.roles.some(
    (g) => g.role === role && (organisationId === undefined || g.organisationId === organisationId),
  );
}

/** Roles are scoped to an organisation; a role at the root (Kela, a county) covers its units too. */
export function hasRoleFor(actor: Actor, role: Role, organisation: { id: string; rootId: string }): boolean {
  return actor.roles.some((g) => g.role === role && (g.organisationId === organisation.id || g.organisationId === organisation.rootId));
}

export function require(allowed: boolean, message?: string): void {
  if (!allowed) throw forbidden(message);
}

/** A task relation between a person and a client that the server can see (docs/access-model.md, "Need to know"). */
export type TaskRelation = 'application_handler' | 'named_worker' | 'routing_request' | 'callback' | 'urgent_item' | 'routing_reach';

/** Which declared purposes each relation allows; a purpose is never taken on the caller's word alone. */
export const PURPOSES_BY_RELATION: Record<TaskRelation, readonly AccessPurpose[]> = {
  application_handler: ['case_handling', 'routing', 'callback'],
  named_worker: ['case_handling', 'routing', 'callback'],
  routing_request: ['routing', 'case_handling', 'callback'],
  callback: ['callback', 'case_handling'],
  urgent_item: ['case_handling'],
  routing_reach: ['routing'],
};

/** The client record fields a policy decision needs. */
export interface ClientScope {
  /** The relations this person has to the client now. */
  relations: readonly TaskRelation[];
}

/**
 * Need to know: a client record is read only by someone who works with clients,
 * with a task relation that allows the declared purpose. An emergency read
 * needs no relation (its reason is checked at the edge, logged and audited).
 */
export function canReadClient(actor: Actor, client: ClientScope, purpose: AccessPurpose): boolean {
  if (!canLookUpClients(actor)) return false;
  if (purpose === 'emergency') return true;
  return client.relations.some((r) => PURPOSES_BY_RELATION[r].includes(purpose));
}

/** A stand-in answers for the absent person: only someone of the same root organisation (Kela, or the same county). */
export function canStandIn(absent: { rootId: string }, standIn: { rootId: string }): boolean {
  return absent.rootId === standIn.rootId;
}

/** Turvakielto: what locates a non-disclosure client (municipality, county) reaches only Kela's central non-disclosure team. */
export function canSeeClientLocation(client: { nonDisclosure: boolean }, viewer: { inNonDisclosureTeam: boolean }): boolean {
  return !client.nonDisclosure || viewer.inNonDisclosureTeam;
}

/** Admins change their own organisation's directory (a Kela admin at the Kela root: all of Kela). */
export function canAdministerOrganisation(actor: Actor, organisation: { id: string; rootId: string }): boolean {
  return hasRoleFor(actor, 'admin', organisation);
}

/**
 * Live updates of a team (its queue, rings offered to it) reach the team's
 * members. `isMember` is read fresh, as membership changes while a socket is open.
 */
export function canSubscribeToTeam(_actor: Actor, team: { isMember: boolean }): boolean {
  return team.isMember;
}

/**
 * Looking up client records at all: only a role that works with clients. An
 * admin-only or auditor-only account is refused before any lookup (403);
 * auditors read through reports. Whether the found record may be read is canReadClient.
 */
export function canLookUpClients(actor: Actor): boolean {
  return actor.roles.some((g) => CLIENT_WORK_ROLES.includes(g.role));
}

/**
 * Client matters (asking for a callback, a concern's status, a consent) are the
 * work of the roles that work with clients; an admin-only or auditor-only
 * account keeps the rules and the logs, not the cases.
 */
export function canWorkOnClientMatters(actor: Actor): boolean {
  return canLookUpClients(actor);
}

/**
 * Simulating rules for a real client is a read without a task relation: only
 * an admin of the region, for a client the region's rules route (a county's
 * residents, the municipalities a Kela district serves; any client for the
 * national defaults), for rule verification with a reason (logged, audited).
 */
export function canSimulateWithRealClient(
  actor: Actor,
  region: { id: string; rootId: string } | 'default',
  client: { countyId: string; kelaDistrictId: string | null },
): boolean {
  if (!canAdministerRouting(actor, region)) return false;
  return region === 'default' || region.id === client.countyId || region.id === client.kelaDistrictId;
}

/**
 * Who may be invited into a case conference (a Matrix room). Membership is the
 * control plane's decision: an active member of the inviter's own root
 * organisation, or anyone the routing service granted access to this room
 * (a conference_grants row, e.g. the county worker who accepted a Kela ring).
 */
export function canInviteToConference(
  inviter: { rootOrganisationId: string },
  invitee: { active: boolean; rootOrganisationId: string },
  hasGrant: boolean,
): boolean {
  if (!invitee.active) return false;
  return invitee.rootOrganisationId === inviter.rootOrganisationId || hasGrant;
}

/**
 * Routing rules of a region: admins of that county or Kela district (a Kela
 * admin at the root covers every district). The national default rule set
 * belongs to Kela's root admins.
 */
export function canAdministerRouting(actor: Actor, region: { id: string; rootId: string } | 'default'): boolean {
  if (region === 'default') return actor.organisationKind === 'kela' && hasRole(actor, 'admin', actor.rootOrganisationId);
  return hasRoleFor(actor, 'admin', region);
}

// ---- ringing ----

/** A routing request is seen by its requester and by the people it rang, nobody else. */
export function canReadRingRequest(actor: Actor, request: { requesterId: string; offeredTo: string[] }): boolean {
  return actor.staffId === request.requesterId || request.offeredTo.includes(actor.staffId);
}

/** Only the requester calls a ring off. */
export function canCancelRingRequest(actor: Actor, request: { requesterId: string }): boolean {
  return actor.staffId === request.requesterId;
}

// ---- callbacks ----

interface CallbackParties {
  requesterId: string;
  targetStaffId: string | null;
  ownerId: string | null;
  inTargetTeam: boolean;
}

/** Seen by its requester, its owner, the person it is addressed to and the members of the addressed team. */
export function canReadCallback(actor: Actor, c: CallbackParties): boolean {
  return actor.staffId === c.requesterId || actor.staffId === c.ownerId || actor.staffId === c.targetStaffId || c.inTargetTeam;
}

export function canClaimCallback(actor: Actor, c: CallbackParties): boolean {
  return actor.staffId === c.targetStaffId || c.inTargetTeam;
}

/** Done or not reached: the owner's word. */
export function canCompleteCallback(actor: Actor, c: CallbackParties): boolean {
  return actor.staffId === c.ownerId;
}

export function canCancelCallback(actor: Actor, c: CallbackParties): boolean {
  return actor.staffId === c.requesterId;
}

// ---- urgent queue ----

/** A county's urgent queue is shared by its own on-call staff and Kela's. */
export function canWorkUrgentQueue(actor: Actor, queue: { countyId: string }): boolean {
  return hasRole(actor, 'on_call') && (actor.rootOrganisationId === queue.countyId || actor.organisationKind === 'kela');
}

export function canAdministerUrgencyCriteria(actor: Actor, region: { id: string; rootId: string }): boolean {
  return hasRoleFor(actor, 'admin', region);
}

// ---- disclosure log ----

/** The client report (11 §), log search and export, and the list of emergency reads are the auditors' (data protection) task, not caseworkers'. */
export function canRunClientReport(actor: Actor): boolean {
  return hasRole(actor, 'auditor');
}

/**
 * Which organisation's processing an auditor answers for: their own root
 * organisation (each controller audits its own staff; no national auditor).
 * Reports, searches and exports cover access events whose actor belongs to it
 * and disclosures whose discloser or a recipient belongs to it.
 */
export function auditScope(actor: Actor): { rootOrganisationId: string } {
  return { rootOrganisationId: actor.rootOrganisationId };
}

// ---- separation of duties ----

/** The roles that run and check the system: granted only by a root admin or the operators' import. */
export const SENSITIVE_ROLES: readonly Role[] = ['admin', 'auditor'];

/**
 * Granting or revoking one role of one person. Nobody changes their own roles;
 * an admin changes roles only in organisations they administer, and `admin` or
 * `auditor` only as an admin at that organisation's root (Kela's root, or the county).
 */
export function canGrantRole(actor: Actor, grant: { role: Role; organisation: { id: string; rootId: string } }, personId: string): boolean {
  if (!canChangeRolesOf(actor, personId)) return false;
  if (!canAdministerOrganisation(actor, grant.organisation)) return false;
  return !SENSITIVE_ROLES.includes(grant.role) || hasRole(actor, 'admin', grant.organisation.rootId);
}

/** The auditor checks the admins: nobody holds both in the same root organisation. */
export function holdsAdminAndAuditor(roles: { role: Role; rootId: string }[]): boolean {
  const roots = (role: Role) => new Set(roles.filter((g) => g.role === role).map((g) => g.rootId));
  const auditorRoots = roots('auditor');
  return [...roots('admin')].some((r) => auditorRoots.has(r));
}

/**
 * An admin's import may set a local password only on accounts that neither hold
 * nor receive `admin` or `auditor`: otherwise a root admin could mint an auditor
 * account and sign in with it.
 */
export function canImportPassword(roles: { role: Role }[]): boolean {
  return !roles.some((g) => SENSITIVE_ROLES.includes(g.role));
}

/** Who is on call: the organisation's own people, and on-call staff of either side (they share urgent queues). */
export function canReadOnCallSchedule(actor: Actor, schedule: { rootId: string }): boolean {
  return actor.rootOrganisationId === schedule.rootId || hasRole(actor, 'on_call');
}

// ---- concern notifications ----

/** The sending organisation and the receiving county follow a concern; nobody else sees it. */
export function canFollowConcern(actor: Actor, c: { fromOrganisationId: string; toOrganisationId: string }): boolean {
  return actor.organisationId === c.fromOrganisationId || actor.rootOrganisationId === c.fromOrganisationId || actor.rootOrganisationId === c.toOrganisationId;
}

/** The receiving county's client workers give the status. */
export function canGiveConcernStatus(actor: Actor, c: { toOrganisationId: string }): boolean {
  return actor.rootOrganisationId === c.toOrganisationId && canWorkOnClientMatters(actor);
}

/** Legal bases are national: Kela's administrators (an admin role at the Kela root) keep them. */
export function canAdministerLegalBases(actor: Actor): boolean {
  return actor.roles.some((g) => g.role === 'admin' && g.organisationId === actor.rootOrganisationId && actor.organisationKind === 'kela');
}

// ---- people, consents, urgent items: ownership ----

/** A person's username, callback phone and absences: the person themselves and the admins of their organisation. */
export function canReadPersonalDetails(actor: Actor, person: { id: string }, administersTheirOrganisation: boolean): boolean {
  return actor.staffId === person.id || administersTheirOrganisation;
}

/** Nobody changes their own roles (separation of duties): another admin of the organisation does. */
export function canChangeRolesOf(actor: Actor, personId: string): boolean {
  return actor.staffId !== personId;
}

/** A consent is managed by the organisation that recorded it (by its people who work with clients: canWorkOnClientMatters, asked first). */
export function canManageConsent(actor: Actor, consent: { recordedOrganisationId: string }): boolean {
  return consent.recordedOrganisationId === actor.organisationId;
}

/** An urgent item is assessed, handed over and resolved by the one who claimed it. */
export function ownsUrgentItem(actor: Actor, item: { state: string; ownerId: string | null }): boolean {
  return item.state === 'claimed' && item.ownerId === actor.staffId;
}
