// Concern notifications (huoli-ilmoitukset): Kela sees the feedback status of
// the ones it sent; the county moves the ones it received through their steps.
import { useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { ConcernView } from '../api/types.ts';
import { formatTime, organisationName, t } from '../i18n/index.ts';
import { choiceName } from '../conference/items.ts';
import { concerns, session } from '../state.ts';
import { ErrorText } from './common.tsx';

const NEXT = ['client_reached', 'client_not_reached', 'taken_charge', 'closed'] as const;

export function ConcernList() {
  const me = session.value!.user;
  const receiving = me.organisationKind === 'county';
  const [error, setError] = useState('');
  const [next, setNext] = useState<Record<string, string>>({});
  const open = concerns.value.filter((c) => c.status !== 'closed').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const advance = async (c: ConcernView) => {
    const status = next[c.id] ?? NEXT[0];
    setError('');
    try {
      const updated = await api<ConcernView>('POST', `/api/concerns/${c.id}/status`, status === 'taken_charge' ? { status, responsibleWorkerId: me.id } : { status });
      concerns.value = [updated, ...concerns.value.filter((x) => x.id !== c.id)];
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <section aria-labelledby="concern-title">
      <h2 id="concern-title">{t('home.concerns')}</h2>
      <ErrorText message={error} />
      {open.length === 0 ? (
        <p class="empty">{t('home.concernsEmpty')}</p>
      ) : (
        <ul class="list">
          {open.map((c) => (
            <li key={c.id} class="concern-item">
              {formatTime(c.createdAt)} · <strong>{choiceName('status', c.status)}</strong> · {c.clientReference ? t('concern.client', { reference: c.clientReference }) : t('concern.clientNoReference')}
              {c.sender && <> · {t('concern.from', { name: c.sender.displayName, organisation: organisationName(c.sender) })}</>}
              {c.responsibleWorker && <> · {t('concern.responsible', { name: c.responsibleWorker.displayName })}</>}
              {c.statusDueAt && <span class="muted"> · {t('callback.due', { due: formatTime(c.statusDueAt) })}</span>}
              {receiving && (
                <div class="actions">
                  <label class="inline">
                    {t('field.status')}{' '}
                    <select value={next[c.id] ?? NEXT[0]} onChange={(e) => setNext({ ...next, [c.id]: e.currentTarget.value })}>
                      {NEXT.map((s) => (
                        <option value={s}>{choiceName('status', s)}</option>
                      ))}
                    </select>
                  </label>
                  <button type="button" onClick={() => advance(c)}>
                    {t('concern.save')}
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
