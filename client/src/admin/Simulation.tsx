// "For this client and this request": on a made-up client profile (no client
// record is read) or, for rule verification with a reason, a real client.
// Each step's candidates, who is left out
// and why (absent, outside hours, offline, wrong language), and what happens if
// nobody answers — on the rules being edited, before they are published.
import { useEffect, useState } from 'preact/hooks';
import { allOrganisations, type OrganisationView } from '../api/directory.ts';
import type { MunicipalityView } from '../../../shared/src/directory.ts';
import { EMERGENCY_REASON_MIN } from '../../../shared/src/directory.ts';
import { session } from '../state.ts';
import { api, errorMessage } from '../api/http.ts';
import { validateHetu } from '../../../shared/src/hetu.ts';
import { REQUEST_TYPES, type DecisionView } from '../../../shared/src/routing.ts';
import { language, localName, t } from '../i18n/index.ts';
import { exclusionText, explain } from '../i18n/words.ts';
import { rulesApi } from './rules-api.ts';
import { ErrorText } from '../components/common.tsx';

/** The made-up client's fields, as typed; nothing here names a real person. */
interface Profile {
  municipalityCode: string;
  language: string;
  segments: string;
  nonDisclosure: boolean;
  applicationHandlerId: string;
  namedWorkerIds: string;
}

const list = (s: string) => s.split(/[\s,]+/).filter(Boolean);

export function SimulationPanel(props: { region: string; prepare(): Promise<number>; teamName(id: string): string }) {
  // A made-up client by default: a simulation reads no client record.
  const [clientKind, setClientKind] = useState<'profile' | 'real'>('profile');
  const [profile, setProfile] = useState<Profile>({ municipalityCode: '', language: 'fi', segments: '', nonDisclosure: false, applicationHandlerId: '', namedWorkerIds: '' });
  const [municipalities, setMunicipalities] = useState<MunicipalityView[]>([]);
  const [hetu, setHetu] = useState('');
  const [reason, setReason] = useState('');
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
    api<MunicipalityView[]>('GET', '/api/municipalities').then((list) => {
      setMunicipalities(list);
      // The region's own municipalities first, when the region is a county.
      const own = list.find((m) => m.countyId === props.region) ?? list[0];
      if (own) setProfile((p) => ({ ...p, municipalityCode: p.municipalityCode || own.code }));
    }, () => undefined);
  }, [props.region]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const check = hetu ? validateHetu(hetu) : undefined;
  const set = <K extends keyof Profile>(key: K, value: Profile[K]) => setProfile((p) => ({ ...p, [key]: value }));

  const clientInput = () =>
    clientKind === 'profile'
      ? {
          kind: 'profile',
          municipalityCode: profile.municipalityCode,
          language: profile.language,
          segments: list(profile.segments),
          nonDisclosure: profile.nonDisclosure,
          ...(profile.applicationHandlerId.trim() ? { applicationHandlerId: profile.applicationHandlerId.trim() } : {}),
          namedWorkers: list(profile.namedWorkerIds).map((staffId) => ({ staffId, kind: 'omatyontekija' })),
        }
      : { kind: 'real', hetu: check?.valid ? check.hetu : hetu, purpose: 'rule_verification', reason };

  const simulate = async (e: Event) => {
    e.preventDefault();
    if (clientKind === 'real' && !check?.valid) return setError(t('request.invalid'));
    if (clientKind === 'real' && reason.trim().length < EMERGENCY_REASON_MIN) return setError(t('sim.reasonShort', { n: EMERGENCY_REASON_MIN }));
    setBusy(true);
    setError('');
    setDecision(undefined);
    try {
      const version = await props.prepare();
      const r = await rulesApi.simulate(props.region, { client: clientInput(), request: { type, urgency }, version, ...(requesterOrg ? { requesterOrganisationId: requesterOrg } : {}), ...(at ? { at: new Date(at).toISOString() } : {}) });
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
        <fieldset class="sim-client">
          <legend>{t('sim.client')}</legend>
          <label>
            <input type="radio" name="sim-client-kind" checked={clientKind === 'profile'} onChange={() => setClientKind('profile')} /> {t('sim.profile')}
          </label>
          <label>
            <input type="radio" name="sim-client-kind" checked={clientKind === 'real'} onChange={() => setClientKind('real')} /> {t('sim.realClient')}
          </label>
          {clientKind === 'profile' ? (
            <>
              <label for="sim-municipality">{t('sim.municipality')}</label>
              <select id="sim-municipality" value={profile.municipalityCode} onChange={(e) => set('municipalityCode', e.currentTarget.value)}>
                {municipalities.map((m) => (
                  <option value={m.code}>{localName(m)}</option>
                ))}
              </select>
              <label for="sim-language">{t('sim.language')}</label>
              <select id="sim-language" value={profile.language} onChange={(e) => set('language', e.currentTarget.value)}>
                {['fi', 'sv', 'en', 'se'].map((l) => (
                  <option value={l}>{l}</option>
                ))}
              </select>
              <label for="sim-segments">{t('sim.segments')}</label>
              <input id="sim-segments" value={profile.segments} spellcheck={false} onInput={(e) => set('segments', e.currentTarget.value)} />
              <label for="sim-handler">{t('sim.handler')}</label>
              <input id="sim-handler" value={profile.applicationHandlerId} spellcheck={false} onInput={(e) => set('applicationHandlerId', e.currentTarget.value)} />
              <label for="sim-named-workers">{t('sim.namedWorkers')}</label>
              <input id="sim-named-workers" value={profile.namedWorkerIds} spellcheck={false} onInput={(e) => set('namedWorkerIds', e.currentTarget.value)} />
              <label>
                <input id="sim-non-disclosure" type="checkbox" checked={profile.nonDisclosure} onChange={(e) => set('nonDisclosure', e.currentTarget.checked)} /> {t('sim.nonDisclosure')}
              </label>
            </>
          ) : (
            <>
              <p class="hint">{t('sim.realHint')}</p>
              <label for="sim-hetu">{t('request.hetu')}</label>
              <input id="sim-hetu" value={hetu} spellcheck={false} onInput={(e) => setHetu(e.currentTarget.value.toUpperCase())} />
              <label for="sim-reason">{t('sim.reason')}</label>
              <input id="sim-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </>
          )}
        </fieldset>
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
                {explain(s.explanation, s.select)}
                {s.candidates.length > 0 && (
                  <ul>
                    {s.candidates.map((c) => (
                      <li class="rings">
                        {t('sim.rings', { name: c.displayName })}
                        {c.standInFor && <> — {t('request.standIn', { name: c.standInFor.displayName })}</>}
                      </li>
                    ))}
                  </ul>
                )}
                {s.excluded.length > 0 && (
                  <ul>
                    {s.excluded.map((x) => (
                      <li class="excluded">
                        {t('sim.excluded', { name: x.displayName })}: {exclusionText(x)}
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
