// What the urgent queue tells a client read (the directory's
// ClientFactSources): whoever owns or claimed an urgent item has a task about
// the client until a while after it was resolved; and the client's concern
// notifications that are not closed, which the record shows.
import type { ClientRecord } from '../../../shared/src/directory.ts';
import type { TaskRelationSource } from '../directory/index.ts';
import type { Queryable } from '../store/db.ts';

export const urgentItemRelation: TaskRelationSource = {
  relation: 'urgent_item',
  async holds(q, { clientId, staffId, since }) {
    const rows = await q.query(
      `SELECT 1 FROM urgent_items u WHERE u.client_id = $1 AND (u.resolved_at IS NULL OR u.resolved_at > $3)
          AND (u.owner_id = $2 OR EXISTS (SELECT 1 FROM urgent_item_events e WHERE e.item_id = u.id AND e.kind = 'claimed' AND e.actor_id = $2)) LIMIT 1`,
      [clientId, staffId, since],
    );
    return rows.length > 0;
  },
};

export async function openConcernNotifications(q: Queryable, clientId: string): Promise<ClientRecord['openConcernNotifications']> {
  const rows = await q.query<{ id: string; from_organisation_id: string; to_organisation_id: string; status: string; created_at: Date }>(
    `SELECT id, from_organisation_id, to_organisation_id, status, created_at FROM concern_notifications
      WHERE client_id = $1 AND status <> 'closed' ORDER BY created_at DESC, id`,
    [clientId],
  );
  return rows.map((r) => ({
    id: r.id,
    fromOrganisationId: r.from_organisation_id,
    toOrganisationId: r.to_organisation_id,
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
