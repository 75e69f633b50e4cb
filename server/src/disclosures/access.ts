// The access log (käyttöloki): every read of a client record, with its purpose.
// A row in client_access_events (for queries) and an entry in the 'access'
// hash chain (for tamper evidence), written in the caller's transaction.
import type { Queryable } from '../store/db.ts';
import { appendAuditEntry, type CheckpointSigner } from './store.ts';

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
  const [row] = await q.query<{ id: number }>(
    `INSERT INTO client_access_events (at, actor_id, actor_organisation_id, client_id, action, purpose)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [a.at, a.actorId, a.actorOrganisationId, a.clientId, a.action, a.purpose],
  );
  const eventId = Number(row.id);
  const { lastSeq } = await appendAuditEntry(
    q,
    'access',
    {
      type: 'client_access',
      eventId,
      actorId: a.actorId,
      actorOrganisationId: a.actorOrganisationId,
      clientId: a.clientId,
      action: a.action,
      purpose: a.purpose,
    },
    a.at,
    signer,
  );
  return { eventId, seq: lastSeq };
}
