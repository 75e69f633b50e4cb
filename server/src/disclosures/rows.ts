// The rows the 11 § client report reads, checked against the chain: the
// report answers from client_access_events and disclosures, the chain is the
// evidence. Every row must have its chain entry saying the same, and every
// chain entry of its type its row. Run after the chain itself verified, so
// the entries compared with are the signed ones.
import type { Queryable } from '../store/db.ts';

export type RowsResult = { ok: true; table: string; rows: number } | { ok: false; table: string; reason: string };

interface Mismatch {
  seq: number | null;
  row_id: string | null;
  fields: string[] | null;
  rows: number;
}

// Per log: its table, the entry type that has a row there, how an entry and
// a row are joined, and each field compared (row column = entry value).
const CHECKS: Record<string, { table: string; type: string; join: string; fields: [string, string][] }> = {
  access: {
    table: 'client_access_events',
    type: 'client_access',
    join: "to_jsonb(r.id) = e.j->'eventId'",
    fields: [
      ['at', 'r.at = e.at'],
      ['actor_id', "r.actor_id = e.j->>'actorId'"],
      ['actor_organisation_id', "r.actor_organisation_id = e.j->>'actorOrganisationId'"],
      ['client_id', "r.client_id = e.j->>'clientId'"],
      ['action', "r.action = e.j->>'action'"],
      ['purpose', "r.purpose = e.j->>'purpose'"],
    ],
  },
  disclosure: {
    table: 'disclosures',
    type: 'disclosure',
    join: 'r.chain_seq = e.seq',
    fields: [
      ['id', "r.id = e.j->>'disclosureId'"],
      ['at', 'r.at = e.at'],
      ['discloser_id', "r.discloser_id = e.j->'discloser'->>'staffId'"],
      ['discloser_organisation_id', "r.discloser_organisation_id = e.j->'discloser'->>'organisationId'"],
      ['recipients', "r.recipients = e.j->'recipients'"],
      ['client_id', "r.client_id = e.j->>'clientId'"],
      ['categories', "to_jsonb(r.categories) = e.j->'categories'"],
      ['basis', "r.basis = e.j->>'basis'"],
      ['consent_id', "r.consent_id IS NOT DISTINCT FROM e.j->>'consentId'"],
      ['conference_id', "r.conference_id IS NOT DISTINCT FROM e.j->>'conferenceId'"],
      ['routing_request_id', "r.routing_request_id IS NOT DISTINCT FROM e.j->>'routingRequestId'"],
    ],
  },
};

/** Checks a log's table against its chain; undefined for a log without one. */
export async function verifyLogRows(q: Queryable, log: string): Promise<RowsResult | undefined> {
  const check = CHECKS[log];
  if (!check) return undefined;
  const { table } = check;
  // One pass: a full join of the entries of the type with the rows; the
  // first mismatch in chain order (rows with no entry last), and the count.
  const differs = check.fields.map(([name, same]) => `CASE WHEN (${same}) IS NOT TRUE THEN '${name}' END`).join(', ');
  const [m] = await q.query<Mismatch>(
    `WITH e AS (
       SELECT seq, at, j FROM (SELECT seq, at, coalesce(entry_text::jsonb, entry) AS j FROM audit_log_entries WHERE log = $1) x
        WHERE j->>'type' = $2
     ), pairs AS (
       SELECT e.seq, r.id::text AS row_id, e.seq IS NOT NULL AND r.id IS NOT NULL AS paired,
              CASE WHEN e.seq IS NOT NULL AND r.id IS NOT NULL THEN array_remove(ARRAY[${differs}], NULL) END AS fields
         FROM e FULL JOIN ${table} r ON ${check.join}
     )
     SELECT seq, row_id, fields, (SELECT count(*)::int FROM ${table}) AS rows
       FROM (SELECT 1) one LEFT JOIN LATERAL (
         SELECT seq, row_id, fields FROM pairs WHERE NOT paired OR cardinality(fields) > 0
          ORDER BY seq NULLS LAST, row_id LIMIT 1
       ) bad ON true`,
    [log, check.type],
  );
  if (m.seq === null && m.row_id === null) return { ok: true, table, rows: Number(m.rows) };
  if (m.row_id === null) return { ok: false, table, reason: `chain entry ${m.seq} has no ${table} row (deleted)` };
  if (m.seq === null) return { ok: false, table, reason: `${table} row ${m.row_id} has no chain entry (inserted)` };
  return { ok: false, table, reason: `${table} row ${m.row_id} differs from chain entry ${m.seq} in ${m.fields!.join(', ')} (edited)` };
}
