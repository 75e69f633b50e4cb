// A region's urgency criteria (what an urgent request must cite) and its
// escalation policy (who is alerted, after how long, how many rounds).
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { UrgencyCriterionView } from '../api/types.ts';
import { t } from '../i18n/index.ts';
import { ErrorText } from '../components/common.tsx';

export function UrgencyAdmin({ region }: { region: string }) {
  const [criteria, setCriteria] = useState<UrgencyCriterionView[]>([]);
  const [policy, setPolicy] = useState('');
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  useEffect(() => {
    setMessage('');
    api<UrgencyCriterionView[]>('GET', `/api/urgent/regions/${encodeURIComponent(region)}/criteria`).then(setCriteria, () => setCriteria([]));
    api<unknown>('GET', `/api/urgent/regions/${encodeURIComponent(region)}/escalation-policy`).then(
      (p) => setPolicy(JSON.stringify(p, null, 2)),
      () => setPolicy(''),
    );
  }, [region]);
  const run = async (what: () => Promise<void>) => {
    setError('');
    setMessage('');
    try {
      await what();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const set = (i: number, patch: Partial<UrgencyCriterionView>) => setCriteria(criteria.map((c, k) => (k === i ? { ...c, ...patch } : c)));
  return (
    <>
      <ErrorText message={error} />
      {message && <p role="status">{message}</p>}
      <section aria-labelledby="crit-title" class="panel">
        <h3 id="crit-title">{t('urgencyAdmin.criteria')}</h3>
        <table>
          <caption class="visually-hidden">{t('urgencyAdmin.criteria')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('urgencyAdmin.code')}</th>
              <th scope="col">{t('urgencyAdmin.nameFi')}</th>
              <th scope="col">{t('urgencyAdmin.nameSv')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('urgencyAdmin.remove')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {criteria.map((c, i) => (
              <tr>
                <td>
                  <input aria-label={t('urgencyAdmin.code')} value={c.code} onChange={(e) => set(i, { code: e.currentTarget.value })} />
                </td>
                <td>
                  <input aria-label={t('urgencyAdmin.nameFi')} value={c.nameFi} onChange={(e) => set(i, { nameFi: e.currentTarget.value })} />
                </td>
                <td>
                  <input aria-label={t('urgencyAdmin.nameSv')} value={c.nameSv} onChange={(e) => set(i, { nameSv: e.currentTarget.value })} />
                </td>
                <td>
                  <button type="button" onClick={() => setCriteria(criteria.filter((_, k) => k !== i))}>
                    {t('urgencyAdmin.remove')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="actions">
          <button type="button" onClick={() => setCriteria([...criteria, { code: '', nameFi: '', nameSv: '' }])}>
            {t('urgencyAdmin.add')}
          </button>
          <button
            type="button"
            class="primary"
            onClick={() => run(async () => (setCriteria(await api<UrgencyCriterionView[]>('PUT', `/api/urgent/regions/${encodeURIComponent(region)}/criteria`, { criteria })), setMessage(t('rules.saved'))))}
          >
            {t('rules.save')}
          </button>
        </div>
      </section>
      <section aria-labelledby="esc-title" class="panel">
        <h3 id="esc-title">{t('urgencyAdmin.escalation')}</h3>
        <p class="hint">{t('urgencyAdmin.escalationHint')}</p>
        <label for="esc-json">{t('rules.json')}</label>
        <textarea id="esc-json" rows={8} spellcheck={false} value={policy} placeholder='{"levels":[{"targets":[{"teamId":"…"}],"delayMinutes":10}],"loops":0}' onInput={(e) => setPolicy(e.currentTarget.value)} />
        <button
          type="button"
          class="primary"
          onClick={() =>
            run(async () => {
              const body: unknown = JSON.parse(policy);
              await api('PUT', `/api/urgent/regions/${encodeURIComponent(region)}/escalation-policy`, body);
              setMessage(t('rules.saved'));
            })
          }
        >
          {t('rules.save')}
        </button>
      </section>
    </>
  );
}
