// The top bar: navigation, my presence (with an expiry), language, sign out.
import { useState } from 'preact/hooks';
import { realtimeSocket } from '../api/realtime.ts';
import { signOut } from '../signed-in.tsx';
import { language, t } from '../i18n/index.ts';
import { LanguagePicker } from './LanguagePicker.tsx';
import { navigate, presence, session, view } from '../state.ts';
import { CLIENT_WORK_ROLES } from '../../../shared/src/directory.ts';

const STATUSES = ['available', 'busy', 'away'] as const;
const DURATIONS = [0, 30, 60, 120, 240] as const;

export function PresencePicker() {
  const [minutes, setMinutes] = useState(0);
  const set = (status: string, mins: number) => {
    realtimeSocket()?.emit('presence:set', mins ? { status, until: mins } : { status }, (ack: { ok: boolean; presence?: { status: string; until: string | null } }) => {
      if (ack?.ok && ack.presence) presence.value = { status: ack.presence.status, until: ack.presence.until };
    });
  };
  return (
    <fieldset class="presence">
      <legend class="visually-hidden">{t('presence.label')}</legend>
      <label class="inline">
        {t('presence.label')}{' '}
        <select value={presence.value.status} onChange={(e) => set(e.currentTarget.value, minutes)}>
          {STATUSES.map((s) => (
            <option value={s}>{t(`presence.${s}`)}</option>
          ))}
        </select>
      </label>
      <label class="inline">
        {t('presence.for')}{' '}
        <select
          value={String(minutes)}
          onChange={(e) => {
            const m = Number(e.currentTarget.value);
            setMinutes(m);
            if (presence.value.status !== 'available') set(presence.value.status, m);
          }}
        >
          {DURATIONS.map((m) => (
            <option value={String(m)}>{m ? t('presence.minutes', { n: m }) : t('presence.untilChanged')}</option>
          ))}
        </select>
      </label>
      {presence.value.until && <span class="muted">{t('presence.until', { time: new Date(presence.value.until).toLocaleTimeString(language.value, { timeStyle: 'short' }) })}</span>}
    </fieldset>
  );
}

export function Header() {
  const me = session.value!.user;
  // Only what the roles can use is on the menu: admin-only and auditor-only accounts start no
  // requests, and only on-call staff work an urgent queue (the server refuses the others; docs/access-model.md).
  const worksWithClients = me.roles.some((r) => (CLIENT_WORK_ROLES as readonly string[]).includes(r.role));
  const onCall = me.roles.some((r) => r.role === 'on_call');
  const admin = me.roles.some((r) => r.role === 'admin');
  const auditor = me.roles.some((r) => r.role === 'auditor');
  const current = view.value.name;
  const link = (name: 'home' | 'request' | 'urgent' | 'admin' | 'audit', label: string) => (
    <li>
      <button type="button" class="nav" aria-current={current === name ? 'page' : undefined} onClick={() => navigate({ name })}>
        {label}
      </button>
    </li>
  );
  return (
    <header class="top">
      <span class="brand">{t('app.name')}</span>
      <nav aria-label={t('nav.label')}>
        <ul>
          {link('home', t('nav.home'))}
          {worksWithClients && link('request', t('nav.newRequest'))}
          {onCall && link('urgent', t('nav.urgent'))}
          {admin && link('admin', t('nav.admin'))}
          {auditor && link('audit', t('nav.audit'))}
        </ul>
      </nav>
      {/* Only people who can be rung have a presence to set. */}
      {worksWithClients && <PresencePicker />}
      <LanguagePicker />
      <span class="who">{me.displayName}</span>
      <button type="button" onClick={() => void signOut()}>
        {t('nav.signOut')}
      </button>
    </header>
  );
}
