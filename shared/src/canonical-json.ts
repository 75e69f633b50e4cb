// Canonical JSON: the one encoding for what Rinki signs, hashes or compares
// as JSON — Matrix signatures and request bindings, and the entries and
// checkpoints of the access and disclosure logs (their hash chain).
//
// It is the Matrix spec's canonical JSON (appendices, "Canonical JSON"): UTF-8,
// no whitespace, object keys sorted by Unicode code point, strings escaped as
// JSON.stringify escapes them (only '"', '\' and control characters, with
// \b \f \n \r \t and lowercase \u00XX: the spec's grammar), numbers as
// JSON.stringify writes them. The spec allows only integers within
// ±(2^53 − 1); others are written, not refused: Matrix bodies are compared
// and verified here, and a client's number is its own business.
//
// For values built in code rather than parsed (the logs' entries):
// object members that are undefined or functions are dropped, and in arrays
// they become null (as JSON.stringify does); toJSON is honoured (a Date is its
// ISO time); NaN and Infinity are refused, having no JSON.

/**
 * Orders strings by Unicode code point. UTF-16 order (a plain `<`) agrees
 * except where a surrogate (half of a code point above U+FFFF) meets
 * U+E000–U+FFFF: those code points come after, not before.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (D800–DFFF) moved above U+E000–U+FFFF, which move down to make room. */
const codePointRank = (unit: number) => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

// Keys the fast path leaves to the walk: array-index-like keys ("0", "17"),
// which a new object lists first in numeric order, and __proto__, which sets
// the prototype instead of making a key, so sorting by re-inserting keys would
// not hold; and keys with a surrogate, where JavaScript's own sort is not by
// code point. Without them the native comparison and sort are the code point order.
const WALK_KEY = /^(?:0|[1-9]\d*|__proto__)$|[\uD800-\uDFFF]/;

class NeedsWalk extends Error {}

// JSON.stringify does the encoding (toJSON, dropping undefined and functions,
// string escapes); the replacer only puts object keys in order and refuses
// NaN and Infinity. Native stringify is about three times the speed of a
// JavaScript walk, and the logs' appends and verification spend much of their time here.
function sortingReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
    return value;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    if (WALK_KEY.test(keys[i])) throw new NeedsWalk();
    if (i && keys[i - 1] > keys[i]) sorted = false;
  }
  if (sorted) return obj;
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = obj[k];
  return out;
}

/** Canonical JSON of a value (see the header comment); throws for NaN, Infinity and values with no JSON. */
export function canonicalJson(value: unknown): string {
  try {
    const text = JSON.stringify(value, sortingReplacer) as string | undefined;
    if (text === undefined) throw new TypeError(`canonical JSON cannot encode ${typeof value}`);
    return text;
  } catch (err) {
    if (err instanceof NeedsWalk) return canonicalJsonByWalk(value);
    throw err;
  }
}

/** The same encoding by an explicit walk: for objects with keys the fast path leaves to it. */
function canonicalJsonByWalk(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
      return JSON.stringify(value);
    case 'object': {
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJsonByWalk((value as { toJSON(): unknown }).toJSON());
      if (Array.isArray(value)) {
        return `[${value.map((v: unknown) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJsonByWalk(v))).join(',')}]`;
      }
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort(compareCodePoints)) {
        const v = obj[k];
        if (v === undefined || typeof v === 'function') continue;
        parts.push(`${JSON.stringify(k)}:${canonicalJsonByWalk(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode ${typeof value}`);
  }
}
