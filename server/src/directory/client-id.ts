// A client is identified by a keyed BLAKE2b hash of the canonical henkilötunnus;
// the code itself is never stored or logged. Several nodes must share the key.
import { canonicalHetu } from '../../../shared/src/hetu.ts';
import { sodium } from '../crypto/sodium.ts';

export async function hashHetu(clientIdKey: Uint8Array, hetu: string): Promise<Buffer> {
  const s = await sodium();
  return Buffer.from(s.crypto_generichash(32, s.from_string(canonicalHetu(hetu)), clientIdKey));
}
