// "For this client and this request": each step's candidates, who is left out
// and why (absent, outside hours, offline, wrong language), and what happens if
// nobody answers — on the rules being edited, before they are published.
import { useEffect, useState } from 'preact/hooks';
import { allOrganisations, type OrganisationView } from '../api/directory.ts';
import { session } from '../state.ts';
import { errorMessage } from '../api/http.ts';
import { validateHetu } from '../../../shared/src/hetu.ts';
import { REQUEST_TYPES, type DecisionView } from '../../../shared/src/routing.ts';
import { explain, language, localName, t } from '../i18n/index.ts';
import { rulesApi } from './rules-api.ts';
import { ErrorText } from '../components/common.tsx';

export function SimulationPanel(props: { region: string; prepare(): Promise<number>; teamName(id: string): string }) {
  const [hetu, setHetu] = useState('');
  const [type, setType] = useState<string>('konsultaatio');
  const [urgency, setUrgency] = useState('normal');
  const [decision, setDecision] = useState<DecisionView>();
  const [orgs, setOrgs] = useState<OrganisationView[]>([]);
  const [requesterOrg, setRequesterOrg] = useState('');
  const [at, setAt] = useState('');
  useEffect(() => {
    allOrganisations().then((list) => {
      setOrgs(list.filter((o) => o.kind !== 'kela'));
      // A county's rules are mostly about Kela asking; Kela's about a county asking.
      const mineKind = list.find((o) => o.id === session.value?.user.organisationId)?.kind;
      setRequesterOrg(list.find((o) => (mineKind === 'county' ? o.kind === 'kela_district' : o.kind === 'county'))?.id ?? '');
    }, () => undefined);
  }, []);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const check = hetu ? validateHetu(hetu) : undefined;

  const simulate = async (e: Event) => {
    e.preventDefault();
    if (!check?.valid) return setError(t('request.invalid'));
    setBusy(true);
    setError('');
    setDecision(undefined);
    try {
      const version = await props.prepare();
      const r = await rulesApi.simulate(props.region, { client: { hetu: check.hetu }, request: { type, urgency }, version, ...(requesterOrg ? { requesterOrganisationId: requesterOrg } : {}), ...(at ? { at: new Date(at).toISOString() } : {}) });
      setDecision(r.decision);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="sim-title" class="panel simulation">
      <h3 id="sim-title">{t('sim.title')}</h3>
      <form onSubmit={simulate} autocomplete="off" class="row">
        <label for="sim-hetu">{t('request.hetu')}</label>
        <input id="sim-hetu" value={hetu} spellcheck={false} onInput={(e) => setHetu(e.currentTarget.value.toUpperCase())} />
        <label for="sim-type">{t('request.type')}</label>
        <select id="sim-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          {REQUEST_TYPES.map((rt) => (
            <option value={rt}>{t(`type.${rt}`)}</option>
          ))}
        </select>
        <label for="sim-urgency">{t('request.urgency')}</label>
        <select id="sim-urgency" value={urgency} onChange={(e) => setUrgency(e.currentTarget.value)}>
          <option value="normal">{t('urgency.normal')}</option>
          <option value="urgent">{t('urgency.urgent')}</option>
        </select>
        <label for="sim-requester">{t('sim.requester')}</label>
        <select id="sim-requester" value={requesterOrg} onChange={(e) => setRequesterOrg(e.currentTarget.value)}>
          {orgs.map((o) => (
            <option value={o.id}>{localName(o)}</option>
          ))}
        </select>
        <label for="sim-at">{t('sim.at')}</label>
        <input id="sim-at" type="datetime-local" value={at} onInput={(e) => setAt(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy}>
          {t('sim.run')}
        </button>
      </form>
      <ErrorText message={error} />
      {decision && (
        <div class="sim-result" aria-live="polite">
          <p>
            <strong>{decision.filter ? t('sim.filter', { name: decision.filter.name, n: decision.filter.index + 1 }) : t('sim.noFilter')}</strong> · {explain(decision.explanation)}
          </p>
          <ol>
            {decision.steps.map((s) => (
              <li class={`sim-step ${s.skipped ? 'skipped' : ''}`}>
                <strong>{s.stepId}</strong>: {explain(s.explanation)}
                {s.candidates.length > 0 && (
                  <ul>
                    {s.candidates.map((c) => (
                      <li class="rings">
                        {t('sim.rings', { name: c.displayName })}
                        {c.standInFor && <> — {t('why.standIn', { name: c.standInFor.displayName })}</>}
                      </li>
                    ))}
                  </ul>
                )}
                {s.excluded.length > 0 && (
                  <ul>
                    {s.excluded.map((x) => (
                      <li class="excluded">
                        {t('sim.excluded', { name: x.displayName })}: {t(`excluded.${x.reason}` as never)}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
          <p>
            {t('sim.final')}: {decision.final.action === 'refuse' && decision.final.reason ? decision.final.reason[language.value] : explain(decision.final.explanation)}
            {decision.final.ownerTeamId && <> ({props.teamName(decision.final.ownerTeamId)})</>}
          </p>
        </div>
      )}
    </section>
  );
}
