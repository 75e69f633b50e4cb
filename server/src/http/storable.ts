// PostgreSQL (and so PGlite) refuses U+0000 in text and jsonb, and unpaired
// UTF-16 surrogates in jsonb. JSON text can carry both as \u escapes; bodies
// holding them are refused at the door with a 400 instead of failing in the
// database with a 500 (and a jsonb error quotes the data it chokes on, which
// would carry it into the log).
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether the database can hold `v`, a parsed JSON value: keys and strings
 * alike. Only a \u escape can bring the refused characters into JSON text
 * (bytes decode to well-formed text, and JSON has no raw control characters),
 * so a body whose text has none needs no look.
 */
export function storable(v: unknown): boolean {
  if (typeof v === 'string') return !v.includes('\0') && !UNPAIRED_SURROGATE.test(v);
  if (Array.isArray(v)) return v.every(storable);
  if (typeof v === 'object' && v !== null) return Object.entries(v).every(([k, x]) => storable(k) && storable(x));
  return true;
}

export const NOT_STORABLE = 'Body holds U+0000 or an unpaired surrogate, which cannot be stored';
