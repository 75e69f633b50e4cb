// What callbacks tell a client read (the directory's ClientFactSources): the
// requester, the owner and whoever a callback is addressed to (a person, or a
// member of the team) have a task about the client while it is open and for a
// while after it closed.
import type { TaskRelationSource } from '../directory/index.ts';

export const callbackRelation: TaskRelationSource = {
  relation: 'callback',
  async holds(q, { clientId, staffId, teamIds, since }) {
    const rows = await q.query(
      `SELECT 1 FROM callbacks WHERE client_id = $1 AND (closed_at IS NULL OR closed_at > $3)
          AND (requester_id = $2 OR owner_id = $2 OR target_staff_id = $2 OR target_team_id = ANY($4::text[])) LIMIT 1`,
      [clientId, staffId, since, teamIds],
    );
    return rows.length > 0;
  },
};
