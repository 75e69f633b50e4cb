// The access log (käyttöloki): every read of a client record, with its purpose.
// A row in client_access_events (for queries) and an entry in the 'access'
// hash chain (for tamper evidence), written in the caller's transaction.
import type { Queryable } from '../store/db.ts';
import { appendAuditEntries, type CheckpointSigner } from './store.ts';

export interface AccessRecord {
  actorId: string;
  actorOrganisationId: string;
  clientId: string;
  /** What was done, e.g. 'client.read'. */
  action: string;
  /** Why, in the actor's words or a fixed code. */
  purpose: string;
  at: Date;
}

/** Records one access; pass the Queryable of the transaction that read the data. */
export async function recordAccess(q: Queryable, a: AccessRecord, signer: CheckpointSigner): Promise<{ eventId: number; seq: number }> {
  const [recorded] = await recordAccesses(q, [a], signer);
  return recorded;
}

/** Records several accesses at once (an import's client rows): one INSERT, one append to the chain. */
export async function recordAccesses(q: Queryable, list: AccessRecord[], signer: CheckpointSigner): Promise<{ eventId: number; seq: number }[]> {
  if (!list.length) return [];
  const rows = await q.query<{ id: number }>(
    `INSERT INTO client_access_events (at, actor_id, actor_organisation_id, client_id, action, purpose)
     SELECT at, a, o, c, act, p FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS x(at, a, o, c, act, p, n)
     ORDER BY n RETURNING id`,
    [list.map((a) => a.at), list.map((a) => a.actorId), list.map((a) => a.actorOrganisationId), list.map((a) => a.clientId), list.map((a) => a.action), list.map((a) => a.purpose)],
  );
  // Identity values follow the insertion order, which is the list's.
  const eventIds = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const { firstSeq } = await appendAuditEntries(
    q,
    'access',
    list.map((a, i) => ({
      at: a.at,
      entry: {
        type: 'client_access',
        eventId: eventIds[i],
        actorId: a.actorId,
        actorOrganisationId: a.actorOrganisationId,
        clientId: a.clientId,
        action: a.action,
        purpose: a.purpose,
      },
    })),
    signer,
  );
  return eventIds.map((eventId, i) => ({ eventId, seq: firstSeq + i }));
}
