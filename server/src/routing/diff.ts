// A JSON-path diff of two rule set bodies: what an admin reviews before
// publishing or rolling back. Arrays are compared position by position, so
// inserting a filter shows as changes to the ones after it; that is how the
// evaluation order changes too.
import type { RuleDiffEntry } from '../../../shared/src/routing.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function diffJson(from: unknown, to: unknown, path = ''): RuleDiffEntry[] {
  if (Array.isArray(from) && Array.isArray(to)) {
    const out: RuleDiffEntry[] = [];
    for (let i = 0; i < Math.max(from.length, to.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= from.length) out.push({ path: p, op: 'added', to: to[i] });
      else if (i >= to.length) out.push({ path: p, op: 'removed', from: from[i] });
      else out.push(...diffJson(from[i], to[i], p));
    }
    return out;
  }
  if (isObject(from) && isObject(to)) {
    const out: RuleDiffEntry[] = [];
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const k of keys) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in from)) out.push({ path: p, op: 'added', to: to[k] });
      else if (!(k in to)) out.push({ path: p, op: 'removed', from: from[k] });
      else out.push(...diffJson(from[k], to[k], p));
    }
    return out;
  }
  return Object.is(from, to) ? [] : [{ path: path || '(root)', op: 'changed', from, to }];
}
