// The directory reads routing needs beyond directory/repository.ts: batched
// facts about candidates (one query per step, not one per person) and
// selection by role or segment within a set of organisations.
import type { Queryable } from '../store/db.ts';
import type { TeamHours } from '../directory/hours.ts';

export interface StaffFacts {
  id: string;
  displayName: string;
  organisationId: string;
  organisationKind: 'kela' | 'kela_district' | 'county';
  languages: string[];
  active: boolean;
  teamIds: string[];
}

export async function staffFacts(q: Queryable, ids: string[]): Promise<Map<string, StaffFacts>> {
  if (!ids.length) return new Map();
  const rows = await q.query<{
    id: string; display_name: string; organisation_id: string; kind: StaffFacts['organisationKind'];
    languages: string[]; active: boolean; team_ids: string[];
  }>(
    `SELECT s.id, s.display_name, s.organisation_id, o.kind, s.languages, s.active,
            COALESCE((SELECT array_agg(m.team_id ORDER BY m.team_id) FROM team_members m WHERE m.staff_id = s.id), '{}') AS team_ids
       FROM staff s JOIN organisations o ON o.id = s.organisation_id
      WHERE s.id = ANY($1::text[])`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, displayName: r.display_name, organisationId: r.organisation_id, organisationKind: r.kind, languages: r.languages, active: r.active, teamIds: r.team_ids },
    ]),
  );
}

/** An organisation and the units under it (Kela → its districts). */
export async function organisationAndUnits(q: Queryable, organisationId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>('SELECT id FROM organisations WHERE id = $1 OR parent_id = $1 ORDER BY id', [organisationId]);
  return rows.map((r) => r.id);
}

/** Every Kela organisation: the institution and its districts. */
export async function kelaOrganisations(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ id: string }>(`SELECT id FROM organisations WHERE kind IN ('kela', 'kela_district') ORDER BY id`);
  return rows.map((r) => r.id);
}

/** Active people holding `role` at one of `organisationIds`, by name. */
export async function staffWithRole(q: Queryable, role: string, organisationIds: string[]): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT s.id FROM staff s
      WHERE s.active AND EXISTS (SELECT 1 FROM staff_roles r WHERE r.staff_id = s.id AND r.role = $1 AND r.organisation_id = ANY($2::text[]))
      ORDER BY s.display_name, s.id`,
    [role, organisationIds],
  );
  return rows.map((r) => r.id);
}

/** Active people of `organisationIds` with the segment themselves or through one of their teams. */
export async function staffWithSegment(q: Queryable, segment: string, organisationIds: string[]): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT s.id FROM staff s
      WHERE s.active AND s.organisation_id = ANY($2::text[])
        AND ($1 = ANY(s.segments) OR EXISTS (
              SELECT 1 FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.staff_id = s.id AND $1 = ANY(t.segments)))
      ORDER BY s.display_name, s.id`,
    [segment, organisationIds],
  );
  return rows.map((r) => r.id);
}

/** Named contact persons (kind 'contact') of any municipality of the county. */
export async function countyContacts(q: Queryable, countyId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT DISTINCT s.id, s.display_name FROM municipality_contacts c
       JOIN municipalities m ON m.code = c.municipality_code JOIN staff s ON s.id = c.staff_id
      WHERE m.county_id = $1 AND c.kind = 'contact' AND s.active
      ORDER BY s.display_name, s.id`,
    [countyId],
  );
  return rows.map((r) => r.id);
}

export async function teamHours(q: Queryable, teamIds: string[]): Promise<Map<string, TeamHours>> {
  if (!teamIds.length) return new Map();
  const rows = await q.query<{ id: string; hours: TeamHours['hours']; hour_exceptions: TeamHours['hourExceptions']; closed_on_holidays: boolean }>(
    'SELECT id, hours, hour_exceptions, closed_on_holidays FROM teams WHERE id = ANY($1::text[])',
    [teamIds],
  );
  return new Map(rows.map((r) => [r.id, { hours: r.hours, hourExceptions: r.hour_exceptions, closedOnHolidays: r.closed_on_holidays }]));
}

/** The current absence of each person (latest-starting when several overlap). */
export async function currentAbsences(
  q: Queryable,
  staffIds: string[],
  at: Date,
): Promise<Map<string, { standInId: string | null; reason: string | null; endsAt: string }>> {
  if (!staffIds.length) return new Map();
  const rows = await q.query<{ staff_id: string; stand_in_id: string | null; reason: string | null; ends_at: Date | string }>(
    `SELECT DISTINCT ON (staff_id) staff_id, stand_in_id, reason, ends_at FROM absences
      WHERE staff_id = ANY($1::text[]) AND starts_at <= $2 AND ends_at > $2
      ORDER BY staff_id, starts_at DESC`,
    [staffIds, at],
  );
  return new Map(rows.map((r) => [r.staff_id, { standInId: r.stand_in_id, reason: r.reason, endsAt: new Date(r.ends_at).toISOString() }]));
}
