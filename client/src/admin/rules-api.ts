// The routing rule administration API as the console uses it.
import { api } from '../api/http.ts';
import type { DecisionView, RuleDiffEntry, RuleSet } from '../../../shared/src/routing.ts';

export interface RuleIssueView {
  path: string;
  code: string;
  message: string;
  severity: 'error' | 'warning';
}
export interface VersionView {
  region: string;
  version: number;
  status: 'draft' | 'published' | 'archived';
  body: RuleSet;
  createdBy: string | null;
  createdAt: string;
  publishedBy: string | null;
  publishedAt: string | null;
  comment: string | null;
}
export interface ChangeView {
  id: number;
  at: string;
  actorId: string | null;
  region: string;
  version: number | null;
  action: string;
  comment: string | null;
}

const base = (region: string) => `/api/routing/regions/${encodeURIComponent(region)}`;

export const rulesApi = {
  versions: (region: string) => api<{ publishedVersion: number | null; versions: VersionView[] }>('GET', `${base(region)}/rule-sets`),
  validate: (region: string, body: unknown) => api<{ ok: boolean; issues: RuleIssueView[] }>('POST', `${base(region)}/validate`, { body }),
  createDraft: (region: string, body: unknown, comment?: string) => api<VersionView & { issues: RuleIssueView[] }>('POST', `${base(region)}/rule-sets`, { body, comment }),
  updateDraft: (region: string, version: number, body: unknown, comment?: string) =>
    api<VersionView & { issues: RuleIssueView[] }>('PUT', `${base(region)}/rule-sets/${version}`, { body, comment }),
  publish: (region: string, version: number, comment?: string) => api<VersionView>('POST', `${base(region)}/rule-sets/${version}/publish`, { comment }),
  rollback: (region: string, version: number, comment?: string) => api<VersionView>('POST', `${base(region)}/rollback`, { version, comment }),
  diff: (region: string, from: number, to: number) => api<RuleDiffEntry[]>('GET', `${base(region)}/diff?from=${from}&to=${to}`),
  changes: (region: string) => api<ChangeView[]>('GET', `${base(region)}/changes`),
  simulate: (region: string, input: unknown) => api<{ decision: DecisionView }>('POST', `${base(region)}/simulate`, input),
};

/** `filters[2].steps[0].select.team` → ['filters', 2, 'steps', 0, 'select', 'team'] */
export function pathParts(path: string): (string | number)[] {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export function issuesAt(issues: RuleIssueView[], prefix: (string | number)[], exact = false): RuleIssueView[] {
  return issues.filter((i) => {
    const parts = pathParts(i.path);
    if (exact && parts.length !== prefix.length && !(parts.length === prefix.length + 1)) return false;
    return prefix.every((p, k) => parts[k] === p);
  });
}
