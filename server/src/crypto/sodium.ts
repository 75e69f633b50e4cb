// libsodium (full "sumo" build: the standard build lacks crypto_pwhash).
import sodiumModule from 'libsodium-wrappers-sumo';

let ready: Promise<typeof sodiumModule> | undefined;

/** The initialised libsodium instance; safe to call many times. */
export function sodium(): Promise<typeof sodiumModule> {
  ready ??= sodiumModule.ready.then(() => sodiumModule);
  return ready;
}

/** A random token for a browser, an API client or Matrix (url-safe base64, 256 bits). */
export async function randomToken(): Promise<string> {
  const s = await sodium();
  return s.to_base64(s.randombytes_buf(32), s.base64_variants.URLSAFE_NO_PADDING);
}

/** Tokens are stored only as this unkeyed BLAKE2b hash: a database dump reveals no usable token. */
export async function hashToken(token: string): Promise<Buffer> {
  const s = await sodium();
  return Buffer.from(s.crypto_generichash(32, s.from_string(token), null));
}
