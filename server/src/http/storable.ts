// PostgreSQL (and so PGlite) refuses U+0000 in text and jsonb, and unpaired
// UTF-16 surrogates in jsonb. JSON text can carry both as \u escapes, and a
// URL as %00: bodies holding them are refused at the door with a 400, and
// whatever else brings them in (a path or query parameter) gets the same
// 400 from the database's refusal, instead of a 500 whose logged error
// would quote the data it choked on.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether text (a body, a file) may bring in what `storable` looks for: only
 * a \u escape or a raw U+0000 can (bytes decode to well-formed text), so the
 * parsed value of text without either needs no look.
 */
export function mayHoldUnstorable(text: string | Buffer): boolean {
  return text.includes('\\u') || text.includes('\0');
}

/** Whether the database can hold `v`, a parsed JSON value or rows read from a file: keys and strings alike. */
export function storable(v: unknown): boolean {
  if (typeof v === 'string') return !v.includes('\0') && !UNPAIRED_SURROGATE.test(v);
  if (Array.isArray(v)) return v.every(storable);
  if (typeof v === 'object' && v !== null) return Object.entries(v).every(([k, x]) => storable(k) && storable(x));
  return true;
}

export const NOT_STORABLE = 'The request holds U+0000 or an unpaired surrogate, which cannot be stored';

/** Whether `err` is the database refusing such text: 22021 (U+0000 in text), 22P05 (\u0000 in jsonb). */
export function refusedText(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}
