// Re-authentication before a sensitive operation: "prove it is still you".
// Matrix user-interactive auth keeps its sessions here, and the identity
// provider's callback records a fresh SSO sign-in on them, so a person who
// has no password in Rinki can still confirm a device deletion.
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db.ts';

export const REAUTH_TTL_MS = 15 * 60_000;

export interface ReauthSession {
  id: string;
  staffId: string;
  operation: string;
  completed: string[];
}

/** The identity providers a person's account is linked to (any of them can confirm it is still them), by id. */
export async function linkedProviders(q: Queryable, staffId: string): Promise<string[]> {
  const rows = await q.query<{ provider: string }>('SELECT provider FROM staff_identities WHERE staff_id = $1 ORDER BY provider', [staffId]);
  return rows.map((r) => r.provider);
}

export async function startReauth(q: Queryable, staffId: string, operation: string, now: Date): Promise<ReauthSession> {
  const id = randomBytes(18).toString('base64url');
  // Old sessions go on the way: a session is short-lived by design.
  await q.query('DELETE FROM reauth_sessions WHERE expires_at <= $1', [now]);
  await q.query('INSERT INTO reauth_sessions (id, staff_id, operation, expires_at) VALUES ($1, $2, $3, $4)', [id, staffId, operation, new Date(now.getTime() + REAUTH_TTL_MS)]);
  return { id, staffId, operation, completed: [] };
}

/** A live session, whoever it belongs to; undefined when unknown or expired. */
export async function findReauth(q: Queryable, id: string, now: Date): Promise<ReauthSession | undefined> {
  const [r] = await q.query<{ id: string; staff_id: string; operation: string; completed: string[] }>(
    'SELECT id, staff_id, operation, completed FROM reauth_sessions WHERE id = $1 AND expires_at > $2',
    [id, now],
  );
  return r && { id: r.id, staffId: r.staff_id, operation: r.operation, completed: r.completed };
}

/** Records a completed stage; false when the session is gone or belongs to someone else. */
export async function completeReauthStage(q: Queryable, id: string, staffId: string, stage: string, now: Date): Promise<boolean> {
  await q.query(
    `UPDATE reauth_sessions SET completed = array_append(completed, $3)
      WHERE id = $1 AND staff_id = $2 AND expires_at > $4 AND NOT ($3 = ANY(completed))`,
    [id, staffId, stage, now],
  );
  const s = await findReauth(q, id, now);
  return !!s && s.staffId === staffId && s.completed.includes(stage);
}

/** Ends a session once its operation is authorised: it cannot be used twice. */
export async function endReauth(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM reauth_sessions WHERE id = $1 RETURNING id', [id])).length > 0;
}
