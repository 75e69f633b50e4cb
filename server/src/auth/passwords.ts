// Local-account passwords: Argon2id through libsodium's crypto_pwhash_str.
import { sodium } from '../crypto/sodium.ts';

export async function hashPassword(password: string): Promise<string> {
  const s = await sodium();
  return s.crypto_pwhash_str(password, s.crypto_pwhash_OPSLIMIT_INTERACTIVE, s.crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  const s = await sodium();
  try {
    return s.crypto_pwhash_str_verify(hash, password);
  } catch {
    return false;
  }
}

/** Spends the same work as a real check, so an unknown username takes as long as a wrong password. */
let dummyHash: Promise<string> | undefined;
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('rinki-no-such-user');
  await verifyPassword(await dummyHash, password);
  return false;
}
