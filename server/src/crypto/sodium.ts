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

const NO_PREFIX = new Uint8Array(0);

/** Tokens are stored only as this unkeyed BLAKE2b hash: a database dump reveals no usable token. */
export async function hashToken(token: string): Promise<Buffer> {
  const digest = blake2b256(await sodium()).hash(NO_PREFIX, token);
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** hashToken in hex, read straight from the hasher's memory: every Matrix request hashes its token. */
export async function hashTokenHex(token: string): Promise<string> {
  return blake2b256(await sodium()).hashHex(NO_PREFIX, token);
}

// The emscripten module under the wrappers: its heap and exported C functions.
interface RawLibsodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_generichash(out: number, outLen: number, input: number, inLenLow: number, inLenHigh: number, key: number, keyLen: number): number;
}

const utf8 = new TextEncoder();

/**
 * BLAKE2b-256 of `prefix` followed by the UTF-8 bytes of `text`, the same as
 * crypto_generichash(32, prefix || text). Hash chains hash hundreds of
 * thousands of short inputs; the wrapper's per-call copies and allocations
 * cost four times the hashing itself, so this writes straight into one
 * reused buffer in libsodium's memory.
 */
export class Blake2b256 {
  private readonly raw: RawLibsodium;
  private input = 0;
  private capacity = 0;
  private readonly output: number;

  constructor(s: typeof sodiumModule) {
    this.raw = (s as unknown as { libsodium: RawLibsodium }).libsodium;
    this.output = this.raw._malloc(32);
    this.reserve(4096);
  }

  private reserve(bytes: number): void {
    if (bytes <= this.capacity) return;
    if (this.input) this.raw._free(this.input);
    this.capacity = Math.max(bytes, this.capacity * 2);
    this.input = this.raw._malloc(this.capacity);
    if (!this.input) throw new Error('libsodium: out of memory');
  }

  hash(prefix: Uint8Array, text: string): Uint8Array {
    this.digest(prefix, text);
    return this.raw.HEAPU8.slice(this.output, this.output + 32);
  }

  /** hash() in hex, without copying the digest out first. */
  hashHex(prefix: Uint8Array, text: string): string {
    this.digest(prefix, text);
    return toHex(this.raw.HEAPU8.subarray(this.output, this.output + 32));
  }

  private digest(prefix: Uint8Array, text: string): void {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    this.reserve(prefix.length + text.length * 3);
    const heap = this.raw.HEAPU8; // read after malloc: a grown memory replaces the view
    heap.set(prefix, this.input);
    const { written } = utf8.encodeInto(text, heap.subarray(this.input + prefix.length, this.input + this.capacity));
    if (this.raw._crypto_generichash(this.output, 32, this.input, prefix.length + written, 0, 0, 0) !== 0) throw new Error('crypto_generichash failed');
  }
}

const hashers = new WeakMap<object, Blake2b256>();

/** One reusable hasher per libsodium instance (JavaScript is single-threaded: no sharing issue). */
export function blake2b256(s: typeof sodiumModule): Blake2b256 {
  let h = hashers.get(s);
  if (!h) hashers.set(s, (h = new Blake2b256(s)));
  return h;
}

/** Bytes in hex, read where they are (no copy). */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
