// Validation of a rule set beyond its schema: references checked against the
// directory, duplicate ids, filters that can never match, steps that select
// nobody. Each issue names its JSON path (`filters[2].steps[0].select.team`).
import { DEFAULT_REGION, ruleSet as ruleSetSchema, type FilterMatch, type RuleIssue, type RuleSet } from '../../../shared/src/routing.ts';
import type { Directory } from '../directory/index.ts';

export interface ValidationResult {
  ok: boolean;
  issues: RuleIssue[];
  /** The parsed rule set, when it passed the schema. */
  ruleSet?: RuleSet;
}

/** Zod path ['filters', 2, 'steps', 0] → `filters[2].steps[0]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

const err = (path: string, code: string, message: string): RuleIssue => ({ path, code: `routing.rule.${code}`, message, severity: 'error' });
const warn = (path: string, code: string, message: string): RuleIssue => ({ path, code: `routing.rule.${code}`, message, severity: 'warning' });

/** Schema first; when that passes, the semantic checks. `ok` means no errors (warnings allowed). */
export function validateRuleSet(directory: Directory, input: unknown): ValidationResult {
  const parsed = ruleSetSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => err(jsonPath(i.path) || '(root)', 'schema', i.message));
    return { ok: false, issues };
  }
  const issues = semanticIssues(directory, parsed.data);
  return { ok: !issues.some((i) => i.severity === 'error'), issues, ruleSet: parsed.data };
}

function semanticIssues(directory: Directory, rs: RuleSet): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const orgs = new Map(directory.organisationIds().map((id) => [id, directory.organisationKind(id)]));
  const activeMembers = (team: string) => directory.teamMembers(team).filter((id) => directory.staff(id)?.active).length;

  if (rs.region !== DEFAULT_REGION) {
    const kind = orgs.get(rs.region);
    if (!kind) issues.push(err('region', 'unknown_organisation', `unknown organisation ${rs.region}`));
    else if (kind !== 'county' && kind !== 'kela_district')
      issues.push(err('region', 'bad_region', `a region is a county or a Kela district, not ${kind}`));
  }

  const filterIds = new Map<string, number>();
  for (const [fi, f] of rs.filters.entries()) {
    const fp = `filters[${fi}]`;
    if (filterIds.has(f.id)) issues.push(err(`${fp}.id`, 'duplicate_id', `filter id ${f.id} is already used by filters[${filterIds.get(f.id)}]`));
    else filterIds.set(f.id, fi);

    for (const [ci, county] of (f.match.counties ?? []).entries()) {
      if (orgs.get(county) !== 'county') issues.push(err(`${fp}.match.counties[${ci}]`, 'unknown_organisation', `unknown county ${county}`));
    }
    for (const [mi, code] of (f.match.municipalities ?? []).entries()) {
      if (!directory.hasMunicipality(code)) issues.push(err(`${fp}.match.municipalities[${mi}]`, 'unknown_municipality', `unknown municipality ${code}`));
    }
    if (f.match.nonDisclosure === true && f.match.municipalities)
      issues.push(err(`${fp}.match.municipalities`, 'non_disclosure_municipality', 'a non-disclosure filter cannot depend on the municipality'));

    if (!f.steps.length && !f.final) issues.push(err(`${fp}.steps`, 'empty_filter', 'a filter needs at least one step or a final action'));

    const stepIds = new Map<string, number>();
    const selectors = new Map<string, number>();
    for (const [si, s] of f.steps.entries()) {
      const sp = `${fp}.steps[${si}]`;
      if (stepIds.has(s.id)) issues.push(err(`${sp}.id`, 'duplicate_id', `step id ${s.id} is already used by steps[${stepIds.get(s.id)}] of this filter`));
      else stepIds.set(s.id, si);
      // The same people under the same constraints were all listed or left out by the earlier step.
      const selector = canonical({ select: s.select, constraints: s.constraints ?? {} });
      if (selectors.has(selector))
        issues.push(err(`${sp}.select`, 'unreachable_step', `unreachable: steps[${selectors.get(selector)}] selects the same people under the same constraints`));
      else selectors.set(selector, si);
      const sel = s.select;
      if ('team' in sel) {
        if (!directory.teamHours(sel.team)) issues.push(err(`${sp}.select.team`, 'unknown_team', `unknown team ${sel.team}`));
        else if (activeMembers(sel.team) === 0) issues.push(err(`${sp}.select.team`, 'empty_selector', `team ${sel.team} has no active members`));
      } else if ('relation' in sel) {
        if (f.match.nonDisclosure === true && sel.relation === 'municipality_liaison')
          issues.push(err(`${sp}.select.relation`, 'non_disclosure_municipality', 'a non-disclosure filter cannot select by the municipality'));
        // The county's contact persons would learn where a turvakielto client lives.
        if (f.match.nonDisclosure === true && sel.relation === 'county_contacts')
          issues.push(err(`${sp}.select.relation`, 'non_disclosure_location', 'a non-disclosure filter cannot select by the client’s county'));
      } else {
        const org = sel.organisation;
        if (org !== undefined && !orgs.has(org)) {
          issues.push(err(`${sp}.select.organisation`, 'unknown_organisation', `unknown organisation ${org}`));
          continue;
        }
        const scope = org !== undefined ? directory.organisationAndUnits(org) : [...directory.kelaOrganisations(), ...directory.organisationIds('county')];
        const found = 'role' in sel ? directory.staffWithRole(sel.role, scope) : directory.staffWithSegment(sel.segment, scope);
        if (!found.length) {
          const what = 'role' in sel ? `role ${sel.role}` : `segment ${sel.segment}`;
          if (org !== undefined) issues.push(err(`${sp}.select`, 'empty_selector', `nobody active has ${what} in ${org}`));
          else issues.push(warn(`${sp}.select`, 'empty_selector', `nobody active has ${what} anywhere yet`));
        }
      }
    }
    // The urgent queue is the client's county's: an item there would tell its on-call staff where a turvakielto client lives.
    if (f.match.nonDisclosure === true && f.final?.action === 'urgent_queue')
      issues.push(err(`${fp}.final.action`, 'non_disclosure_location', 'a non-disclosure filter cannot end in the county’s urgent queue'));
    if (f.final?.action === 'callback' && f.final.ownerTeamId !== undefined && !directory.teamHours(f.final.ownerTeamId))
      issues.push(err(`${fp}.final.ownerTeamId`, 'unknown_team', `unknown team ${f.final.ownerTeamId}`));

    // A filter is unreachable when an earlier one matches every request it matches.
    const shadow = rs.filters.slice(0, fi).findIndex((earlier) => covers(earlier.match, f.match));
    if (shadow >= 0) issues.push(err(fp, 'unreachable', `unreachable: filters[${shadow}] (${rs.filters[shadow].id}) matches every request this filter matches`));
  }
  return issues;
}

/** JSON with sorted keys, so equal selectors compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Non-disclosure clients meet only filters with nonDisclosure: true; everyone else only the others. */
function appliesToNonDisclosure(m: FilterMatch): boolean {
  return m.nonDisclosure === true;
}

/** Whether every request matched by `later` is also matched by `earlier`. */
export function covers(earlier: FilterMatch, later: FilterMatch): boolean {
  if (appliesToNonDisclosure(earlier) !== appliesToNonDisclosure(later)) return false;
  const listKeys = ['requestTypes', 'counties', 'municipalities', 'languages', 'segments'] as const;
  for (const k of listKeys) {
    const e = earlier[k] as string[] | undefined;
    if (!e) continue;
    const l = later[k] as string[] | undefined;
    if (!l || !l.every((v) => e.includes(v))) return false;
  }
  for (const k of ['urgency', 'requesterOrganisationKind'] as const) {
    if (earlier[k] !== undefined && earlier[k] !== later[k]) return false;
  }
  return true;
}
