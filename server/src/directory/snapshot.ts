// The directory in memory: people, organisations, teams and their hours,
// memberships, roles, municipal contacts and absences. Routing reads it on
// every ring and every step, so a decision costs the client record's one query
// and no more; other capabilities read people's names, organisations and roots
// from it. The directory is small (tens of thousands of people) and changes a
// few times a day.
//
// Freshness: every change to these tables raises directory_version in the
// same transaction (migration 0020). DirectoryCache.snapshot() reads that
// counter, one primary-key read, and reloads when it moved, so a change made
// on any node, by the import command or in SQL is seen by the next decision.
import type { PersonRef } from '../../../shared/src/directory.ts';
import type { RoleGrant } from '../auth/actor.ts';
import { NO_CLIENT_FACTS, type ClientFactSources } from './client-facts.ts';
import type { TeamHours } from './hours.ts';
import { DIRECTORY_VERSION_SQL, activeStaffWithEmail, staffAccount, type StaffAccount } from './repository.ts';
import { readTogether, type Db, type Queryable } from '../store/db.ts';

export type OrganisationKind = 'kela' | 'kela_district' | 'county';

export interface StaffFacts {
  id: string;
  displayName: string;
  organisationId: string;
  organisationKind: OrganisationKind;
  languages: string[];
  segments: string[];
  active: boolean;
  /** The person's teams, by id. */
  teamIds: string[];
}

export interface OrganisationFacts {
  id: string;
  kind: OrganisationKind;
  parentId: string | null;
  nameFi: string;
  nameSv: string;
}

export interface MunicipalityFacts {
  code: string;
  countyId: string;
  /** The Kela insurance district that serves it, if one is set. */
  kelaDistrictId: string | null;
  nameFi: string;
  nameSv: string;
}

export interface TeamFacts {
  id: string;
  organisationId: string;
  nameFi: string;
  nameSv: string;
  supervisorId: string | null;
}

/** Names are given in Finnish or Swedish (the directory holds no other). */
export type NameLanguage = 'fi' | 'sv';

export interface Absence {
  startsAt: number;
  endsAt: number;
  standInId: string | null;
  reason: string | null;
}

interface Rows {
  version: { version: string }[];
  organisations: { id: string; kind: OrganisationKind; parent_id: string | null; name_fi: string; name_sv: string }[];
  municipalities: { code: string; county_id: string; kela_district_id: string | null; name_fi: string; name_sv: string }[];
  staff: { id: string; display_name: string; organisation_id: string; languages: string[]; segments: string[]; active: boolean }[];
  roles: { staff_id: string; role: RoleGrant['role']; organisation_id: string }[];
  teams: {
    id: string; organisation_id: string; name_fi: string; name_sv: string; supervisor_id: string | null; segments: string[];
    hours: TeamHours['hours']; hour_exceptions: TeamHours['hourExceptions']; closed_on_holidays: boolean;
  }[];
  members: { team_id: string; staff_id: string }[];
  contacts: { municipality_code: string; staff_id: string; kind: 'liaison' | 'contact' }[];
  absences: { staff_id: string; starts_at: Date; ends_at: Date; stand_in_id: string | null; reason: string | null }[];
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

/** One consistent picture of the directory, at one directory_version. */
export class Directory {
  readonly version: number;
  private readonly staffById = new Map<string, StaffFacts>();
  /** Position of each person in (display name, id) order: lists sort by it. */
  private readonly rank = new Map<string, number>();
  private readonly organisations = new Map<string, OrganisationFacts>();
  private readonly municipalities = new Map<string, MunicipalityFacts>();
  private readonly teams = new Map<string, TeamFacts>();
  private readonly hours = new Map<string, TeamHours>();
  private readonly members = new Map<string, string[]>();
  private readonly liaisonsByMunicipality = new Map<string, string[]>();
  private readonly contactsByCounty = new Map<string, string[]>();
  private readonly absencesByStaff = new Map<string, Absence[]>();
  /** Every person's role grants, whether active or not. */
  private readonly grants = new Map<string, RoleGrant[]>();
  /** `role@organisation` → everyone granted it, whether active or not */
  private readonly grantees = new Map<string, string[]>();
  /** role → organisation → active people */
  private readonly roleHolders = new Map<string, Map<string, string[]>>();
  /** segment → organisation → active people with it, themselves or through a team */
  private readonly segmentHolders = new Map<string, Map<string, string[]>>();

  constructor(rows: Rows) {
    this.version = Number(rows.version[0]?.version ?? 0);
    for (const o of rows.organisations) this.organisations.set(o.id, { id: o.id, kind: o.kind, parentId: o.parent_id, nameFi: o.name_fi, nameSv: o.name_sv });
    for (const m of rows.municipalities) this.municipalities.set(m.code, { code: m.code, countyId: m.county_id, kelaDistrictId: m.kela_district_id, nameFi: m.name_fi, nameSv: m.name_sv });
    const byName = [...rows.staff].sort((a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    byName.forEach((s, i) => this.rank.set(s.id, i));
    for (const s of byName) {
      const kind = this.organisations.get(s.organisation_id)?.kind ?? 'county';
      this.staffById.set(s.id, { id: s.id, displayName: s.display_name, organisationId: s.organisation_id, organisationKind: kind, languages: s.languages, segments: s.segments, active: s.active, teamIds: [] });
    }
    const teamSegments = new Map<string, string[]>();
    for (const t of rows.teams) {
      this.teams.set(t.id, { id: t.id, organisationId: t.organisation_id, nameFi: t.name_fi, nameSv: t.name_sv, supervisorId: t.supervisor_id });
      this.hours.set(t.id, { hours: t.hours, hourExceptions: t.hour_exceptions, closedOnHolidays: t.closed_on_holidays });
      teamSegments.set(t.id, t.segments);
    }
    for (const m of rows.members) {
      const s = this.staffById.get(m.staff_id);
      if (!s) continue;
      s.teamIds.push(m.team_id);
      push(this.members, m.team_id, m.staff_id);
    }
    for (const s of this.staffById.values()) s.teamIds.sort();
    for (const c of rows.contacts) {
      const s = this.staffById.get(c.staff_id);
      if (!s) continue;
      if (c.kind === 'liaison') push(this.liaisonsByMunicipality, c.municipality_code, c.staff_id);
      else if (s.active && this.municipalities.has(c.municipality_code)) push(this.contactsByCounty, this.municipalities.get(c.municipality_code)!.countyId, c.staff_id);
    }
    for (const a of rows.absences) {
      push(this.absencesByStaff, a.staff_id, { startsAt: new Date(a.starts_at).getTime(), endsAt: new Date(a.ends_at).getTime(), standInId: a.stand_in_id, reason: a.reason });
    }
    for (const r of rows.roles) {
      push(this.grants, r.staff_id, { role: r.role, organisationId: r.organisation_id });
      push(this.grantees, `${r.role}@${r.organisation_id}`, r.staff_id);
      if (!this.staffById.get(r.staff_id)?.active) continue;
      let byOrg = this.roleHolders.get(r.role);
      if (!byOrg) this.roleHolders.set(r.role, (byOrg = new Map()));
      push(byOrg, r.organisation_id, r.staff_id);
    }
    for (const s of this.staffById.values()) {
      if (!s.active) continue;
      const segments = new Set([...s.segments, ...s.teamIds.flatMap((t) => teamSegments.get(t) ?? [])]);
      for (const segment of segments) {
        let byOrg = this.segmentHolders.get(segment);
        if (!byOrg) this.segmentHolders.set(segment, (byOrg = new Map()));
        push(byOrg, s.organisationId, s.id);
      }
    }
    const byRank = (ids: string[]) => ids.sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
    for (const list of this.members.values()) byRank(list);
    for (const list of this.liaisonsByMunicipality.values()) byRank(list);
    for (const [county, list] of this.contactsByCounty) this.contactsByCounty.set(county, byRank([...new Set(list)]));
    for (const byOrg of [...this.roleHolders.values(), ...this.segmentHolders.values()]) for (const [org, list] of byOrg) byOrg.set(org, byRank([...new Set(list)]));
  }

  /** A person's facts, whether active or not. */
  staff(id: string): StaffFacts | undefined {
    return this.staffById.get(id);
  }

  /**
   * A person as other capabilities show one: name and organisation, in both
   * languages. Undefined for someone the directory does not know.
   */
  person(staffId: string): PersonRef | undefined {
    const s = this.staffById.get(staffId);
    if (!s) return undefined;
    const org = this.organisations.get(s.organisationId);
    return { staffId, displayName: s.displayName, organisationId: s.organisationId, organisationNameFi: org?.nameFi ?? '', organisationNameSv: org?.nameSv ?? '' };
  }

  /** The people of `ids` the directory knows, by id. */
  people(ids: Iterable<string>): Map<string, PersonRef> {
    const found = new Map<string, PersonRef>();
    for (const id of ids) {
      const p = this.person(id);
      if (p) found.set(id, p);
    }
    return found;
  }

  /** A person's display name; their id when the directory does not know them. */
  displayName(staffId: string): string {
    return this.staffById.get(staffId)?.displayName ?? staffId;
  }

  /** The root organisation of a person's organisation (Kela for a district's worker). */
  rootOf(staffId: string): string | undefined {
    const s = this.staffById.get(staffId);
    return s && this.organisationRoot(s.organisationId);
  }

  /** An organisation's root: Kela for a district, the organisation itself otherwise. */
  organisationRoot(organisationId: string): string | undefined {
    const o = this.organisations.get(organisationId);
    return o && (o.parentId ?? o.id);
  }

  /** An organisation's name in `language`. */
  organisationName(organisationId: string, language: NameLanguage): string | undefined {
    const o = this.organisations.get(organisationId);
    return o && (language === 'sv' ? o.nameSv : o.nameFi);
  }

  /** A person's role grants (inactive people keep theirs), in no particular order. */
  rolesOf(staffId: string): RoleGrant[] {
    return [...(this.grants.get(staffId) ?? [])];
  }

  /** Everyone granted `role` at the organisation itself, active or not, by id. */
  granted(role: RoleGrant['role'], organisationId: string): string[] {
    return [...new Set(this.grantees.get(`${role}@${organisationId}`))].sort();
  }

  team(teamId: string): TeamFacts | undefined {
    return this.teams.get(teamId);
  }

  organisationKind(id: string): OrganisationKind | undefined {
    return this.organisations.get(id)?.kind;
  }

  /** Every organisation's id (of one kind, when given), sorted. */
  organisationIds(kind?: OrganisationKind): string[] {
    return [...this.organisations].filter(([, o]) => !kind || o.kind === kind).map(([id]) => id).sort();
  }

  hasMunicipality(code: string): boolean {
    return this.municipalities.has(code);
  }

  organisation(id: string): OrganisationFacts | undefined {
    return this.organisations.get(id);
  }

  municipality(code: string): MunicipalityFacts | undefined {
    return this.municipalities.get(code);
  }

  /** A team's members by name (inactive people included: routing says why they were left out). */
  teamMembers(teamId: string): string[] {
    return this.members.get(teamId) ?? [];
  }

  teamHours(teamId: string): TeamHours | undefined {
    return this.hours.get(teamId);
  }

  /** The absence in force at `at` (the latest-starting when several overlap). */
  absenceAt(staffId: string, at: Date): Absence | undefined {
    const t = at.getTime();
    let found: Absence | undefined;
    for (const a of this.absencesByStaff.get(staffId) ?? []) if (a.startsAt <= t && a.endsAt > t && (!found || a.startsAt > found.startsAt)) found = a;
    return found;
  }

  /** The municipality's liaisons by name. */
  liaisons(municipalityCode: string): string[] {
    return this.liaisonsByMunicipality.get(municipalityCode) ?? [];
  }

  /** Active named contact persons of any municipality of the county, by name. */
  countyContacts(countyId: string): string[] {
    return this.contactsByCounty.get(countyId) ?? [];
  }

  /** An organisation and the units under it (Kela → its districts), by id. */
  organisationAndUnits(organisationId: string): string[] {
    return [...this.organisations].filter(([id, o]) => id === organisationId || o.parentId === organisationId).map(([id]) => id).sort();
  }

  /** Every Kela organisation: the institution and its districts, by id. */
  kelaOrganisations(): string[] {
    return [...this.organisations].filter(([, o]) => o.kind === 'kela' || o.kind === 'kela_district').map(([id]) => id).sort();
  }

  /** Active people holding `role` at one of `organisationIds`, by name. */
  staffWithRole(role: string, organisationIds: string[]): string[] {
    return this.holders(this.roleHolders.get(role), organisationIds);
  }

  /** Active people of `organisationIds` with the segment themselves or through one of their teams, by name. */
  staffWithSegment(segment: string, organisationIds: string[]): string[] {
    return this.holders(this.segmentHolders.get(segment), organisationIds);
  }

  private holders(byOrg: Map<string, string[]> | undefined, organisationIds: string[]): string[] {
    if (!byOrg) return [];
    const lists = [...new Set(organisationIds)].map((o) => byOrg.get(o) ?? []).filter((l) => l.length);
    if (lists.length <= 1) return [...(lists[0] ?? [])];
    return [...new Set(lists.flat())].sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
  }
}

/** Reads the whole routing directory (for tests, validation and the cache). */
export async function loadDirectory(q: Queryable): Promise<Directory> {
  // The counter first: rows read after it are at least as new, so a snapshot is never older than its version.
  const version = await q.query<{ version: string }>('SELECT version::text FROM directory_version');
  const [organisations, municipalities, staff, roles, teams, members, contacts, absences] = await readTogether(q, [
    () => q.query<Rows['organisations'][number]>('SELECT id, kind, parent_id, name_fi, name_sv FROM organisations'),
    () => q.query<Rows['municipalities'][number]>('SELECT code, county_id, kela_district_id, name_fi, name_sv FROM municipalities'),
    () => q.query<Rows['staff'][number]>('SELECT id, display_name, organisation_id, languages, segments, active FROM staff'),
    () => q.query<Rows['roles'][number]>('SELECT staff_id, role, organisation_id FROM staff_roles'),
    () => q.query<Rows['teams'][number]>('SELECT id, organisation_id, name_fi, name_sv, supervisor_id, segments, hours, hour_exceptions, closed_on_holidays FROM teams'),
    () => q.query<Rows['members'][number]>('SELECT team_id, staff_id FROM team_members'),
    () => q.query<Rows['contacts'][number]>('SELECT municipality_code, staff_id, kind FROM municipality_contacts'),
    () => q.query<Rows['absences'][number]>('SELECT staff_id, starts_at, ends_at, stand_in_id, reason FROM absences'),
  ]);
  return new Directory({ version, organisations, municipalities, staff, roles, teams, members, contacts, absences });
}

/**
 * One node's directory as other capabilities read it (Deps.directory): a copy
 * in memory, reloaded when directory_version moves, and the few reads of
 * directory rows the copy does not hold. It also carries the facts other
 * capabilities hand over for client reads (client-facts.ts).
 */
export class DirectoryCache {
  private current: Directory | undefined;
  private loading: Promise<Directory> | undefined;
  /** See DIRECTORY_VERSION_SQL. */
  readonly versionSql = DIRECTORY_VERSION_SQL;

  constructor(
    private readonly db: Db,
    readonly clientFacts: ClientFactSources = NO_CLIENT_FACTS,
  ) {}

  /** A person's sign-in facts. For auth, which cannot import the directory: the directory builds on auth. */
  account(q: Queryable, ref: { id: string } | { username: string }): Promise<StaffAccount | undefined> {
    return staffAccount(q, ref);
  }

  /** Active people of an organisation or its units with this email (for sign-in through an identity provider). */
  activeStaffWithEmail(q: Queryable, email: string, organisationId: string): Promise<string[]> {
    return activeStaffWithEmail(q, email, organisationId);
  }

  /** The directory as of now, as `q` sees it: one small read, plus a reload when something changed. */
  async snapshot(q: Queryable = this.db): Promise<Directory> {
    const [row] = await q.query<{ version: string }>('SELECT version::text FROM directory_version');
    return this.atVersion(q, Number(row?.version ?? 0));
  }

  /**
   * The directory at `version`, which the caller read through `q` together
   * with other rows (so they agree). Reloads happen through the Db, one at a
   * time, and are kept; through a transaction (whose own uncommitted change
   * may be what moved the version) a stale copy is read for that caller alone.
   */
  async atVersion(q: Queryable, version: number): Promise<Directory> {
    // A newer copy than the caller's read is fine: a change committed in between.
    if (this.current && this.current.version >= version) return this.current;
    // Inside a transaction the Db may have no other connection to give (PGlite
    // has one): read through the transaction, for this caller alone.
    if (q !== this.db) return loadDirectory(q);
    let loaded = await this.reload();
    // A reload that began before the change committed: once more.
    if (loaded.version < version) loaded = await this.reload();
    return loaded.version >= version ? loaded : loadDirectory(q);
  }

  private async reload(): Promise<Directory> {
    this.loading ??= loadDirectory(this.db).then(
      (d) => {
        if (!this.current || d.version >= this.current.version) this.current = d;
        this.loading = undefined;
        return d;
      },
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }
}
