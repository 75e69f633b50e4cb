// The routing rule editor of one region: a structured editor for filters and
// steps with the JSON beside it, validation shown at the field it concerns,
// simulation, the diff against the published version, publishing with a
// comment, and the history with rollback.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, errorMessage } from '../api/http.ts';
import { DEFAULT_RULE_SET } from '../../../shared/src/default-rules.ts';
import { RELATIONS, REQUEST_TYPES, ROUTING_MESSAGES, STRATEGIES, type Filter, type FinalAction, type RuleDiffEntry, type RuleSet, type Step } from '../../../shared/src/routing.ts';
import { ROLES } from '../../../shared/src/directory.ts';
import { formatTime, language, localName, t, textOr } from '../i18n/index.ts';
import { stepName } from '../i18n/words.ts';
import { issuesAt, rulesApi, type ChangeView, type RuleIssueView, type VersionView } from './rules-api.ts';
import { SimulationPanel } from './Simulation.tsx';
import { ErrorText, PersonName } from '../components/common.tsx';

interface TeamRef {
  id: string;
  nameFi: string;
  nameSv: string;
  organisationId: string;
}

export function RulesEditor({ region }: { region: string }) {
  const [versions, setVersions] = useState<VersionView[]>([]);
  const [published, setPublished] = useState<number | null>(null);
  const [working, setWorking] = useState<RuleSet>();
  const [draftVersion, setDraftVersion] = useState<number>();
  const [issues, setIssues] = useState<RuleIssueView[]>([]);
  const [json, setJson] = useState('');
  const [jsonError, setJsonError] = useState('');
  const [teams, setTeams] = useState<TeamRef[]>([]);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [comment, setComment] = useState('');
  const [diff, setDiff] = useState<RuleDiffEntry[]>();
  const [changes, setChanges] = useState<ChangeView[]>([]);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    const r = await rulesApi.versions(region);
    setVersions(r.versions);
    setPublished(r.publishedVersion);
    const draft = r.versions.find((v) => v.status === 'draft');
    const current = r.versions.find((v) => v.version === r.publishedVersion);
    const start = draft?.body ?? current?.body ?? { ...structuredClone(DEFAULT_RULE_SET), region };
    setDraftVersion(draft?.version);
    edit(start);
    setChanges(await rulesApi.changes(region).catch(() => []));
  };
  useEffect(() => {
    setDiff(undefined);
    setMessage('');
    setError('');
    void load().catch((err: unknown) => setError(errorMessage(err)));
    api<TeamRef[]>('GET', '/api/teams').then(setTeams, () => undefined);
  }, [region]);

  // Validation as the admin edits: every problem with its JSON path.
  useEffect(() => {
    if (!working) return;
    const timer = setTimeout(() => {
      rulesApi.validate(region, working).then(
        (r) => setIssues(r.issues),
        (err: unknown) => setIssues(err instanceof ApiError && Array.isArray(err.details) ? asIssues(err.details) : []),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [working]);

  function edit(next: RuleSet): void {
    setWorking(next);
    setJson(JSON.stringify(next, null, 2));
    setJsonError('');
  }

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError('');
    setMessage('');
    try {
      await what();
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.details)) setIssues(asIssues(err.details));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  /** Saves the working copy as the region's draft; returns its version. */
  const save = async (): Promise<number> => {
    const saved = draftVersion ? await rulesApi.updateDraft(region, draftVersion, working, comment || undefined) : await rulesApi.createDraft(region, working, comment || undefined);
    setDraftVersion(saved.version);
    setIssues(saved.issues);
    return saved.version;
  };

  const errors = issues.filter((i) => i.severity === 'error');
  const teamName = (id: string) => {
    const team = teams.find((x) => x.id === id);
    return team ? localName(team) : id;
  };

  if (!working) return <p role="status">{t('app.loading')}</p>;
  return (
    <div class="rules">
      <p>
        {published ? t('rules.published', { version: published }) : t('rules.nonePublished')}
        {draftVersion && <> · {t('rules.draft', { version: draftVersion })}</>}
      </p>
      <ErrorText message={error} />
      {message && (
        <p class="ok-text" role="status">
          {message}
        </p>
      )}
      <p class={errors.length ? 'field-error' : 'ok-text'} aria-live="polite">
        {errors.length ? t('rules.problems', { n: errors.length }) : t('rules.valid')}
      </p>
      {issuesAt(issues, []).filter((i) => !/^filters\[\d+\]/.test(i.path)).map((i) => (
        <p class="field-error">{ruleIssueText(i)}</p>
      ))}
      <SimulationPanel region={region} prepare={save} teamName={teamName} />
      <div class="rules-grid">
        <div class="structured">
          {working.filters.map((f, i) => (
            <FilterEditor
              key={`${i}-${f.id}`}
              filter={f}
              index={i}
              count={working.filters.length}
              issues={issuesAt(issues, ['filters', i])}
              teams={teams}
              teamName={teamName}
              onChange={(nf) => edit({ ...working, filters: working.filters.map((x, k) => (k === i ? nf : x)) })}
              onRemove={() => edit({ ...working, filters: working.filters.filter((_, k) => k !== i) })}
              onMove={(d) => edit({ ...working, filters: move(working.filters, i, d) })}
            />
          ))}
          <button type="button" onClick={() => edit({ ...working, filters: [...working.filters, { id: `filter-${working.filters.length + 1}`, name: t('rules.newFilter'), match: {}, steps: [] }] })}>
            {t('rules.addFilter')}
          </button>
        </div>
        <div class="json">
          <label for="rules-json">{t('rules.json')}</label>
          <textarea
            id="rules-json"
            spellcheck={false}
            rows={30}
            value={json}
            aria-invalid={jsonError ? 'true' : 'false'}
            aria-describedby="rules-json-error"
            onInput={(e) => {
              const text = e.currentTarget.value;
              setJson(text);
              try {
                setWorking(JSON.parse(text) as RuleSet);
                setJsonError('');
              } catch (err) {
                setJsonError((err as Error).message);
              }
            }}
          />
          <p id="rules-json-error" class="field-error">
            {jsonError}
          </p>
        </div>
      </div>

      <section aria-labelledby="publish-title" class="panel">
        <h3 id="publish-title">{t('rules.publishTitle')}</h3>
        <label for="rules-comment">{t('rules.comment')}</label>
        <input id="rules-comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => run(async () => (await save(), setMessage(t('rules.saved'))))}>
            {t('rules.save')}
          </button>
          <button
            type="button"
            disabled={busy || !published}
            onClick={() =>
              run(async () => {
                const v = await save();
                setDiff(await rulesApi.diff(region, published!, v));
              })
            }
          >
            {t('rules.diff')}
          </button>
          <button
            type="button"
            class="primary"
            disabled={busy || errors.length > 0}
            onClick={() =>
              run(async () => {
                const v = await save();
                await rulesApi.publish(region, v, comment || undefined);
                setComment('');
                setDiff(undefined);
                await load();
                setMessage(t('rules.publishedNow', { version: v }));
              })
            }
          >
            {t('rules.publish')}
          </button>
        </div>
        {diff && (
          <div aria-live="polite">
            <h4>{t('rules.diffTitle', { version: published ?? 0 })}</h4>
            {diff.length === 0 ? (
              <p class="empty">{t('rules.noDiff')}</p>
            ) : (
              <ul class="diff">
                {diff.map((d) => (
                  <li class={`diff-${d.op}`}>
                    <code>{d.path}</code> {t(`rules.op.${d.op}`)}: {d.from !== undefined && <del>{short(d.from)}</del>} {d.to !== undefined && <ins>{short(d.to)}</ins>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </section>

      <section aria-labelledby="history-title" class="panel">
        <h3 id="history-title">{t('rules.history')}</h3>
        <table class="history">
          <caption class="visually-hidden">{t('rules.history')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('rules.when')}</th>
              <th scope="col">{t('rules.who')}</th>
              <th scope="col">{t('rules.what')}</th>
              <th scope="col">{t('rules.comment')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('rules.rollback')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {changes.map((c) => (
              <tr>
                <td>{formatTime(c.at)}</td>
                <td>{c.actorId ? <PersonName staffId={c.actorId} /> : '—'}</td>
                <td>
                  {textOr(`rules.action.${c.action}`, 'rules.action.other')} {c.version !== null && `v${c.version}`}
                </td>
                <td>{c.comment ?? ''}</td>
                <td>
                  {(c.action === 'published' || c.action === 'rolled_back') && c.version !== null && c.version !== published && versions.some((v) => v.version === c.version) && (
                    <button type="button" disabled={busy} onClick={() => run(async () => (await rulesApi.rollback(region, c.version!, comment || undefined), await load(), setMessage(t('rules.rolledBack', { version: c.version! }))))}>
                      {t('rules.rollbackTo', { version: c.version })}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

/** A rule problem in the reader's language, by its code (the server's message is for developers). */
function ruleIssueText(issue: RuleIssueView): string {
  return Object.hasOwn(ROUTING_MESSAGES, issue.code) ? ROUTING_MESSAGES[issue.code][language.value] : t('rules.issueOther');
}

/** Problems the server answered with a 4xx ({path, message}) as rule issues. */
function asIssues(details: unknown[]): RuleIssueView[] {
  return (details as Partial<RuleIssueView>[]).map((i) => ({ path: i.path ?? '', message: i.message ?? '', code: i.code ?? 'routing.rule.schema', severity: i.severity ?? 'error' }));
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function move<T>(list: T[], i: number, d: -1 | 1): T[] {
  const j = i + d;
  if (j < 0 || j >= list.length) return list;
  const copy = [...list];
  [copy[i], copy[j]] = [copy[j], copy[i]];
  return copy;
}

function IssueList({ issues, id }: { issues: RuleIssueView[]; id: string }) {
  if (!issues.length) return null;
  return (
    <ul id={id} class="issues">
      {issues.map((i) => (
        <li class={i.severity === 'error' ? 'field-error' : 'warning'}>{ruleIssueText(i)}</li>
      ))}
    </ul>
  );
}

function FilterEditor(props: {
  filter: Filter;
  index: number;
  count: number;
  issues: RuleIssueView[];
  teams: TeamRef[];
  teamName: (id: string) => string;
  onChange(f: Filter): void;
  onRemove(): void;
  onMove(d: -1 | 1): void;
}) {
  const { filter: f, index: i, issues } = props;
  const id = `f${i}`;
  const set = (patch: Partial<Filter>) => props.onChange({ ...f, ...patch });
  const match = f.match;
  const own = issues.filter((x) => !/^filters\[\d+\]\.steps\[\d+\]/.test(x.path));
  return (
    <fieldset class="filter" aria-describedby={own.length ? `${id}-issues` : undefined}>
      <legend>
        {t('rules.filter', { n: i + 1 })}: {f.name}
      </legend>
      <IssueList issues={own} id={`${id}-issues`} />
      <div class="row">
        <label for={`${id}-id`}>{t('rules.id')}</label>
        <input id={`${id}-id`} value={f.id} onChange={(e) => set({ id: e.currentTarget.value })} />
        <label for={`${id}-name`}>{t('rules.name')}</label>
        <input id={`${id}-name`} value={f.name} onChange={(e) => set({ name: e.currentTarget.value })} />
      </div>
      <details>
        <summary>{t('rules.match')}</summary>
        <label for={`${id}-urgency`}>{t('request.urgency')}</label>
        <select id={`${id}-urgency`} value={match.urgency ?? ''} onChange={(e) => set({ match: { ...match, urgency: (e.currentTarget.value || undefined) as 'urgent' | undefined } })}>
          <option value="">{t('rules.any')}</option>
          <option value="urgent">{t('urgency.urgent')}</option>
          <option value="normal">{t('urgency.normal')}</option>
        </select>
        <label for={`${id}-kind`}>{t('rules.requesterKind')}</label>
        <select
          id={`${id}-kind`}
          value={match.requesterOrganisationKind ?? ''}
          onChange={(e) => set({ match: { ...match, requesterOrganisationKind: (e.currentTarget.value || undefined) as 'kela' | undefined } })}
        >
          <option value="">{t('rules.any')}</option>
          <option value="kela">Kela</option>
          <option value="county">{t('rules.county')}</option>
        </select>
        <label for={`${id}-nd`}>{t('rules.nonDisclosure')}</label>
        <select
          id={`${id}-nd`}
          value={match.nonDisclosure === undefined ? '' : String(match.nonDisclosure)}
          onChange={(e) => set({ match: { ...match, nonDisclosure: e.currentTarget.value === '' ? undefined : e.currentTarget.value === 'true' } })}
        >
          <option value="">{t('rules.any')}</option>
          <option value="true">{t('rules.yes')}</option>
          <option value="false">{t('rules.no')}</option>
        </select>
        <fieldset>
          <legend>{t('request.type')}</legend>
          {REQUEST_TYPES.map((rt) => (
            <label class="inline">
              <input
                type="checkbox"
                checked={match.requestTypes?.includes(rt) ?? false}
                onChange={(e) => {
                  const list = e.currentTarget.checked ? [...(match.requestTypes ?? []), rt] : (match.requestTypes ?? []).filter((x) => x !== rt);
                  set({ match: { ...match, requestTypes: list.length ? list : undefined } });
                }}
              />
              {t(`type.${rt}`)}
            </label>
          ))}
        </fieldset>
      </details>
      <h4>{t('rules.steps')}</h4>
      <ol class="steps">
        {f.steps.map((s, j) => (
          <li key={`${j}-${s.id}`}>
            <StepEditor
              step={s}
              id={`${id}s${j}`}
              label={t('rules.step', { n: j + 1 })}
              issues={issuesAt(issues, ['filters', i, 'steps', j])}
              teams={props.teams}
              onChange={(ns) => set({ steps: f.steps.map((x, k) => (k === j ? ns : x)) })}
              onRemove={() => set({ steps: f.steps.filter((_, k) => k !== j) })}
              onMove={(d) => set({ steps: move(f.steps, j, d) })}
            />
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => set({ steps: [...f.steps, { id: `step-${f.steps.length + 1}`, select: { relation: 'named_worker' }, strategy: 'simultaneous', ringTimeoutSeconds: 30 }] })}>
        {t('rules.addStep')}
      </button>
      <FinalEditor id={`${id}-final`} final={f.final} teams={props.teams} issues={issuesAt(issues, ['filters', i, 'final'])} onChange={(final) => set({ final })} />
      <div class="actions">
        <button type="button" disabled={i === 0} onClick={() => props.onMove(-1)}>
          {t('rules.up')}
        </button>
        <button type="button" disabled={i === props.count - 1} onClick={() => props.onMove(1)}>
          {t('rules.down')}
        </button>
        <button type="button" onClick={props.onRemove}>
          {t('rules.removeFilter')}
        </button>
      </div>
    </fieldset>
  );
}

type SelectorKind = 'relation' | 'team' | 'role' | 'segment';
const selectorKind = (s: Step['select']): SelectorKind => ('relation' in s ? 'relation' : 'team' in s ? 'team' : 'role' in s ? 'role' : 'segment');

function StepEditor(props: { step: Step; id: string; label: string; issues: RuleIssueView[]; teams: TeamRef[]; onChange(s: Step): void; onRemove(): void; onMove(d: -1 | 1): void }) {
  const { step: s, id, issues } = props;
  const set = (patch: Partial<Step>) => props.onChange({ ...s, ...patch });
  const kind = selectorKind(s.select);
  const value = Object.values(s.select)[0] as string;
  const selectIssues = issues.filter((x) => /\.select/.test(x.path));
  const describedBy = issues.length ? `${id}-issues` : undefined;
  const knownTeam = kind !== 'team' || props.teams.some((tm) => tm.id === value);
  const teamsByOrg = useMemo(() => [...props.teams].sort((a, b) => a.organisationId.localeCompare(b.organisationId) || localName(a).localeCompare(localName(b))), [props.teams, language.value]);
  return (
    <fieldset class={`step ${issues.some((x) => x.severity === 'error') ? 'has-error' : ''}`} aria-describedby={describedBy}>
      <legend>
        {props.label}: {kind !== 'team' ? stepName(s.select) : knownTeam ? localName(props.teams.find((tm) => tm.id === value)!) : `${value} (${t('rules.unknownTeam')})`}
      </legend>
      <IssueList issues={issues} id={`${id}-issues`} />
      <div class="row">
        <label for={`${id}-id`}>{t('rules.id')}</label>
        <input id={`${id}-id`} value={s.id} onChange={(e) => set({ id: e.currentTarget.value })} />
        <label for={`${id}-kind`}>{t('rules.selector')}</label>
        <select
          id={`${id}-kind`}
          value={kind}
          onChange={(e) => {
            const k = e.currentTarget.value as SelectorKind;
            set({ select: k === 'relation' ? { relation: 'named_worker' } : k === 'team' ? { team: props.teams[0]?.id ?? '' } : k === 'role' ? { role: 'on_call' } : { segment: 'toimeentulotuki' } });
          }}
        >
          {(['relation', 'team', 'role', 'segment'] as const).map((k) => (
            <option value={k}>{t(`rules.selector.${k}`)}</option>
          ))}
        </select>
        <label for={`${id}-value`}>{t(`rules.selector.${kind}`)}</label>
        {kind === 'relation' && (
          <select id={`${id}-value`} value={value} aria-describedby={selectIssues.length ? `${id}-issues` : undefined} onChange={(e) => set({ select: { relation: e.currentTarget.value as Step['select'] extends { relation: infer R } ? R : never } })}>
            {RELATIONS.map((r) => (
              <option value={r}>{t(`relation.${r}`)}</option>
            ))}
          </select>
        )}
        {kind === 'team' && (
          <select id={`${id}-value`} value={value} aria-invalid={!knownTeam || selectIssues.length > 0 ? 'true' : 'false'} aria-describedby={selectIssues.length ? `${id}-issues` : undefined} onChange={(e) => set({ select: { team: e.currentTarget.value } })}>
            {!knownTeam && <option value={value}>{value} ({t('rules.unknownTeam')})</option>}
            {teamsByOrg.map((tm) => (
              <option value={tm.id}>
                {localName(tm)} ({tm.organisationId})
              </option>
            ))}
          </select>
        )}
        {kind === 'role' && (
          <select id={`${id}-value`} value={value} onChange={(e) => set({ select: { role: e.currentTarget.value as (typeof ROLES)[number] } })}>
            {ROLES.map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        )}
        {kind === 'segment' && <input id={`${id}-value`} value={value} aria-describedby={selectIssues.length ? `${id}-issues` : undefined} onChange={(e) => set({ select: { segment: e.currentTarget.value } })} />}
      </div>
      <div class="row">
        <label for={`${id}-strategy`}>{t('rules.strategy')}</label>
        <select id={`${id}-strategy`} value={s.strategy} onChange={(e) => set({ strategy: e.currentTarget.value as Step['strategy'] })}>
          {STRATEGIES.map((st) => (
            <option value={st}>{t(`rules.strategy.${st}`)}</option>
          ))}
        </select>
        <label for={`${id}-timeout`}>{t('rules.timeout')}</label>
        <input id={`${id}-timeout`} type="number" min={5} max={600} value={s.ringTimeoutSeconds} onChange={(e) => set({ ringTimeoutSeconds: Number(e.currentTarget.value) })} />
        <label class="inline">
          <input type="checkbox" checked={s.constraints?.ringBusy ?? false} onChange={(e) => set({ constraints: { ...s.constraints, ringBusy: e.currentTarget.checked || undefined } })} /> {t('rules.ringBusy')}
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={s.constraints?.requireOpenHours ?? true}
            onChange={(e) => set({ constraints: { ...s.constraints, requireOpenHours: e.currentTarget.checked ? undefined : false } })}
          />{' '}
          {t('rules.openHours')}
        </label>
      </div>
      <div class="actions">
        <button type="button" onClick={() => props.onMove(-1)}>
          {t('rules.up')}
        </button>
        <button type="button" onClick={() => props.onMove(1)}>
          {t('rules.down')}
        </button>
        <button type="button" onClick={props.onRemove}>
          {t('rules.removeStep')}
        </button>
      </div>
    </fieldset>
  );
}

function FinalEditor(props: { id: string; final: FinalAction | undefined; teams: TeamRef[]; issues: RuleIssueView[]; onChange(f: FinalAction | undefined): void }) {
  const { id, final } = props;
  const action = final?.action ?? 'callback';
  return (
    <fieldset class="final">
      <legend>{t('rules.final')}</legend>
      <IssueList issues={props.issues} id={`${id}-issues`} />
      <label for={`${id}-action`}>{t('rules.finalAction')}</label>
      <select
        id={`${id}-action`}
        value={action}
        onChange={(e) => {
          const a = e.currentTarget.value;
          props.onChange(a === 'callback' ? { action: 'callback', dueWorkingDays: 1 } : a === 'urgent_queue' ? { action: 'urgent_queue' } : { action: 'refuse', reason: { fi: '…', sv: '…', en: '…' } });
        }}
      >
        <option value="callback">{t('rules.final.callback')}</option>
        <option value="urgent_queue">{t('rules.final.urgent_queue')}</option>
        <option value="refuse">{t('rules.final.refuse')}</option>
      </select>
      {final?.action === 'callback' && (
        <>
          <label for={`${id}-days`}>{t('rules.dueWorkingDays')}</label>
          <input id={`${id}-days`} type="number" min={1} max={30} value={final.dueWorkingDays ?? 1} onChange={(e) => props.onChange({ ...final, dueWorkingDays: Number(e.currentTarget.value), dueHours: undefined })} />
          <label for={`${id}-owner`}>{t('rules.ownerTeam')}</label>
          <select id={`${id}-owner`} value={final.ownerTeamId ?? ''} onChange={(e) => props.onChange({ ...final, ownerTeamId: e.currentTarget.value || undefined })}>
            <option value="">{t('rules.lastTeam')}</option>
            {props.teams.map((tm) => (
              <option value={tm.id}>
                {localName(tm)} ({tm.organisationId})
              </option>
            ))}
          </select>
        </>
      )}
      {final?.action === 'refuse' && (
        <>
          {(['fi', 'sv', 'en'] as const).map((l) => (
            <>
              <label for={`${id}-reason-${l}`}>{t('rules.reason', { lang: l })}</label>
              <input id={`${id}-reason-${l}`} value={final.reason[l]} onChange={(e) => props.onChange({ ...final, reason: { ...final.reason, [l]: e.currentTarget.value } })} />
            </>
          ))}
        </>
      )}
    </fieldset>
  );
}
