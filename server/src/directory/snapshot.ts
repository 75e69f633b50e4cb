// The routing-relevant directory in memory: people, organisations, teams and
// their hours, memberships, roles, municipal contacts and absences. Routing
// reads it on every ring and every step, so a decision costs the client
// record's one query and no more; the directory is small (tens of thousands
// of people) and changes a few times a day.
//
// Freshness: every change to these tables raises directory_version in the
// same transaction (migration 0020). DirectoryCache.snapshot() reads that
// counter, one primary-key read, and reloads when it moved, so a change made
// on any node, by the import command or in SQL is seen by the next decision.
import type { TeamHours } from './hours.ts';
import type { Db, Queryable } from '../store/db.ts';

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
  nameFi: string;
  nameSv: string;
}

export interface Absence {
  startsAt: number;
  endsAt: number;
  standInId: string | null;
  reason: string | null;
}

interface Rows {
  version: { version: string }[];
  organisations: { id: string; kind: OrganisationKind; parent_id: string | null; name_fi: string; name_sv: string }[];
  municipalities: { code: string; county_id: string; name_fi: string; name_sv: string }[];
  staff: { id: string; display_name: string; organisation_id: string; languages: string[]; segments: string[]; active: boolean }[];
  roles: { staff_id: string; role: string; organisation_id: string }[];
  teams: { id: string; organisation_id: string; segments: string[]; hours: TeamHours['hours']; hour_exceptions: TeamHours['hourExceptions']; closed_on_holidays: boolean }[];
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
  private readonly hours = new Map<string, TeamHours>();
  private readonly members = new Map<string, string[]>();
  private readonly liaisonsByMunicipality = new Map<string, string[]>();
  private readonly contactsByCounty = new Map<string, string[]>();
  private readonly absencesByStaff = new Map<string, Absence[]>();
  /** role → organisation → active people */
  private readonly roleHolders = new Map<string, Map<string, string[]>>();
  /** segment → organisation → active people with it, themselves or through a team */
  private readonly segmentHolders = new Map<string, Map<string, string[]>>();

  constructor(rows: Rows) {
    this.version = Number(rows.version[0]?.version ?? 0);
    for (const o of rows.organisations) this.organisations.set(o.id, { id: o.id, kind: o.kind, parentId: o.parent_id, nameFi: o.name_fi, nameSv: o.name_sv });
    for (const m of rows.municipalities) this.municipalities.set(m.code, { code: m.code, countyId: m.county_id, nameFi: m.name_fi, nameSv: m.name_sv });
    const byName = [...rows.staff].sort((a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    byName.forEach((s, i) => this.rank.set(s.id, i));
    for (const s of byName) {
      const kind = this.organisations.get(s.organisation_id)?.kind ?? 'county';
      this.staffById.set(s.id, { id: s.id, displayName: s.display_name, organisationId: s.organisation_id, organisationKind: kind, languages: s.languages, segments: s.segments, active: s.active, teamIds: [] });
    }
    const teamSegments = new Map<string, string[]>();
    for (const t of rows.teams) {
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

async function all<T extends unknown[]>(q: Queryable, reads: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if ('tx' in q) return (await Promise.all(reads.map((r) => r()))) as T;
  const out: unknown[] = [];
  for (const r of reads) out.push(await r());
  return out as T;
}

/** Reads the whole routing directory (for tests, validation and the cache). */
export async function loadDirectory(q: Queryable): Promise<Directory> {
  // The counter first: rows read after it are at least as new, so a snapshot is never older than its version.
  const version = await q.query<{ version: string }>('SELECT version::text FROM directory_version');
  // Through a Db the reads share its pool; a transaction has one connection, so one after another.
  const [organisations, municipalities, staff, roles, teams, members, contacts, absences] = await all(q, [
    () => q.query<Rows['organisations'][number]>('SELECT id, kind, parent_id, name_fi, name_sv FROM organisations'),
    () => q.query<Rows['municipalities'][number]>('SELECT code, county_id, name_fi, name_sv FROM municipalities'),
    () => q.query<Rows['staff'][number]>('SELECT id, display_name, organisation_id, languages, segments, active FROM staff'),
    () => q.query<Rows['roles'][number]>('SELECT staff_id, role, organisation_id FROM staff_roles'),
    () => q.query<Rows['teams'][number]>('SELECT id, organisation_id, segments, hours, hour_exceptions, closed_on_holidays FROM teams'),
    () => q.query<Rows['members'][number]>('SELECT team_id, staff_id FROM team_members'),
    () => q.query<Rows['contacts'][number]>('SELECT municipality_code, staff_id, kind FROM municipality_contacts'),
    () => q.query<Rows['absences'][number]>('SELECT staff_id, starts_at, ends_at, stand_in_id, reason FROM absences'),
  ]);
  return new Directory({ version, organisations, municipalities, staff, roles, teams, members, contacts, absences });
}

/** One node's copy of the directory, reloaded when directory_version moves. */
export class DirectoryCache {
  private current: Directory | undefined;
  private loading: Promise<Directory> | undefined;

  constructor(private readonly db: Db) {}

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
