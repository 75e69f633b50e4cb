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

export interface CandidatePool {
  /** The team's members by name, when a team was asked for. */
  teamMembers: string[];
  facts: Map<string, StaffFacts>;
  absences: Map<string, { standInId: string | null; reason: string | null; endsAt: string }>;
  /** The hours of every team the people found belong to. */
  hours: Map<string, TeamHours>;
}

/**
 * Everything a step needs about the people it may ring, in one round trip:
 * the named people and the members of `teamId`, with their facts, their
 * current absence (the latest-starting when several overlap) and the hours of
 * their teams.
 */
export async function candidatePool(q: Queryable, sel: { ids: string[]; teamId?: string }, at: Date): Promise<CandidatePool> {
  const pool: CandidatePool = { teamMembers: [], facts: new Map(), absences: new Map(), hours: new Map() };
  if (!sel.ids.length && !sel.teamId) return pool;
  const rows = await q.query<{
    id: string; via_team: boolean; display_name: string; organisation_id: string; kind: StaffFacts['organisationKind'];
    languages: string[]; active: boolean; team_ids: string[]; team_hours: Record<string, { hours: TeamHours['hours']; hourExceptions: TeamHours['hourExceptions']; closedOnHolidays: boolean }> | string | null;
    stand_in_id: string | null; absence_reason: string | null; absence_ends_at: Date | string | null;
  }>(
    `WITH sel AS (
       SELECT unnest($1::text[]) AS id, false AS via_team
       UNION ALL SELECT m.staff_id, true FROM team_members m WHERE m.team_id = $2
     )
     SELECT s.id, bool_or(sel.via_team) AS via_team, s.display_name, s.organisation_id, o.kind, s.languages, s.active,
            COALESCE((SELECT array_agg(m.team_id ORDER BY m.team_id) FROM team_members m WHERE m.staff_id = s.id), '{}') AS team_ids,
            (SELECT json_object_agg(t.id, json_build_object('hours', t.hours, 'hourExceptions', t.hour_exceptions, 'closedOnHolidays', t.closed_on_holidays))
               FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.staff_id = s.id) AS team_hours,
            a.stand_in_id, a.reason AS absence_reason, a.ends_at AS absence_ends_at
       FROM sel JOIN staff s ON s.id = sel.id JOIN organisations o ON o.id = s.organisation_id
       LEFT JOIN LATERAL (
         SELECT x.stand_in_id, x.reason, x.ends_at FROM absences x
          WHERE x.staff_id = s.id AND x.starts_at <= $3 AND x.ends_at > $3 ORDER BY x.starts_at DESC LIMIT 1) a ON true
      GROUP BY s.id, o.kind, a.stand_in_id, a.reason, a.ends_at
      ORDER BY s.display_name, s.id`,
    [sel.ids, sel.teamId ?? null, at],
  );
  for (const r of rows) {
    if (r.via_team) pool.teamMembers.push(r.id);
    pool.facts.set(r.id, {
      id: r.id, displayName: r.display_name, organisationId: r.organisation_id, organisationKind: r.kind, languages: r.languages, active: r.active, teamIds: r.team_ids,
    });
    if (r.absence_ends_at) pool.absences.set(r.id, { standInId: r.stand_in_id, reason: r.absence_reason, endsAt: new Date(r.absence_ends_at).toISOString() });
    const hours = typeof r.team_hours === 'string' ? JSON.parse(r.team_hours) : r.team_hours;
    for (const [teamId, h] of Object.entries(hours ?? {})) pool.hours.set(teamId, h as TeamHours);
  }
  return pool;
}
