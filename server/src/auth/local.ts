// Local accounts (small organisations, the demo): username + Argon2id password,
// checked by a passport-local strategy. Every failure looks the same and costs
// the same, so a caller learns nothing about which usernames exist.
import { Strategy as LocalStrategy } from 'passport-local';
import type { Deps } from '../deps.ts';
import type { Queryable } from '../store/db.ts';
import { verifyAgainstNothing, verifyPassword } from './passwords.ts';

export const BAD_CREDENTIALS = 'Wrong username or password';

/** The person's id when the credentials are right and the person is active. */
export async function verifyLocalCredentials(directory: Deps['directory'], q: Queryable, username: string, password: string): Promise<string | undefined> {
  const account = await directory.account(q, { username });
  if (!account?.passwordHash) {
    await verifyAgainstNothing(password);
    return undefined;
  }
  // Verify even for inactive people, so their usernames cost the same as others'.
  const ok = await verifyPassword(account.passwordHash, password);
  return ok && account.active ? account.id : undefined;
}

export interface SignedInStaff {
  staffId: string;
}

export function localStrategy(deps: Pick<Deps, 'db' | 'directory'>): LocalStrategy {
  return new LocalStrategy({ usernameField: 'username', passwordField: 'password', session: false }, (username, password, done) => {
    verifyLocalCredentials(deps.directory, deps.db, username, password).then(
      (staffId) => (staffId ? done(null, { staffId } satisfies SignedInStaff) : done(null, false, { message: BAD_CREDENTIALS })),
      (err: unknown) => done(err),
    );
  });
}
