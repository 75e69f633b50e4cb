// What ringing tells a client read (the directory's ClientFactSources): the
// requester and the person who accepted have a task about the client while the
// request is open and for a while after it ended. A person still being rung,
// or who declined, has received nothing to read by.
import type { TaskRelationSource } from '../directory/index.ts';

export const routingRequestRelation: TaskRelationSource = {
  relation: 'routing_request',
  async holds(q, { clientId, staffId, since }) {
    const rows = await q.query(
      `SELECT 1 FROM routing_requests WHERE client_id = $1 AND (ended_at IS NULL OR ended_at > $3)
          AND (requester_id = $2 OR accepted_by = $2) LIMIT 1`,
      [clientId, staffId, since],
    );
    return rows.length > 0;
  },
};
