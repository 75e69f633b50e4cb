// A callback request's live state for whoever may see it: open, claimed by
// whom, done. Pushed over the socket ('callback:changed'), read once here.
import { useEffect } from 'preact/hooks';
import { api } from '../api/http.ts';
import type { CallbackView } from '../api/types.ts';
import { formatTime, t } from '../i18n/index.ts';
import { callbacks } from '../state.ts';

export function upsertCallback(c: CallbackView): void {
  callbacks.value = [c, ...callbacks.value.filter((x) => x.id !== c.id)];
}

export function CallbackStatus({ callbackId }: { callbackId: string }) {
  const cb = callbacks.value.find((c) => c.id === callbackId);
  useEffect(() => {
    if (!cb) api<CallbackView>('GET', `/api/callbacks/${callbackId}`).then(upsertCallback, () => undefined);
  }, [callbackId]);
  if (!cb) return null;
  return (
    <p class="callback-status" role="status" aria-live="polite">
      {t('home.callbacks')}: <strong class={`state callback-${cb.state}`}>{t(`callback.state.${cb.state}`)}</strong>
      {cb.owner && <> · {cb.owner.displayName}</>} · {cb.overdue ? t('callback.overdue') : t('callback.due', { due: formatTime(cb.dueAt) })}
    </p>
  );
}
