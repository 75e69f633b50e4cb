// Directory storage: organisations, municipalities, teams, staff, absences,
// municipality contacts and client records. Plain SQL over Queryable, the same
// on PGlite and PostgreSQL. No authorisation here: routes ask policies first.
import { randomUUID } from 'node:crypto';
import type {
  AbsenceInput,
  AbsenceView,
  ClientRecord,
  MunicipalityView,
  OrganisationView,
  PersonRef,
  StaffInput,
  StaffView,
  TeamInput,
  TeamView,
} from '../../../shared/src/directory.ts';
import { readTogether, type Queryable } from '../store/db.ts';
import type { StoredRelation, TaskRelationSource } from './client-facts.ts';
import { isOpenAt } from './hours.ts';
import type { Directory, DirectoryCache } from './snapshot.ts';

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/**
 * The directory's version, as an SQL expression: a query of another
 * capability may select it to learn, in the same round trip, which directory
 * its rows go with (then DirectoryCache.atVersion).
 */
export const DIRECTORY_VERSION_SQL = '(SELECT version::text FROM directory_version)';

// ---- organisations ----

const orgView = (r: Row): OrganisationView => ({
  id: r.id as string,
  kind: r.kind as OrganisationView['kind'],
  parentId: (r.parent_id as string | null) ?? null,
  nameFi: r.name_fi as string,
  nameSv: r.name_sv as string,
});

export async function listOrganisations(q: Queryable): Promise<OrganisationView[]> {
  return (await q.query('SELECT * FROM organisations ORDER BY kind, id')).map(orgView);
}

export async function getOrganisation(q: Queryable, id: string): Promise<OrganisationView | undefined> {
  const [r] = await q.query('SELECT * FROM organisations WHERE id = $1', [id]);
  return r ? orgView(r) : undefined;
}

/** What policies need: the organisation and its root (Kela for a district). */
export interface OrganisationScope {
  id: string;
  rootId: string;
  kind: OrganisationView['kind'];
}

export async function organisationScope(q: Queryable, id: string): Promise<OrganisationScope | undefined> {
  const [r] = await q.query<{ id: string; root_id: string; kind: OrganisationView['kind'] }>(
    'SELECT id, COALESCE(parent_id, id) AS root_id, kind FROM organisations WHERE id = $1',
    [id],
  );
  return r ? { id: r.id, rootId: r.root_id, kind: r.kind } : undefined;
}

export async function countOrganisations(q: Queryable): Promise<number> {
  const [r] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM organisations');
  return r.n;
}

// ---- municipalities and their contacts ----

const PERSON_COLUMNS = `s.id AS staff_id, s.display_name, o.id AS org_id, o.name_fi AS org_name_fi, o.name_sv AS org_name_sv`;
const personRef = (r: Row): PersonRef => ({
  staffId: r.staff_id as string,
  displayName: r.display_name as string,
  organisationId: r.org_id as string,
  organisationNameFi: r.org_name_fi as string,
  organisationNameSv: r.org_name_sv as string,
});

const municipalityView = (r: Row): MunicipalityView => ({
  code: r.code as string,
  nameFi: r.name_fi as string,
  nameSv: r.name_sv as string,
  countyId: r.county_id as string,
});

export async function listMunicipalities(q: Queryable, countyId?: string): Promise<MunicipalityView[]> {
  const rows = await q.query('SELECT * FROM municipalities WHERE $1::text IS NULL OR county_id = $1 ORDER BY code', [countyId ?? null]);
  return rows.map(municipalityView);
}

export async function getMunicipality(q: Queryable, code: string): Promise<MunicipalityView | undefined> {
  const [r] = await q.query('SELECT * FROM municipalities WHERE code = $1', [code]);
  if (!r) return undefined;
  const contacts = await municipalityContacts(q, code);
  return { ...municipalityView(r), contacts: contacts.map((c) => ({ staffId: c.staffId, displayName: c.displayName, kind: c.kind })) };
}

export type ContactKind = 'liaison' | 'contact';

/** Liaisons (Kela kuntayhteyshenkilö) and named contacts of a municipality; active staff only. */
export async function municipalityContacts(
  q: Queryable,
  code: string,
  kind?: ContactKind,
): Promise<(PersonRef & { kind: ContactKind })[]> {
  const rows = await q.query(
    `SELECT ${PERSON_COLUMNS}, c.kind FROM municipality_contacts c
       JOIN staff s ON s.id = c.staff_id JOIN organisations o ON o.id = s.organisation_id
      WHERE c.municipality_code = $1 AND ($2::text IS NULL OR c.kind = $2) AND s.active
      ORDER BY c.kind DESC, s.display_name, s.id`,
    [code, kind ?? null],
  );
  return rows.map((r) => ({ ...personRef(r), kind: r.kind as ContactKind }));
}

export async function addMunicipalityContact(q: Queryable, code: string, staffId: string, kind: ContactKind): Promise<void> {
  await q.query(
    'INSERT INTO municipality_contacts (municipality_code, staff_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [code, staffId, kind],
  );
}

export async function removeMunicipalityContact(q: Queryable, code: string, staffId: string, kind: ContactKind): Promise<boolean> {
  const rows = await q.query(
    'DELETE FROM municipality_contacts WHERE municipality_code = $1 AND staff_id = $2 AND kind = $3 RETURNING staff_id',
    [code, staffId, kind],
  );
  return rows.length > 0;
}

// ---- teams ----

const TEAM_SELECT = `SELECT t.*, COALESCE((SELECT array_agg(m.staff_id ORDER BY m.staff_id) FROM team_members m WHERE m.team_id = t.id), '{}') AS member_ids FROM teams t`;
const teamView = (r: Row): TeamView => ({
  id: r.id as string,
  organisationId: r.organisation_id as string,
  nameFi: r.name_fi as string,
  nameSv: r.name_sv as string,
  segments: r.segments as string[],
  languages: r.languages as string[],
  hours: r.hours as TeamView['hours'],
  hourExceptions: r.hour_exceptions as TeamView['hourExceptions'],
  closedOnHolidays: r.closed_on_holidays as boolean,
  supervisorId: (r.supervisor_id as string | null) ?? null,
  memberIds: r.member_ids as string[],
});

export async function listTeams(q: Queryable, organisationId?: string): Promise<TeamView[]> {
  const rows = await q.query(`${TEAM_SELECT} WHERE $1::text IS NULL OR t.organisation_id = $1 ORDER BY t.organisation_id, t.id`, [
    organisationId ?? null,
  ]);
  return rows.map(teamView);
}

export async function getTeam(q: Queryable, id: string): Promise<TeamView | undefined> {
  const [r] = await q.query(`${TEAM_SELECT} WHERE t.id = $1`, [id]);
  return r ? teamView(r) : undefined;
}

/** Insert or replace a team by its id; returns whether it was created. */
export async function upsertTeam(q: Queryable, t: TeamInput): Promise<{ created: boolean }> {
  const [r] = await q.query<{ created: boolean }>(
    `INSERT INTO teams (id, organisation_id, name_fi, name_sv, segments, languages, hours, hour_exceptions, closed_on_holidays, supervisor_id)
     VALUES ($1, $2, $3, $4, $5::text[], $6::text[], $7::jsonb, $8::jsonb, $9, $10)
     ON CONFLICT (id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id, name_fi = EXCLUDED.name_fi,
       name_sv = EXCLUDED.name_sv, segments = EXCLUDED.segments, languages = EXCLUDED.languages, hours = EXCLUDED.hours,
       hour_exceptions = EXCLUDED.hour_exceptions, closed_on_holidays = EXCLUDED.closed_on_holidays,
       supervisor_id = EXCLUDED.supervisor_id, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [
      t.id, t.organisationId, t.nameFi, t.nameSv, t.segments, t.languages,
      JSON.stringify(t.hours), JSON.stringify(t.hourExceptions), t.closedOnHolidays, t.supervisorId ?? null,
    ],
  );
  return { created: r.created };
}

export async function deleteTeam(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM teams WHERE id = $1 RETURNING id', [id])).length > 0;
}

/** Whether a team takes contacts at `at`: weekly hours in Helsinki, public holidays, exceptions. */
export async function isTeamOpen(q: Queryable, teamId: string, at: Date): Promise<boolean> {
  const [r] = await q.query<{ hours: TeamView['hours']; hour_exceptions: TeamView['hourExceptions']; closed_on_holidays: boolean }>(
    'SELECT hours, hour_exceptions, closed_on_holidays FROM teams WHERE id = $1',
    [teamId],
  );
  if (!r) return false;
  return isOpenAt({ hours: r.hours, hourExceptions: r.hour_exceptions, closedOnHolidays: r.closed_on_holidays }, at);
}

// ---- staff ----

const STAFF_SELECT = `SELECT s.id, s.organisation_id, s.display_name, s.title_fi, s.title_sv, s.email, s.username,
    s.languages, s.segments, s.callback_phone, s.active,
    COALESCE((SELECT json_agg(json_build_object('role', r.role, 'organisationId', r.organisation_id) ORDER BY r.organisation_id, r.role)
                FROM staff_roles r WHERE r.staff_id = s.id), '[]'::json) AS roles,
    COALESCE((SELECT array_agg(m.team_id ORDER BY m.team_id) FROM team_members m WHERE m.staff_id = s.id), '{}') AS team_ids
  FROM staff s`;

/** The directory view of a person: never a password hash. Username and phone only when asked for. */
const staffView = (r: Row, withPrivate: boolean): StaffView => ({
  id: r.id as string,
  organisationId: r.organisation_id as string,
  displayName: r.display_name as string,
  titleFi: (r.title_fi as string | null) ?? null,
  titleSv: (r.title_sv as string | null) ?? null,
  email: (r.email as string | null) ?? null,
  languages: r.languages as string[],
  segments: r.segments as string[],
  active: r.active as boolean,
  roles: r.roles as StaffView['roles'],
  teamIds: r.team_ids as string[],
  ...(withPrivate ? { username: (r.username as string | null) ?? null, callbackPhone: (r.callback_phone as string | null) ?? null } : {}),
});

export async function getStaff(q: Queryable, id: string, opts: { withPrivate?: boolean } = {}): Promise<StaffView | undefined> {
  const [r] = await q.query(`${STAFF_SELECT} WHERE s.id = $1`, [id]);
  return r ? staffView(r, !!opts.withPrivate) : undefined;
}

export async function listStaff(
  q: Queryable,
  filter: { teamId?: string; organisationId?: string; activeOnly?: boolean } = {},
): Promise<StaffView[]> {
  const rows = await q.query(
    `${STAFF_SELECT}
      WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM team_members m WHERE m.staff_id = s.id AND m.team_id = $1))
        AND ($2::text IS NULL OR s.organisation_id = $2)
        AND (NOT $3 OR s.active)
      ORDER BY s.display_name, s.id`,
    [filter.teamId ?? null, filter.organisationId ?? null, filter.activeOnly ?? false],
  );
  return rows.map((r) => staffView(r, false));
}

/** The people with these ids, username and phone included (the import compares rows with them). */
export async function staffByIds(q: Queryable, ids: string[]): Promise<StaffView[]> {
  if (!ids.length) return [];
  return (await q.query(`${STAFF_SELECT} WHERE s.id = ANY($1::text[])`, [ids])).map((r) => staffView(r, true));
}

/** Active members of a team, for routing. */
export function staffByTeam(q: Queryable, teamId: string): Promise<StaffView[]> {
  return listStaff(q, { teamId, activeOnly: true });
}

/**
 * Insert or replace a person by id, with their roles and team memberships.
 * A missing passwordHash or username keeps the stored one.
 */
export async function upsertStaff(q: Queryable, s: StaffInput, passwordHash?: string): Promise<{ created: boolean }> {
  const [r] = await q.query<{ created: boolean }>(
    `INSERT INTO staff (id, organisation_id, display_name, title_fi, title_sv, email, username, password_hash, languages, segments, callback_phone, active)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11, $12)
     ON CONFLICT (id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id, display_name = EXCLUDED.display_name,
       title_fi = EXCLUDED.title_fi, title_sv = EXCLUDED.title_sv, email = EXCLUDED.email,
       username = COALESCE(EXCLUDED.username, staff.username),
       password_hash = COALESCE(EXCLUDED.password_hash, staff.password_hash),
       languages = EXCLUDED.languages, segments = EXCLUDED.segments, callback_phone = EXCLUDED.callback_phone,
       active = EXCLUDED.active, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [
      s.id, s.organisationId, s.displayName, s.titleFi ?? null, s.titleSv ?? null, s.email ?? null, s.username ?? null,
      passwordHash ?? null, s.languages, s.segments, s.callbackPhone ?? null, s.active,
    ],
  );
  await setRoles(q, s.id, s.roles);
  await q.query('DELETE FROM team_members WHERE staff_id = $1', [s.id]);
  if (s.teamIds.length)
    await q.query(
      'INSERT INTO team_members (team_id, staff_id) SELECT t, $1 FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING',
      [s.id, s.teamIds],
    );
  return { created: r.created };
}

/** Replaces a person's role grants. Who may is decided before (directory/roles.ts). */
export async function setRoles(q: Queryable, staffId: string, roles: StaffInput['roles']): Promise<void> {
  await q.query('DELETE FROM staff_roles WHERE staff_id = $1', [staffId]);
  if (roles.length)
    await q.query(
      `INSERT INTO staff_roles (staff_id, role, organisation_id)
       SELECT $1, role, org FROM unnest($2::text[], $3::text[]) AS x(role, org) ON CONFLICT DO NOTHING`,
      [staffId, roles.map((g) => g.role), roles.map((g) => g.organisationId)],
    );
}

/** People are deactivated, not deleted: applications, named-worker links and access logs refer to them. */
export async function deactivateStaff(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('UPDATE staff SET active = false, updated_at = now() WHERE id = $1 RETURNING id', [id])).length > 0;
}

export async function usernameOwner(q: Queryable, username: string): Promise<string | undefined> {
  const [r] = await q.query<{ id: string }>('SELECT id FROM staff WHERE username = $1', [username]);
  return r?.id;
}

/** Of `ids`, the active people of an organisation or its units. */
export async function activeStaffOf(q: Queryable, ids: string[], organisationId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT s.id FROM staff s JOIN organisations o ON o.id = s.organisation_id
      WHERE s.id = ANY($1::text[]) AND s.active AND (o.id = $2 OR o.parent_id = $2)`,
    [ids, organisationId],
  );
  return rows.map((r) => r.id);
}

/** What sign-in checks: never shown, never sent. */
export interface StaffAccount {
  id: string;
  username: string | null;
  passwordHash: string | null;
  active: boolean;
}

/** A person's sign-in facts, by id or by username. */
export async function staffAccount(q: Queryable, ref: { id: string } | { username: string }): Promise<StaffAccount | undefined> {
  const [r] = await q.query<{ id: string; username: string | null; password_hash: string | null; active: boolean }>(
    `SELECT id, username, password_hash, active FROM staff WHERE ${'id' in ref ? 'id' : 'username'} = $1`,
    ['id' in ref ? ref.id : ref.username],
  );
  return r && { id: r.id, username: r.username, passwordHash: r.password_hash, active: r.active };
}

/** Active people of an organisation or its units whose email is `email` (in any case). */
export async function activeStaffWithEmail(q: Queryable, email: string, organisationId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT s.id FROM staff s JOIN organisations o ON o.id = s.organisation_id
      WHERE s.active AND lower(s.email) = lower($1) AND (o.id = $2 OR o.parent_id = $2) ORDER BY s.id`,
    [email, organisationId],
  );
  return rows.map((r) => r.id);
}

// ---- absences ----

const absenceView = (r: Row): AbsenceView => ({
  id: r.id as string,
  staffId: r.staff_id as string,
  startsAt: iso(r.starts_at),
  endsAt: iso(r.ends_at),
  standInId: (r.stand_in_id as string | null) ?? null,
  reason: (r.reason as AbsenceView['reason']) ?? null,
});

export async function createAbsence(q: Queryable, a: AbsenceInput): Promise<AbsenceView> {
  const [r] = await q.query(
    `INSERT INTO absences (id, staff_id, starts_at, ends_at, stand_in_id, reason) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [randomUUID(), a.staffId, a.startsAt, a.endsAt, a.standInId ?? null, a.reason ?? null],
  );
  return absenceView(r);
}

export async function getAbsence(q: Queryable, id: string): Promise<AbsenceView | undefined> {
  const [r] = await q.query('SELECT * FROM absences WHERE id = $1', [id]);
  return r ? absenceView(r) : undefined;
}

export async function listAbsences(q: Queryable, staffId: string): Promise<AbsenceView[]> {
  return (await q.query('SELECT * FROM absences WHERE staff_id = $1 ORDER BY starts_at', [staffId])).map(absenceView);
}

export async function deleteAbsence(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM absences WHERE id = $1 RETURNING id', [id])).length > 0;
}

/** The absence covering `at` (the latest-starting one if several overlap) and its stand-in. */
export async function currentAbsence(
  q: Queryable,
  staffId: string,
  at: Date,
): Promise<{ absence: AbsenceView; standIn: PersonRef | null } | undefined> {
  const [r] = await q.query(
    `SELECT a.id, a.staff_id, a.starts_at, a.ends_at, a.stand_in_id, a.reason,
            s.display_name, o.id AS org_id, o.name_fi AS org_name_fi, o.name_sv AS org_name_sv
       FROM absences a
       LEFT JOIN staff s ON s.id = a.stand_in_id LEFT JOIN organisations o ON o.id = s.organisation_id
      WHERE a.staff_id = $1 AND a.starts_at <= $2 AND a.ends_at > $2
      ORDER BY a.starts_at DESC LIMIT 1`,
    [staffId, at],
  );
  if (!r) return undefined;
  return { absence: absenceView(r), standIn: r.stand_in_id && r.display_name ? personRef({ ...r, staff_id: r.stand_in_id }) : null };
}

// ---- client records ----

export async function clientIdByHetuHash(q: Queryable, hetuHash: Buffer): Promise<string | undefined> {
  const [r] = await q.query<{ id: string }>('SELECT id FROM clients WHERE hetu_hash = $1', [hetuHash]);
  return r?.id;
}

export async function clientIdByApplicationId(q: Queryable, applicationId: string): Promise<string | undefined> {
  const [r] = await q.query<{ client_id: string }>('SELECT client_id FROM kela_applications WHERE id = $1', [applicationId]);
  return r?.client_id;
}

/** What other capabilities may know of a client without reading the record: where they are, and whether that is secret. */
export interface ClientPlacement {
  nonDisclosure: boolean;
  municipality: { code: string; nameFi: string; nameSv: string };
  countyId: string;
  kelaDistrictId: string | null;
}

/** The client's placement; undefined for no such client. */
export async function clientPlacement(q: Queryable, clientId: string): Promise<ClientPlacement | undefined> {
  const [r] = await q.query<{ non_disclosure: boolean; code: string; name_fi: string; name_sv: string; county_id: string; kela_district_id: string | null }>(
    `SELECT c.non_disclosure, m.code, m.name_fi, m.name_sv, m.county_id, m.kela_district_id
       FROM clients c JOIN municipalities m ON m.code = c.municipality_code WHERE c.id = $1`,
    [clientId],
  );
  return r && { nonDisclosure: r.non_disclosure, municipality: { code: r.code, nameFi: r.name_fi, nameSv: r.name_sv }, countyId: r.county_id, kelaDistrictId: r.kela_district_id };
}

/** The Kela insurance district of every municipality that has one, by municipality code. */
export async function kelaDistrictsByMunicipality(q: Queryable): Promise<Map<string, string>> {
  const rows = await q.query<{ code: string; kela_district_id: string }>('SELECT code, kela_district_id FROM municipalities WHERE kela_district_id IS NOT NULL');
  return new Map(rows.map((r) => [r.code, r.kela_district_id]));
}

export interface ClientScopeRow {
  countyId: string;
  nonDisclosure: boolean;
  relations: StoredRelation[];
  /** The person is in Kela's central non-disclosure team (a Kela team with the segment turvakielto). */
  inNonDisclosureTeam: boolean;
}

/**
 * What a read decision needs: the client's county and non-disclosure, and
 * which task relations `staffId` has to the client. The directory's own
 * (application handler, named worker) come in one round trip with the client;
 * `tasks` ask the capabilities that own the work (routing requests, callbacks,
 * urgent items), which count while open and until `windowMs` after they ended.
 */
export async function clientScope(
  q: Queryable,
  clientId: string,
  staffId: string,
  now: Date,
  windowMs: number,
  tasks: TaskRelationSource[] = [],
): Promise<ClientScopeRow | undefined> {
  const [r] = await q.query<{ county_id: string; non_disclosure: boolean; handler: boolean; named: boolean; central: boolean; team_ids: string[] }>(
    `SELECT m.county_id, c.non_disclosure,
       EXISTS (SELECT 1 FROM kela_applications a WHERE a.client_id = c.id AND a.status = 'pending' AND a.handler_id = $2) AS handler,
       EXISTS (SELECT 1 FROM client_named_workers w WHERE w.client_id = c.id AND w.staff_id = $2) AS named,
       EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id JOIN organisations o ON o.id = t.organisation_id
                 JOIN organisations root ON root.id = COALESCE(o.parent_id, o.id)
                WHERE tm.staff_id = $2 AND 'turvakielto' = ANY(t.segments) AND root.kind = 'kela') AS central,
       ARRAY(SELECT team_id FROM team_members WHERE staff_id = $2 ORDER BY team_id) AS team_ids
       FROM clients c JOIN municipalities m ON m.code = c.municipality_code WHERE c.id = $1`,
    [clientId, staffId],
  );
  if (!r) return undefined;
  const relations: StoredRelation[] = [];
  if (r.handler) relations.push('application_handler');
  if (r.named) relations.push('named_worker');
  const ask = { clientId, staffId, teamIds: r.team_ids, since: new Date(now.getTime() - windowMs) };
  const held = await readTogether(q, tasks.map((t) => () => t.holds(q, ask)));
  tasks.forEach((t, i) => held[i] && relations.push(t.relation));
  return { countyId: r.county_id, nonDisclosure: r.non_disclosure, relations, inNonDisclosureTeam: r.central };
}

export async function namedWorkers(q: Queryable, clientId: string): Promise<ClientRecord['namedWorkers']> {
  const rows = await q.query(
    `SELECT ${PERSON_COLUMNS}, w.kind FROM client_named_workers w
       JOIN staff s ON s.id = w.staff_id JOIN organisations o ON o.id = s.organisation_id
      WHERE w.client_id = $1 ORDER BY w.kind, s.display_name, s.id`,
    [clientId],
  );
  return rows.map((r) => ({ ...personRef(r), kind: r.kind as ClientRecord['namedWorkers'][number]['kind'] }));
}

export async function pendingApplications(q: Queryable, clientId: string): Promise<ClientRecord['pendingApplications']> {
  const rows = await q.query(
    `SELECT a.id AS application_id, a.benefit, a.submitted_at, a.urgent, a.handler_id, ${PERSON_COLUMNS}
       FROM kela_applications a
       LEFT JOIN staff s ON s.id = a.handler_id LEFT JOIN organisations o ON o.id = s.organisation_id
      WHERE a.client_id = $1 AND a.status = 'pending' ORDER BY a.submitted_at DESC, a.id`,
    [clientId],
  );
  return rows.map((r) => ({
    id: r.application_id as string,
    benefit: r.benefit as string,
    submittedAt: iso(r.submitted_at),
    urgent: r.urgent as boolean,
    handler: r.handler_id ? personRef(r) : null,
  }));
}

/** The handler of the client's most recent pending application, if it has one. */
export async function pendingApplicationHandler(q: Queryable, clientId: string): Promise<PersonRef | undefined> {
  return (await pendingApplications(q, clientId)).find((a) => a.handler)?.handler ?? undefined;
}

type LeanRow = {
  id: string;
  language: string;
  non_disclosure: boolean;
  municipality_code: string;
  named_workers: [string, ClientRecord['namedWorkers'][number]['kind']][] | null;
  applications: [string, string, string, boolean, string | null][] | null;
  directory_version: string;
};

/**
 * The client's record as the directory holds it, and the directory it was
 * read against, in one round trip (routing reads it on every ring): the
 * client's own rows and the directory's version come from the database, names
 * of people, organisations and the municipality from the directory in memory.
 * Concern notifications are urgent's: a client read (service.ts readClient)
 * adds them; here the list is empty. No address data exists to leak,
 * turvakielto or not.
 */
export async function readClientRecord(q: Queryable, directories: DirectoryCache, clientId: string): Promise<{ client: ClientRecord; directory: Directory } | undefined> {
  const [r] = await q.query<LeanRow>(
    `SELECT c.id, c.language, c.non_disclosure, c.municipality_code,
            (SELECT json_agg(json_build_array(w.staff_id, w.kind)) FROM client_named_workers w WHERE w.client_id = c.id) AS named_workers,
            (SELECT json_agg(json_build_array(a.id, a.benefit, a.submitted_at, a.urgent, a.handler_id) ORDER BY a.submitted_at DESC, a.id)
               FROM kela_applications a WHERE a.client_id = c.id AND a.status = 'pending') AS applications,
            ${DIRECTORY_VERSION_SQL} AS directory_version
       FROM clients c WHERE c.id = $1`,
    [clientId],
  );
  if (!r) return undefined;
  const directory = await directories.atVersion(q, Number(r.directory_version));
  const municipality = directory.municipality(r.municipality_code);
  if (!municipality) throw new Error(`client ${r.id}: municipality ${r.municipality_code} is not in the directory`);
  const county = directory.organisation(municipality.countyId)!;
  const person = (staffId: string): PersonRef =>
    directory.person(staffId) ?? { staffId, displayName: staffId, organisationId: '', organisationNameFi: '', organisationNameSv: '' };
  const byName = (a: { displayName: string; staffId: string }, b: { displayName: string; staffId: string }) =>
    a.displayName < b.displayName ? -1 : a.displayName > b.displayName ? 1 : a.staffId < b.staffId ? -1 : a.staffId > b.staffId ? 1 : 0;
  const client: ClientRecord = {
    id: r.id,
    municipality: { code: municipality.code, nameFi: municipality.nameFi, nameSv: municipality.nameSv },
    county: { id: county.id, nameFi: county.nameFi, nameSv: county.nameSv },
    language: r.language,
    nonDisclosure: r.non_disclosure,
    namedWorkers: (r.named_workers ?? [])
      .map(([staffId, kind]) => ({ ...person(staffId), kind }))
      .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : byName(a, b))),
    pendingApplications: (r.applications ?? []).map(([id, benefit, submittedAt, urgent, handlerId]) => ({
      id, benefit, submittedAt: iso(submittedAt), urgent, handler: handlerId ? person(handlerId) : null,
    })),
    openConcernNotifications: [],
  };
  return { client, directory };
}

/** The client's record; see readClientRecord. */
export async function getClientRecord(q: Queryable, directories: DirectoryCache, clientId: string): Promise<ClientRecord | undefined> {
  return (await readClientRecord(q, directories, clientId))?.client;
}
