// New request: a client identifier (checked as typed, check character
// included) or an application id, the request type, urgency with criteria,
// language and the legal basis for telling the counterpart who the client is.
// Then the routing progress live, with why each person rings; cancel, or leave
// a callback request whose note travels encrypted into its conference.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorMessage } from '../api/http.ts';
import type { LegalBasisView, RingRequestView, UrgencyCriterionView } from '../api/types.ts';
import { closedTeamsView, type ClosedTeamsView } from '../../../shared/src/ringing.ts';
import { validateHetu } from '../../../shared/src/hetu.ts';
import { REQUEST_TYPES } from '../../../shared/src/routing.ts';
import { formatOpening, formatTime, language, localName, organisationName, t } from '../i18n/index.ts';
import { exclusionText, explain, explainEvent, requestTypeName, stepName } from '../i18n/words.ts';
import { forgetRequestClient, rememberRequestClient } from '../conference/identity.ts';
import { queueCallbackNote } from '../conference/callback-notes.ts';
import { CallbackStatus } from '../components/CallbackStatus.tsx';
import { myRequests, navigate, upsertRequest } from '../state.ts';
import { ErrorText } from '../components/common.tsx';

export function NewRequestView({ requestId }: { requestId?: string }) {
  const request = requestId ? myRequests.value.find((r) => r.requestId === requestId) : undefined;
  return request ? <RequestProgress request={request} /> : <RequestForm />;
}

function RequestForm() {
  const [kind, setKind] = useState<'hetu' | 'application'>('hetu');
  const [hetu, setHetu] = useState('');
  const [applicationId, setApplicationId] = useState('');
  const [type, setType] = useState<string>('konsultaatio');
  const [urgency, setUrgency] = useState<'normal' | 'urgent'>('normal');
  const [criteria, setCriteria] = useState<string[]>([]);
  const [lang, setLang] = useState('');
  const [basis, setBasis] = useState('totul_18');
  const [bases, setBases] = useState<LegalBasisView[]>([]);
  const [allCriteria, setAllCriteria] = useState<UrgencyCriterionView[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  /** The counterpart is closed: shown before anything rings, with the requester's choices. */
  const [closed, setClosed] = useState<ClosedTeamsView | null>(null);

  useEffect(() => {
    api<{ bases: LegalBasisView[] }>('GET', '/api/legal-bases').then((r) => setBases(r.bases.filter((b) => b.allows.includes('identity'))), () => undefined);
    // Criteria are per county; before routing the client's county is unknown, so offer every county's.
    api<{ id: string; kind: string }[]>('GET', '/api/organisations')
      .then(async (orgs) => {
        const lists = await Promise.all(orgs.filter((o) => o.kind === 'county').map((o) => api<UrgencyCriterionView[]>('GET', `/api/urgent/regions/${o.id}/criteria`).catch(() => [])));
        const byCode = new Map(lists.flat().map((c) => [c.code, c]));
        setAllCriteria([...byCode.values()]);
      })
      .catch(() => undefined);
  }, []);

  const check = hetu ? validateHetu(hetu) : undefined;
  const hetuError = check && !check.valid && hetu.replace(/\s/g, '').length >= 11 ? t(`request.hetu.${check.reason}`) : '';

  const submit = (e: Event) => {
    e.preventDefault();
    return send('ask');
  };
  const send = async (whenClosed: 'ask' | 'callback') => {
    setError('');
    setClosed(null);
    if (kind === 'hetu' && !check?.valid) return setError(t('request.invalid'));
    setBusy(true);
    const requestId = crypto.randomUUID();
    const client = kind === 'hetu' ? { hetu: check!.valid ? check!.hetu : hetu } : { applicationId: applicationId.trim() };
    // Kept in memory to tell the counterpart inside the encrypted conference once they accept.
    await rememberRequestClient(requestId, client);
    try {
      const r = await api<RingRequestView>('POST', '/api/ringing/requests', {
        requestId,
        client,
        request: { type, urgency, ...(urgency === 'urgent' ? { criteria } : {}), ...(lang ? { language: lang } : {}) },
        basis,
        whenClosed,
      });
      // The identifier is not kept once the request is on its way.
      setHetu('');
      setApplicationId('');
      upsertRequest(r);
      navigate({ name: 'request', requestId: r.requestId });
    } catch (err) {
      await forgetRequestClient(requestId);
      const answer = err instanceof ApiError && err.code === 'team_closed' ? closedTeamsView.safeParse(err.answer.closed) : undefined;
      if (answer?.success) setClosed(answer.data);
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const toUrgentQueue = () => {
    setClosed(null);
    setUrgency('urgent');
    queueMicrotask(() => document.getElementById('criteria-legend')?.focus());
  };

  return (
    <>
      <h1 tabIndex={-1}>{t('request.title')}</h1>
      <ErrorText message={error} />
      {closed && (
        <section class="closed-notice" aria-labelledby="closed-title">
          <h2 id="closed-title">{t('closed.title')}</h2>
          <div role="alert">
            <ul>
              {closed.teams.map((team) => (
                <li>{team.opensAt ? t('closed.team', { organisation: organisationName(team), team: localName(team), opens: formatOpening(team.opensAt) }) : t('closed.teamNoOpening', { organisation: organisationName(team), team: localName(team) })}</li>
              ))}
            </ul>
          </div>
          <p>{closed.urgentQueue ? t('closed.choicesUrgent') : t('closed.choices')}</p>
          <div class="actions">
            <button type="button" class="primary" disabled={busy} onClick={() => void send('callback')}>
              {t('request.leaveCallback')}
            </button>
            {closed.urgentQueue && (
              <button type="button" disabled={busy} onClick={toUrgentQueue}>
                {t('closed.toUrgentQueue')}
              </button>
            )}
            <button type="button" onClick={() => setClosed(null)}>
              {t('item.cancel')}
            </button>
          </div>
        </section>
      )}
      <form class="request" onSubmit={submit} autocomplete="off">
        <fieldset>
          <legend>{t('request.clientKind')}</legend>
          <label class="inline">
            <input type="radio" name="kind" checked={kind === 'hetu'} onChange={() => setKind('hetu')} /> {t('request.byHetu')}
          </label>
          <label class="inline">
            <input type="radio" name="kind" checked={kind === 'application'} onChange={() => setKind('application')} /> {t('request.byApplication')}
          </label>
        </fieldset>
        {kind === 'hetu' ? (
          <>
            <label for="hetu">{t('request.hetu')}</label>
            <input
              id="hetu"
              name="hetu"
              required
              spellcheck={false}
              aria-invalid={hetuError ? 'true' : 'false'}
              aria-describedby="hetu-hint hetu-check"
              value={hetu}
              onInput={(e) => setHetu(e.currentTarget.value.toUpperCase())}
            />
            <p id="hetu-hint" class="hint">
              {t('request.hetuHint')}
            </p>
            <p id="hetu-check" class={hetuError ? 'field-error' : 'hint'} aria-live="polite">
              {hetuError || (check?.valid ? t('request.hetuOk') : '')}
            </p>
          </>
        ) : (
          <>
            <label for="application">{t('request.applicationId')}</label>
            <input id="application" name="application" required value={applicationId} onInput={(e) => setApplicationId(e.currentTarget.value)} />
          </>
        )}
        <label for="type">{t('request.type')}</label>
        <select id="type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          {REQUEST_TYPES.map((rt) => (
            <option value={rt}>{t(`type.${rt}`)}</option>
          ))}
        </select>
        <fieldset>
          <legend>{t('request.urgency')}</legend>
          {(['normal', 'urgent'] as const).map((u) => (
            <label class="inline">
              <input type="radio" name="urgency" checked={urgency === u} onChange={() => setUrgency(u)} /> {t(`urgency.${u}`)}
            </label>
          ))}
        </fieldset>
        {urgency === 'urgent' && (
          <fieldset>
            <legend id="criteria-legend" tabIndex={-1}>
              {t('request.criteria')}
            </legend>
            {allCriteria.map((c) => (
              <label class="block">
                <input
                  type="checkbox"
                  checked={criteria.includes(c.code)}
                  onChange={(e) => setCriteria(e.currentTarget.checked ? [...criteria, c.code] : criteria.filter((x) => x !== c.code))}
                />{' '}
                {localName(c)}
              </label>
            ))}
          </fieldset>
        )}
        <label for="language">{t('request.language')}</label>
        <select id="language" value={lang} onChange={(e) => setLang(e.currentTarget.value)}>
          <option value="">{t('request.languageAny')}</option>
          <option value="fi">suomi</option>
          <option value="sv">svenska</option>
        </select>
        <label for="basis">{t('request.basis')}</label>
        <select id="basis" value={basis} onChange={(e) => setBasis(e.currentTarget.value)}>
          {bases.map((b) => (
            <option value={b.code}>{localName(b)}</option>
          ))}
        </select>
        <button type="submit" class="primary" disabled={busy}>
          {t('request.submit')}
        </button>
      </form>
    </>
  );
}

function RequestProgress({ request: r }: { request: RingRequestView }) {
  const [error, setError] = useState('');
  const [showCallback, setShowCallback] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await what();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const [noteSent, setNoteSent] = useState(false);
  const addNote = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      await queueCallbackNote(r.callbackId!, note.trim());
      setNote('');
      setNoteSent(true);
    });
  };
  const cancel = () => run(async () => upsertRequest(await api<RingRequestView>('POST', `/api/ringing/requests/${r.requestId}/cancel`, {})));
  const leaveCallback = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const windows = from && to ? [{ from: new Date(from).toISOString(), to: new Date(to).toISOString() }] : [];
      const updated = await api<RingRequestView>('POST', `/api/ringing/requests/${r.requestId}/leave-callback`, { windows });
      upsertRequest(updated);
      if (note.trim() && updated.callbackId) await queueCallbackNote(updated.callbackId, note.trim());
      setNote('');
      setNoteSent(true);
      setShowCallback(false);
    });
  };

  return (
    <>
      <h1 tabIndex={-1}>
        {requestTypeName(r.requestType)}: {t(`state.${r.state}`)}
      </h1>
      <ErrorText message={error} />
      <section aria-labelledby="progress-title" class="progress">
        <h2 id="progress-title">{t('request.progress')}</h2>
        <p role="status" aria-live="polite" class={`state state-${r.state}`}>
          {r.state === 'ringing' && r.ringing.length > 0 && t('request.ringingNow', { names: r.ringing.map((p) => p.displayName).join(', ') })}
          {r.state === 'accepted' && r.acceptedBy && t('request.acceptedBy', { name: r.acceptedBy.displayName, org: organisationName(r.acceptedBy) })}
          {r.state === 'callback' && t('request.callbackCreated')}
          {r.state === 'urgent_queue' && t('request.urgentQueued')}
          {r.state === 'refused' && t('request.refused', { reason: r.final?.reason?.[language.value] ?? explain(r.final?.explanation) })}
          {r.state === 'cancelled' && t('state.cancelled')}
        </p>
        <ol class="explanation">
          {r.explanation.map((e) => (
            <li>
              <time dateTime={e.at}>{formatTime(e.at)}</time> {explainEvent(e)}
              {e.step && (e.step.candidates.length > 0 || e.step.excluded.length > 0) && (
                <ul>
                  {e.step.candidates.map((c) => (
                    <li>
                      {c.displayName}: {stepName(e.step!.select)}
                      {c.standInFor && ` (${t('request.standIn', { name: c.standInFor.displayName })})`}
                    </li>
                  ))}
                  {e.step.excluded.map((x) => (
                    <li class="muted">
                      {x.displayName}: {exclusionText(x)}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      </section>
      {r.callbackId && <CallbackStatus callbackId={r.callbackId} />}
      {r.state === 'callback' && r.callbackId && !noteSent && (
        <form class="callback" onSubmit={addNote}>
          <label for="cb-note">{t('request.callbackNote')}</label>
          <textarea id="cb-note" rows={3} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit" class="primary" disabled={busy || !note.trim()}>
            {t('conference.send')}
          </button>
        </form>
      )}
      <div class="actions">
        {r.state === 'accepted' && r.roomId && (
          <button type="button" class="primary" onClick={() => navigate({ name: 'conference', roomId: r.roomId! })}>
            {t('request.openConference')}
          </button>
        )}
        {r.state === 'ringing' && (
          <>
            <button type="button" disabled={busy} onClick={cancel}>
              {t('request.cancel')}
            </button>
            <button type="button" disabled={busy} aria-expanded={showCallback} onClick={() => setShowCallback(!showCallback)}>
              {t('request.leaveCallback')}
            </button>
          </>
        )}
        <button type="button" onClick={() => navigate({ name: 'request' })}>
          {t('request.new')}
        </button>
      </div>
      {showCallback && r.state === 'ringing' && (
        <form class="callback" onSubmit={leaveCallback}>
          <label for="cb-from">{t('request.callbackWindow')}</label>
          <input id="cb-from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          <label for="cb-to">{t('request.callbackWindowEnd')}</label>
          <input id="cb-to" type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          <label for="cb-note">{t('request.callbackNote')}</label>
          <textarea id="cb-note" rows={3} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit" class="primary" disabled={busy}>
            {t('request.leaveCallback')}
          </button>
        </form>
      )}
    </>
  );
}
