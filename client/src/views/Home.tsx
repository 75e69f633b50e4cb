// Home: my conferences with unread counts, my callbacks (due soon first), my
// requests with their live status. Incoming rings sit above every view.
import { formatTime, t } from '../i18n/index.ts';
import { explainEvent, requestTypeName } from '../i18n/words.ts';
import { matrixTick } from '../matrix/session.ts';
import { myConferences } from '../matrix/rooms.ts';
import { useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { CallbackView } from '../api/types.ts';
import { upsertCallback } from '../components/CallbackStatus.tsx';
import { ConcernList } from '../components/Concerns.tsx';
import { callbacks, myRequests, navigate, session, soundOn } from '../state.ts';
import { conferenceName } from './Conference.tsx';
import { ErrorText } from '../components/common.tsx';

export function HomeView() {
  const [error, setError] = useState('');
  void matrixTick.value; // re-render on room changes
  const rooms = myConferences();
  const me = session.value!.user.id;
  // Callbacks for me to handle (addressed to me or my team, or mine now), due soon first.
  const due = [...callbacks.value]
    .filter((c) => c.requester.staffId !== me && (c.state === 'open' || (c.state === 'claimed' && c.owner?.staffId === me)))
    .sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  const act = async (id: string, action: 'claim' | 'done') => {
    setError('');
    try {
      upsertCallback(await api<CallbackView>('POST', `/api/callbacks/${id}/${action}`, {}));
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <>
      <h1 tabIndex={-1}>{t('home.title')}</h1>
      <ErrorText message={error} />
      <label class="inline">
        <input type="checkbox" checked={soundOn.value} onChange={(e) => (soundOn.value = e.currentTarget.checked)} /> {t('home.sound')}
      </label>
      <div class="columns">
        <section aria-labelledby="conf-title">
          <h2 id="conf-title">{t('home.conferences')}</h2>
          {rooms.length === 0 ? (
            <p class="empty">{t('home.conferencesEmpty')}</p>
          ) : (
            <ul class="list">
              {rooms.map(({ room, unread }) => (
                <li key={room.roomId}>
                  <button type="button" class="link" onClick={() => navigate({ name: 'conference', roomId: room.roomId })}>
                    {conferenceName(room)}
                  </button>{' '}
                  {unread > 0 && <span class="badge">{t('home.unread', { n: unread })}</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="cb-title">
          <h2 id="cb-title">{t('home.callbacks')}</h2>
          {due.length === 0 ? (
            <p class="empty">{t('home.callbacksEmpty')}</p>
          ) : (
            <ul class="list">
              {due.map((c) => (
                <li key={c.id} class="callback-item">
                  <strong>{requestTypeName(c.requestType)}</strong> · {t('callback.requested', { name: c.requester.displayName })} · {t(`callback.state.${c.state}`)} ·{' '}
                  {c.overdue ? <span class="tag urgent">{t('callback.overdue')}</span> : t('callback.due', { due: formatTime(c.dueAt) })}
                  {c.windows.length > 0 && <div class="muted">{t('callback.windows', { windows: c.windows.map((w) => `${formatTime(w.from)}–${formatTime(w.to)}`).join(', ') })}</div>}
                  <div class="actions">
                    {c.state === 'open' && (
                      <button type="button" class="primary" onClick={() => act(c.id, 'claim')}>
                        {t('callback.claim')}
                      </button>
                    )}
                    {c.state === 'claimed' && c.roomId && (
                      <button type="button" onClick={() => navigate({ name: 'conference', roomId: c.roomId! })}>
                        {t('callback.open')}
                      </button>
                    )}
                    {c.state === 'claimed' && (
                      <button type="button" onClick={() => act(c.id, 'done')}>
                        {t('callback.done')}
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="req-title">
          <h2 id="req-title">{t('home.requests')}</h2>
          {myRequests.value.length === 0 ? (
            <p class="empty">{t('home.requestsEmpty')}</p>
          ) : (
            <ul class="list">
              {myRequests.value.map((r) => (
                <li key={r.requestId}>
                  <button type="button" class="link" onClick={() => navigate({ name: 'request', requestId: r.requestId })}>
                    {requestTypeName(r.requestType)}
                  </button>{' '}
                  · <span class={`state state-${r.state}`}>{t(`state.${r.state}`)}</span>
                  {r.explanation.length > 0 && <span class="muted"> · {explainEvent(r.explanation[r.explanation.length - 1])}</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
        <ConcernList />
      </div>
    </>
  );
}
