// ESLint rule: a capability's SQL names only the tables and SQL functions it
// owns. Owners and the few explained exceptions are listed in
// server/src/store/table-owners.json; a capability is a folder of server/src.
// SQL is recognised in string and template literals by its upper-case
// keywords (the project's style) or by a statement's first word.
import fs from 'node:fs';
import path from 'node:path';

const OWNERS_FILE = 'server/src/store/table-owners.json';

/** name → owning capability, for tables and functions; exceptions as listed. */
export function readOwnership(file) {
  const list = JSON.parse(fs.readFileSync(file, 'utf8'));
  const tables = new Map();
  const functions = new Map();
  for (const [capability, owned] of Object.entries(list.owners)) {
    for (const t of owned.tables ?? []) tables.set(t, capability);
    for (const f of owned.functions ?? []) functions.set(f, capability);
  }
  return { tables, functions, exceptions: list.exceptions };
}

const LOOKS_LIKE_SQL = /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|FROM|JOIN)\b|^\s*(select|insert|update|delete|with)\s/;
const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
// A relation after FROM/JOIN/INTO/UPDATE/USING/TABLE/REFERENCES, then more of a comma list ("FROM a x, b y").
const RELATION = new RegExp(`\\b(?:FROM|JOIN|INTO|UPDATE|USING|TABLE|REFERENCES)\\s+(?:ONLY\\s+)?(${IDENT})((?:\\s+(?:AS\\s+)?${IDENT})?(?:\\s*,\\s*${IDENT}(?:\\s+(?:AS\\s+)?${IDENT})?)*)`, 'gi');
const LIST_ITEM = new RegExp(`,\\s*(${IDENT})`, 'g');
const CALL = new RegExp(`\\b(${IDENT})\\s*\\(`, 'g');

/** The tables and functions a piece of SQL names (any, owned or not). */
export function namesInSql(sql) {
  const found = new Set();
  if (!LOOKS_LIKE_SQL.test(sql)) return found;
  for (const m of sql.matchAll(RELATION)) {
    found.add(m[1].toLowerCase());
    for (const item of (m[2] ?? '').matchAll(LIST_ITEM)) found.add(item[1].toLowerCase());
  }
  for (const m of sql.matchAll(CALL)) found.add(m[1].toLowerCase());
  return found;
}

/** @type {import('eslint').Rule.RuleModule} */
export const tableOwnership = {
  meta: {
    type: 'problem',
    docs: { description: "A capability's SQL names only its own tables (server/src/store/table-owners.json)" },
    schema: [],
    messages: {
      foreign: "{{capability}} names {{name}}, which {{owner}} owns: ask {{owner}}'s interface, or list an explained exception in " + OWNERS_FILE,
      staleException: OWNERS_FILE + ' lists an exception for {{name}} in this file, which no longer names it: remove it',
    },
  },
  create(context) {
    const relative = path.relative(context.cwd, context.filename).split(path.sep).join('/');
    const capability = /^server\/src\/([^/]+)\//.exec(relative)?.[1];
    if (!capability) return {};
    const { tables, functions, exceptions } = readOwnership(path.join(context.cwd, OWNERS_FILE));
    const excepted = new Set(exceptions.filter((e) => e.file === relative).flatMap((e) => e.names));
    const used = new Set();

    function check(node, sql) {
      for (const name of namesInSql(sql)) {
        const owner = tables.get(name) ?? functions.get(name);
        if (!owner || owner === capability) continue;
        if (excepted.has(name)) used.add(name);
        else context.report({ node, messageId: 'foreign', data: { capability, name, owner } });
      }
    }
    return {
      Literal(node) {
        if (typeof node.value === 'string') check(node, node.value);
      },
      TemplateLiteral(node) {
        check(node, node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(' $0 '));
      },
      'Program:exit'(node) {
        for (const name of excepted) if (!used.has(name)) context.report({ node, messageId: 'staleException', data: { name } });
      },
    };
  },
};
