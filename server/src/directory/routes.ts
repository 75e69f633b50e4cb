// The directory REST API: organisations, municipalities, teams, staff, absences,
// municipality contacts, client lookup and import. Reads are open to any
// signed-in staff (a directory of people, never password hashes); changes are
// for admins of the organisation concerned (canAdministerOrganisation); role
// grants and revocations follow the separation of duties (roles.ts).
// There is deliberately no endpoint that lists clients.
import express, { Router } from 'express';
import { z } from 'zod';
import {
  absenceInput,
  absenceView,
  clientLookupRequest,
  clientRecordView,
  importQuery,
  municipalityCode,
  municipalityContactInput,
  municipalityView,
  naturalId,
  organisationView,
  staffInput,
  staffUpdate,
  staffView,
  teamInput,
  teamUpdate,
  teamView,
  CONTACT_KINDS,
  type ImportReport,
  type StaffInput,
  type StaffView,
  type TeamInput,
} from '../../../shared/src/directory.ts';
import type { Actor } from '../auth/actor.ts';
import { announceAccessRevoked } from '../auth/tokens.ts';
import { canAdministerOrganisation, canReadPersonalDetails, canStandIn, hasRole, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { badRequest, conflict, forbidden, notFound } from '../http/errors.ts';
import { NOT_STORABLE, mayHoldUnstorable, storable } from '../http/storable.ts';
import type { Queryable } from '../store/db.ts';
import { ImportFileError, importDirectory, readImportFile } from './import.ts';
import * as repo from './repository.ts';
import { recordRoleChanges, roleChangeRefusal, roleChanges, type RoleChange, type RootOf } from './roles.ts';
import { readClient } from './service.ts';
import { recordChange } from '../admin/changes.ts';
import { auditSigner } from '../disclosures/store.ts';

const TAG = 'directory';

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw notFound(message);
  return value;
}
const idParams = z.strictObject({ id: naturalId });

export function directoryMounts(deps: Deps): Mount[] {
  const { db } = deps;
  const api = Router();

  /** 403 unless the actor administers the organisation; 400 naming `field` when it does not exist. */
  async function requireAdmin(q: Queryable, actor: Actor, organisationId: string, field: string) {
    const scope = await repo.organisationScope(q, organisationId);
    if (!scope) throw badRequest(`${field}: unknown organisation ${organisationId}`, [{ path: field, message: 'unknown organisation' }]);
    require(canAdministerOrganisation(actor, scope), 'Only an admin of the organisation may change it');
    return scope;
  }
  async function administers(actor: Actor, organisationId: string) {
    const scope = await repo.organisationScope(db, organisationId);
    return !!scope && canAdministerOrganisation(actor, scope);
  }

  // ---- organisations and municipalities ----

  route(api, {
    method: 'get', path: '/api/organisations', tag: TAG, summary: 'All organisations: Kela, its districts, the counties',
    response: z.array(organisationView),
    handler: () => repo.listOrganisations(db),
  });
  route(api, {
    method: 'get', path: '/api/organisations/:id', tag: TAG, summary: 'One organisation',
    params: idParams, response: organisationView,
    handler: async ({ params }) => found(await repo.getOrganisation(db, params.id), 'No such organisation'),
  });
  route(api, {
    method: 'get', path: '/api/municipalities', tag: TAG, summary: 'Municipalities and the county each belongs to',
    query: z.strictObject({ countyId: naturalId.optional() }), response: z.array(municipalityView),
    handler: ({ query }) => repo.listMunicipalities(db, query.countyId),
  });
  route(api, {
    method: 'get', path: '/api/municipalities/:code', tag: TAG, summary: 'A municipality with its liaisons and contacts',
    params: z.strictObject({ code: municipalityCode }), response: municipalityView,
    handler: async ({ params }) => found(await repo.getMunicipality(db, params.code), 'No such municipality'),
  });

  // Contacts are assigned by admins of the person's own organisation (Kela assigns its liaisons).
  route(api, {
    method: 'post', path: '/api/municipalities/:code/contacts', tag: TAG, summary: 'Make a person a liaison or contact of a municipality',
    params: z.strictObject({ code: municipalityCode }), body: municipalityContactInput, status: 204,
    handler: async ({ actor, params, body }) => {
      if (!(await repo.getMunicipality(db, params.code))) throw notFound('No such municipality');
      const person = await repo.getStaff(db, body.staffId);
      if (!person) throw badRequest(`body.staffId: unknown staff ${body.staffId}`, [{ path: 'body.staffId', message: 'unknown staff' }]);
      await requireAdmin(db, actor, person.organisationId, 'body.staffId');
      await db.tx(async (q) => {
        await repo.addMunicipalityContact(q, params.code, body.staffId, body.kind);
        await recordChange(q, actor, deps.clock.now(), { organisationId: person.organisationId, kind: 'contact', target: `${params.code}:${body.staffId}`, action: 'created', details: { kind: body.kind } });
      });
    },
  });
  route(api, {
    method: 'delete', path: '/api/municipalities/:code/contacts/:staffId/:kind', tag: TAG, summary: 'Remove a liaison or contact',
    params: z.strictObject({ code: municipalityCode, staffId: naturalId, kind: z.enum(CONTACT_KINDS) }), status: 204,
    handler: async ({ actor, params }) => {
      const person = await repo.getStaff(db, params.staffId);
      if (!person) throw notFound('No such contact');
      await requireAdmin(db, actor, person.organisationId, 'staffId');
      await db.tx(async (q) => {
        if (!(await repo.removeMunicipalityContact(q, params.code, params.staffId, params.kind))) throw notFound('No such contact');
        await recordChange(q, actor, deps.clock.now(), { organisationId: person.organisationId, kind: 'contact', target: `${params.code}:${params.staffId}`, action: 'deleted', details: { kind: params.kind } });
      });
    },
  });

  // ---- teams ----

  async function checkTeam(q: Queryable, actor: Actor, t: TeamInput) {
    await requireAdmin(q, actor, t.organisationId, 'body.organisationId');
    if (t.supervisorId && !(await repo.getStaff(q, t.supervisorId)))
      throw badRequest(`body.supervisorId: unknown staff ${t.supervisorId}`, [{ path: 'body.supervisorId', message: 'unknown staff' }]);
  }
  route(api, {
    method: 'get', path: '/api/teams', tag: TAG, summary: 'Teams, optionally of one organisation',
    query: z.strictObject({ organisationId: naturalId.optional() }), response: z.array(teamView),
    handler: ({ query }) => repo.listTeams(db, query.organisationId),
  });
  route(api, {
    method: 'get', path: '/api/teams/:id', tag: TAG, summary: 'One team with its hours and members',
    params: idParams, response: teamView,
    handler: async ({ params }) => found(await repo.getTeam(db, params.id), 'No such team'),
  });
  route(api, {
    method: 'post', path: '/api/teams', tag: TAG, summary: 'Create a team (admin of its organisation)',
    body: teamInput, response: teamView, status: 201,
    handler: ({ actor, body }) =>
      db.tx(async (q) => {
        await checkTeam(q, actor, body);
        if (await repo.getTeam(q, body.id)) throw conflict(`Team ${body.id} exists; use PUT`);
        await repo.upsertTeam(q, body);
        await recordChange(q, actor, deps.clock.now(), { organisationId: body.organisationId, kind: 'team', target: body.id, action: 'created', details: body });
        return (await repo.getTeam(q, body.id))!;
      }),
  });
  route(api, {
    method: 'put', path: '/api/teams/:id', tag: TAG, summary: 'Replace a team (admin of its organisation)',
    params: idParams, body: teamUpdate, response: teamView,
    handler: ({ actor, params, body }) =>
      db.tx(async (q) => {
        const existing = await repo.getTeam(q, params.id);
        if (!existing) throw notFound('No such team');
        await requireAdmin(q, actor, existing.organisationId, 'id');
        const team = { ...body, id: params.id };
        await checkTeam(q, actor, team);
        await repo.upsertTeam(q, team);
        await recordChange(q, actor, deps.clock.now(), { organisationId: team.organisationId, kind: 'team', target: team.id, action: 'updated', details: body });
        return (await repo.getTeam(q, params.id))!;
      }),
  });
  route(api, {
    method: 'delete', path: '/api/teams/:id', tag: TAG, summary: 'Delete a team (admin of its organisation)',
    params: idParams, status: 204,
    handler: async ({ actor, params }) => {
      const existing = await repo.getTeam(db, params.id);
      if (!existing) throw notFound('No such team');
      await requireAdmin(db, actor, existing.organisationId, 'id');
      await db.tx(async (q) => {
        await repo.deleteTeam(q, params.id);
        await recordChange(q, actor, deps.clock.now(), { organisationId: existing.organisationId, kind: 'team', target: params.id, action: 'deleted' });
      });
    },
  });

  // ---- staff ----

  /** The root organisation of each of these organisations (undefined for an unknown one). */
  async function rootsOf(q: Queryable, organisationIds: string[]): Promise<RootOf> {
    const roots = new Map<string, string>();
    for (const id of new Set(organisationIds)) {
      const scope = await repo.organisationScope(q, id);
      if (scope) roots.set(id, scope.rootId);
    }
    return (id) => roots.get(id);
  }

  /**
   * An admin places people only in organisations and teams they administer, and
   * grants or revokes roles only by the separation of duties (roles.ts). The
   * memberships and roles a change adds or removes are checked, not the ones it
   * keeps. Returns the role changes, for the change history.
   */
  async function checkStaff(q: Queryable, actor: Actor, s: StaffInput, existing?: StaffView): Promise<RoleChange[]> {
    await requireAdmin(q, actor, s.organisationId, 'body.organisationId');
    const changes = roleChanges(existing?.roles ?? [], s.roles);
    const rootOf = await rootsOf(q, [...s.roles, ...changes].map((g) => g.organisationId));
    const unknown = s.roles.find((g) => !rootOf(g.organisationId));
    if (unknown) throw badRequest(`body.roles: unknown organisation ${unknown.organisationId}`, [{ path: 'body.roles', message: 'unknown organisation' }]);
    const refusal = roleChangeRefusal(actor, s.id, changes, s.roles, rootOf);
    if (refusal) throw refusal.status === 403 ? forbidden(refusal.message) : badRequest(`body.roles: ${refusal.message}`, [{ path: 'body.roles', message: refusal.message }]);
    const before = new Set(existing?.teamIds ?? []);
    for (const [i, teamId] of s.teamIds.entries()) {
      const team = await repo.getTeam(q, teamId);
      if (!team) throw badRequest(`body.teamIds.${i}: unknown team ${teamId}`, [{ path: `body.teamIds.${i}`, message: 'unknown team' }]);
      if (!before.has(teamId)) await requireAdmin(q, actor, team.organisationId, `body.teamIds.${i}`);
    }
    for (const teamId of before) {
      const team = s.teamIds.includes(teamId) ? undefined : await repo.getTeam(q, teamId);
      if (team) await requireAdmin(q, actor, team.organisationId, 'body.teamIds');
    }
    if (s.username) {
      const owner = await repo.usernameOwner(q, s.username);
      if (owner && owner !== s.id) throw conflict('body.username: already in use');
    }
    return changes;
  }
  route(api, {
    method: 'get', path: '/api/staff', tag: TAG, summary: 'The directory of people, by team or organisation',
    query: z.strictObject({ teamId: naturalId.optional(), organisationId: naturalId.optional() }), response: z.array(staffView),
    handler: ({ query }) => repo.listStaff(db, query),
  });
  route(api, {
    method: 'get', path: '/api/staff/:id', tag: TAG, summary: 'One person (username and callback phone for admins and oneself)',
    params: idParams, response: staffView,
    handler: async ({ actor, params }) => {
      const person = await repo.getStaff(db, params.id, { withPrivate: true });
      if (!person) throw notFound('No such person');
      if (canReadPersonalDetails(actor, person, await administers(actor, person.organisationId))) return person;
      const { username: _u, callbackPhone: _p, ...open } = person;
      return open;
    },
  });
  route(api, {
    method: 'post', path: '/api/staff', tag: TAG, summary: 'Add a person (admin of their organisation)',
    body: staffInput, response: staffView, status: 201,
    handler: ({ actor, body }) =>
      db.tx(async (q) => {
        const roles = await checkStaff(q, actor, body);
        if (await repo.getStaff(q, body.id)) throw conflict(`Staff ${body.id} exists; use PUT`);
        await repo.upsertStaff(q, body);
        await recordChange(q, actor, deps.clock.now(), { organisationId: body.organisationId, kind: 'staff', target: body.id, action: 'created', details: body });
        await recordRoleChanges(q, actor.staffId, deps.clock.now(), body.id, roles);
        return (await repo.getStaff(q, body.id, { withPrivate: true }))!;
      }),
  });
  route(api, {
    method: 'put', path: '/api/staff/:id', tag: TAG, summary: 'Replace a person’s directory entry, roles and teams (admin)',
    params: idParams, body: staffUpdate, response: staffView,
    handler: async ({ actor, params, body }) => {
      const updated = await db.tx(async (q) => {
        const existing = await repo.getStaff(q, params.id);
        if (!existing) throw notFound('No such person');
        await requireAdmin(q, actor, existing.organisationId, 'id');
        const person = { ...body, id: params.id };
        const roles = await checkStaff(q, actor, person, existing);
        await repo.upsertStaff(q, person);
        await recordChange(q, actor, deps.clock.now(), { organisationId: person.organisationId, kind: 'staff', target: person.id, action: 'updated', details: body });
        await recordRoleChanges(q, actor.staffId, deps.clock.now(), person.id, roles);
        return (await repo.getStaff(q, params.id, { withPrivate: true }))!;
      });
      // A deactivation or a move to another organisation reaches Matrix token look-ups on every node now.
      await announceAccessRevoked(deps.bus, [params.id]);
      return updated;
    },
  });
  route(api, {
    method: 'delete', path: '/api/staff/:id', tag: TAG, summary: 'Deactivate a person (admin); history keeps referring to them',
    params: idParams, status: 204,
    handler: async ({ actor, params }) => {
      const existing = await repo.getStaff(db, params.id);
      if (!existing) throw notFound('No such person');
      await requireAdmin(db, actor, existing.organisationId, 'id');
      await db.tx(async (q) => {
        // A deactivated person holds no roles: each is revoked, by the same rules as any revocation.
        const roles = roleChanges(existing.roles, []);
        const refusal = roleChangeRefusal(actor, params.id, roles, [], await rootsOf(q, roles.map((g) => g.organisationId)));
        if (refusal) throw forbidden(refusal.message);
        await repo.deactivateStaff(q, params.id);
        await repo.setRoles(q, params.id, []);
        await recordChange(q, actor, deps.clock.now(), { organisationId: existing.organisationId, kind: 'staff', target: params.id, action: 'deleted' });
        await recordRoleChanges(q, actor.staffId, deps.clock.now(), params.id, roles);
      });
      // Their Matrix tokens stop working on every node now, not when a node's look-up expires.
      await announceAccessRevoked(deps.bus, [params.id]);
    },
  });

  // ---- absences ----

  /** Stand-ins come only from the absent person's own organisation (the same root: Kela's districts stand in for each other). */
  async function isValidStandIn(q: Queryable, absent: { organisationId: string }, standIn: { organisationId: string }): Promise<boolean> {
    const [a, b] = await Promise.all([repo.organisationScope(q, absent.organisationId), repo.organisationScope(q, standIn.organisationId)]);
    return !!a && !!b && canStandIn(a, b);
  }

  route(api, {
    method: 'get', path: '/api/staff/:id/absences', tag: TAG, summary: 'A person’s absences (admins of their organisation and oneself)',
    params: idParams, response: z.array(absenceView),
    handler: async ({ actor, params }) => {
      const person = await repo.getStaff(db, params.id);
      if (!person) throw notFound('No such person');
      require(canReadPersonalDetails(actor, person, await administers(actor, person.organisationId)));
      return repo.listAbsences(db, params.id);
    },
  });
  route(api, {
    method: 'post', path: '/api/absences', tag: TAG, summary: 'Record an absence with an optional stand-in (admin)',
    body: absenceInput, response: absenceView, status: 201,
    handler: ({ actor, body }) =>
      db.tx(async (q) => {
        const person = await repo.getStaff(q, body.staffId);
        if (!person) throw badRequest(`body.staffId: unknown staff ${body.staffId}`, [{ path: 'body.staffId', message: 'unknown staff' }]);
        await requireAdmin(q, actor, person.organisationId, 'body.staffId');
        if (body.standInId) {
          const standIn = await repo.getStaff(q, body.standInId);
          if (!standIn) throw badRequest(`body.standInId: unknown staff ${body.standInId}`, [{ path: 'body.standInId', message: 'unknown staff' }]);
          if (!(await isValidStandIn(q, person, standIn)))
            throw badRequest(`body.standInId: ${body.standInId} is not of ${person.organisationId}`, [{ path: 'body.standInId', message: 'a stand-in must be of the absent person’s own organisation' }]);
        }
        const absence = await repo.createAbsence(q, body);
        await recordChange(q, actor, deps.clock.now(), { organisationId: person.organisationId, kind: 'absence', target: body.staffId, action: 'created', details: body });
        return absence;
      }),
  });
  route(api, {
    method: 'delete', path: '/api/absences/:id', tag: TAG, summary: 'Remove an absence (admin)',
    params: z.strictObject({ id: z.uuid() }), status: 204,
    handler: async ({ actor, params }) => {
      const absence = await repo.getAbsence(db, params.id);
      if (!absence) throw notFound('No such absence');
      const person = (await repo.getStaff(db, absence.staffId))!;
      await requireAdmin(db, actor, person.organisationId, 'id');
      await db.tx(async (q) => {
        await repo.deleteAbsence(q, params.id);
        await recordChange(q, actor, deps.clock.now(), { organisationId: person.organisationId, kind: 'absence', target: absence.staffId, action: 'deleted', details: { startsAt: absence.startsAt, endsAt: absence.endsAt } });
      });
    },
  });

  // ---- client lookup: by exact identifier in the body, never in a URL ----

  route(api, {
    method: 'post', path: '/api/clients/lookup', tag: TAG,
    summary: 'Read one client record by henkilötunnus or Kela application id, with a task relation that allows the purpose (or purpose emergency with a reason); every read and refused read is logged',
    body: clientLookupRequest, response: clientRecordView,
    handler: async ({ actor, body }) => (await readClient(deps, actor, body)).view,
  });

  // ---- import: the raw file is the body, up to IMPORT_LIMIT_BYTES ----

  const importRouter = Router();
  importRouter.use('/api/directory/import', express.text({ type: () => true, limit: deps.config.importLimitBytes }));
  route(importRouter, {
    method: 'post', path: '/api/directory/import', tag: TAG,
    summary: 'Import organisations, municipalities, teams, staff or clients (JSON or CSV; admin, own organisation only)',
    query: importQuery,
    handler: async ({ actor, query, req, res }): Promise<ImportReport | void> => {
      require(hasRole(actor, 'admin'), 'Only admins import');
      const text = typeof req.body === 'string' ? req.body : '';
      if (!text.trim()) throw badRequest('Empty body: send the file as the request body', [{ path: '(body)', message: 'empty' }]);
      let report: ImportReport;
      try {
        const batch = readImportFile(text, query.format, query.kind);
        if (mayHoldUnstorable(text) && !storable(batch)) throw badRequest(NOT_STORABLE, [{ path: '(body)', message: 'U+0000 or an unpaired surrogate' }]);
        report = await importDirectory(db, deps.keys.clientIdKey, batch, { dryRun: query.dryRun, scope: { kind: 'actor', actor }, signer: auditSigner(deps), at: deps.clock.now() });
      } catch (err) {
        if (!(err instanceof ImportFileError)) throw err;
        report = { dryRun: query.dryRun, ok: false, counts: {}, issues: err.issues };
      }
      // The counts only: rows may carry passwords and client identifiers.
      if (report.ok && !report.dryRun)
        await recordChange(db, actor, deps.clock.now(), { organisationId: actor.organisationId, kind: 'import', target: query.kind ?? query.format, action: 'imported', details: { counts: report.counts } });
      deps.log.info({ staffId: actor.staffId, dryRun: report.dryRun, ok: report.ok, counts: report.counts, issues: report.issues.length }, 'directory import');
      if (report.ok) return report;
      res.status(400).json({ error: 'invalid_import', message: `${report.issues.length} problem(s); nothing was written`, ...report });
    },
  });

  return [
    { path: '/', router: importRouter, ownBodyParsing: true },
    { path: '/', router: api },
  ];
}
