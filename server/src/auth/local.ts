// Local accounts (small organisations, the demo): username + Argon2id password,
// checked by a passport-local strategy. Every failure looks the same and costs
// the same, so a caller learns nothing about which usernames exist.
import { Strategy as LocalStrategy } from 'passport-local';
import type { Queryable } from '../store/db.ts';
import { verifyAgainstNothing, verifyPassword } from './passwords.ts';

export const BAD_CREDENTIALS = 'Wrong username or password';

/** The person's id when the credentials are right and the person is active. */
export async function verifyLocalCredentials(q: Queryable, username: string, password: string): Promise<string | undefined> {
  const rows = await q.query<{ id: string; password_hash: string | null; active: boolean }>(
    'SELECT id, password_hash, active FROM staff WHERE username = $1',
    [username],
  );
  const row = rows[0];
  if (!row?.password_hash) {
    await verifyAgainstNothing(password);
    return undefined;
  }
  // Verify even for inactive people, so their usernames cost the same as others'.
  const ok = await verifyPassword(row.password_hash, password);
  return ok && row.active ? row.id : undefined;
}

export interface SignedInStaff {
  staffId: string;
}

export function localStrategy(q: Queryable): LocalStrategy {
  return new LocalStrategy({ usernameField: 'username', passwordField: 'password', session: false }, (username, password, done) => {
    verifyLocalCredentials(q, username, password).then(
      (staffId) => (staffId ? done(null, { staffId } satisfies SignedInStaff) : done(null, false, { message: BAD_CREDENTIALS })),
      (err: unknown) => done(err),
    );
  });
}
