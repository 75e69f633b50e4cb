// Bad input at every REST operation: for each operation in /api/openapi.json,
// fast-check makes requests a client should never send (any JSON, wrong
// types, missing and extra fields, huge strings, odd Unicode, bad path
// parameters and query strings) as a caseworker, an admin and anonymously.
// No answer may be a 5xx, and a refused request writes nothing: every table's
// content is checksummed before and after each operation.
//
// FUZZ_RUNS (requests per operation and caller, default 6) and FUZZ_SEED
// (default: the time) tune it; a failure prints the seed and the request.
import { expect } from 'chai';
import fc from 'fast-check';
import { apiTokenFor, startTestRinki, type TestRinki } from './helpers/env.ts';
import { makeOrgFixture, type OrgFixture } from '../server/src/directory/fixtures.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/**
 * Tables that change without any request writing them: tokens (issued for the
 * callers here; their expiry clean-up) and what the node's timers do on their own.
 */
const CHANGING_TABLES = new Set(['access_tokens', 'timers', 'audit_log_checkpoints', 'audit_log_heads']);

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body?: JsonSchema;
}

interface FuzzRequest {
  path: string;
  query: string;
  /** Undefined: no body; a string: sent as it is, as JSON. */
  body?: string;
}

function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: JsonSchema }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema ?? {}])),
        body: op.requestBody?.content['application/json']?.schema,
      });
    }
  return ops;
}

// ---- what a careless or hostile client sends ----

const oddStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202e\u200b\ufeff',
  '😀👩‍👩‍👧',
  'null',
  'undefined',
  '-1',
  '0',
  '1e309',
  'NaN',
  '2026-02-30T25:61:00Z',
  '9999-12-31T23:59:59Z',
  '../../etc/passwd',
  "'; DROP TABLE staff; --",
  '%',
  '%E0%A4%A',
  '__proto__',
  'constructor',
);
const anyString = fc.oneof(
  { weight: 4, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: oddStrings },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 5_000, maxLength: 120_000 }) },
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: anyString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, 0.5) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** A value for `schema`: often a plausible one (so the request gets past the first field), often not. */
function valueFor(schema: JsonSchema | undefined, ids: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  const s = schema ?? {};
  const plausible: fc.Arbitrary<unknown>[] = [];
  if (s.enum?.length) plausible.push(fc.constantFrom(...s.enum));
  if (s.const !== undefined) plausible.push(fc.constant(s.const));
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) if (depth < 4) plausible.push(valueFor(alt, ids, depth + 1));
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  for (const t of types) {
    if (t === 'string')
      plausible.push(
        s.format === 'date-time' || s.format === 'date'
          ? fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => (s.format === 'date' ? d.toISOString().slice(0, 10) : d.toISOString()))
          : fc.oneof(ids, fc.string({ maxLength: 30 })),
      );
    if (t === 'integer' || t === 'number') plausible.push(fc.integer({ min: -5, max: 100 }));
    if (t === 'boolean') plausible.push(fc.boolean());
    if (t === 'array' && depth < 4) plausible.push(fc.array(valueFor(s.items, ids, depth + 1), { maxLength: 4 }));
    if (t === 'object' && depth < 4) plausible.push(objectFor(s, ids, depth + 1));
  }
  if (!plausible.length) return anyValue;
  return fc.oneof({ weight: 3, arbitrary: fc.oneof(...plausible) }, { weight: 1, arbitrary: anyValue });
}

/** An object with some of the schema's fields (required ones often left out), and now and then fields it does not know. */
function objectFor(s: JsonSchema, ids: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, valueFor(v, ids, depth)]));
  const known = fc.record(props, { requiredKeys: [] });
  const extra = fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), oddStrings), anyValue, { maxKeys: 3 });
  return fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a })) });
}

/** Percent-encodes every byte but the unreserved ones (a lone surrogate becomes U+FFFD, as in UTF-8). */
function encode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

function requestsFor(op: Operation, ids: fc.Arbitrary<string>): fc.Arbitrary<FuzzRequest> {
  const segment = fc.oneof(
    { weight: 3, arbitrary: ids.map(encode) },
    { weight: 3, arbitrary: anyString.filter((s) => s.length > 0 && s.length < 300).map(encode) },
    // Not valid percent-encoding, as it arrives.
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%C0%AF', '%FF%FE', '%00', '.', '..') },
  );
  const path = fc.tuple(...op.pathParams.map(() => segment)).map((values) => {
    let i = 0;
    return op.path.replace(/\{\w+\}/g, () => values[i++]);
  });
  const queryValue = (schema?: JsonSchema) => valueFor(schema, ids).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
  const query = fc
    .tuple(
      fc.record(Object.fromEntries(Object.entries(op.query).map(([k, v]) => [k, queryValue(v)])), { requiredKeys: [] }),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), oddStrings), queryValue(), { maxKeys: 2 }),
      // A name given twice (Express makes it an array), or a query that is not valid percent-encoding.
      fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(...Object.keys(op.query), 'x').map((k) => `${k}=1&${k}=2`) }, { weight: 1, arbitrary: fc.constantFrom('%', 'a=%E0%A4%A', '%ZZ=1', '&&=&') }),
    )
    .map(([known, extra, raw]) => [new URLSearchParams({ ...extra, ...known } as Record<string, string>).toString(), raw].filter(Boolean).join('&'));
  const body: fc.Arbitrary<string | undefined> = fc.oneof(
    { weight: 5, arbitrary: (op.body ? objectFor(op.body, ids) : fc.jsonValue({ maxDepth: 2 })).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: anyValue.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,]', "{'a':1}", '\u0000', '{"a":"\\ud800"}', '{"a":"\\u0000"}', `{"__proto__":{"admin":true}}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.record({ path, query, body });
}

// ---- the server ----

/** A checksum of each table's whole content, in one query. */
async function tableChecksums(rinki: TestRinki): Promise<Map<string, string>> {
  const tables = (await rinki.deps.db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).map((r) => r.t);
  const sql = tables.map((t) => `SELECT '${t}' AS t, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS sum FROM "${t}" x`).join(' UNION ALL ');
  return new Map((await rinki.deps.db.query<{ t: string; sum: string }>(sql)).map((r) => [r.t, r.sum]));
}

function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((t) => !CHANGING_TABLES.has(t) && before.get(t) !== after.get(t));
}

describe('REST API under bad input (fast-check)', function () {
  this.timeout(600_000);
  let rinki: TestRinki;
  let f: OrgFixture;
  let ops: Operation[];
  const tokens: Record<string, string | undefined> = {};
  const callers = ['caseworker', 'admin', 'anonymous'] as const;
  let staffOf: Record<(typeof callers)[number], string | undefined>;

  before(async () => {
    rinki = await startTestRinki({ store: 'pglite' });
    f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
    staffOf = { caseworker: f.staff.countyAWorker, admin: f.staff.countyAAdmin, anonymous: undefined };
    ops = operationsOf(await (await fetch(`${rinki.url}/api/openapi.json`)).json());
  });
  after(() => rinki?.cleanup());

  /** A token for each signed-in caller that still works (a fuzzed sign-out may have revoked it). */
  async function ensureTokens(): Promise<void> {
    for (const c of callers) {
      const staffId = staffOf[c];
      if (!staffId) continue;
      const ok = tokens[c] && (await fetch(`${rinki.url}/api/auth/me`, { headers: { authorization: `Bearer ${tokens[c]}` } })).status === 200;
      if (!ok) tokens[c] = await apiTokenFor(rinki, staffId);
    }
  }

  it('answers no request with a 5xx, and writes nothing for a refused one', async () => {
    console.log(`      fuzz seed ${SEED}, ${RUNS} runs per operation and caller (FUZZ_SEED, FUZZ_RUNS)`);
    expect(ops.length).to.be.greaterThan(50);
    // The callers' own ids are left out: an admin's accepted DELETE /api/staff/{id} would end the other caller's fuzzing.
    const callerIds: string[] = [f.staff.countyAWorker, f.staff.countyAAdmin];
    const ids = fc.constantFrom(
      ...Object.values(f.staff).filter((id) => !callerIds.includes(id)),
      ...Object.values(f.orgs),
      ...Object.values(f.teams),
      ...Object.values(f.municipalities),
      f.clients!.a.id,
      f.clients!.b.id,
      f.clients!.a.hetu,
      'access',
      'disclosure',
      'fi',
      'liaison',
      'contact',
      '00000000-0000-4000-8000-000000000000',
    );
    const started = Date.now();
    const accepted: string[] = [];
    let before = await tableChecksums(rinki);
    for (const [i, op] of ops.entries()) {
      await ensureTokens();
      const statuses: number[] = [];
      for (const caller of callers) {
        const headers: Record<string, string> = {};
        if (tokens[caller]) headers.authorization = `Bearer ${tokens[caller]}`;
        await fc.assert(
          fc.asyncProperty(requestsFor(op, ids), async (r) => {
            const res = await fetch(`${rinki.url}${r.path}${r.query ? `?${r.query}` : ''}`, {
              method: op.method,
              headers: r.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
              body: op.method === 'GET' ? undefined : r.body,
              redirect: 'manual',
            });
            await res.arrayBuffer();
            statuses.push(res.status);
            expect(res.status, `${op.method} ${op.path} as ${caller}`).to.be.below(500);
          }),
          { numRuns: RUNS, seed: SEED + i * 7 + callers.indexOf(caller) },
        );
      }
      const after = await tableChecksums(rinki);
      // An accepted request may write; only operations that refused every request are held to writing nothing.
      if (statuses.some((s) => s < 400)) accepted.push(`${op.method} ${op.path}`);
      else expect(changedTables(before, after), `${op.method} ${op.path} refused every request but wrote`).to.deep.equal([]);
      before = after;
    }
    console.log(`      ${ops.length} operations in ${Math.round((Date.now() - started) / 1000)} s; some fuzzed requests accepted at ${accepted.length}: ${accepted.join(", ")}`);
  });
});
