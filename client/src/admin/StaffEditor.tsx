// One person's directory entry as an admin edits it: titles, languages,
// segments, roles and teams in this organisation, callback number, active.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { StaffView, TeamView } from '../../../shared/src/directory.ts';
import { ROLES } from '../../../shared/src/directory.ts';
import { localName, t } from '../i18n/index.ts';
import { commaList, ErrorText } from '../components/common.tsx';


export function StaffEditor({ staffId, organisationId, onSaved }: { staffId: string; organisationId: string; onSaved(): void }) {
  const [p, setP] = useState<StaffView>();
  const [teams, setTeams] = useState<TeamView[]>([]);
  const [languages, setLanguages] = useState('');
  const [segments, setSegments] = useState('');
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  useEffect(() => {
    api<StaffView>('GET', `/api/staff/${encodeURIComponent(staffId)}`).then((x) => {
      setP(x);
      setLanguages(x.languages.join(', '));
      setSegments(x.segments.join(', '));
    }, (err: unknown) => setError(errorMessage(err)));
    api<TeamView[]>('GET', `/api/teams?organisationId=${encodeURIComponent(organisationId)}`).then(setTeams, () => undefined);
  }, [staffId]);
  if (!p) return error ? <p class="error">{error}</p> : <p role="status">{t('app.loading')}</p>;
  const id = `staff-${staffId}`;
  const set = (patch: Partial<StaffView>) => setP({ ...p, ...patch });
  const ownRoles = p.roles.filter((r) => r.organisationId === organisationId).map((r) => r.role);
  const save = async (e: Event) => {
    e.preventDefault();
    setError('');
    setSaved('');
    try {
      await api('PUT', `/api/staff/${encodeURIComponent(staffId)}`, {
        organisationId: p.organisationId,
        displayName: p.displayName,
        ...(p.titleFi ? { titleFi: p.titleFi } : {}),
        ...(p.titleSv ? { titleSv: p.titleSv } : {}),
        ...(p.email ? { email: p.email } : {}),
        ...(p.username ? { username: p.username } : {}),
        ...(p.callbackPhone ? { callbackPhone: p.callbackPhone } : {}),
        languages: commaList(languages),
        segments: commaList(segments),
        active: p.active,
        roles: p.roles,
        teamIds: p.teamIds,
      });
      setSaved(t('rules.saved'));
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <form onSubmit={save} class="staff-editor">
      <div class="row">
        <label for={`${id}-name`}>{t('people.name')}</label>
        <input id={`${id}-name`} value={p.displayName} onInput={(e) => set({ displayName: e.currentTarget.value })} />
        <label for={`${id}-tfi`}>{t('staff.titleFi')}</label>
        <input id={`${id}-tfi`} value={p.titleFi ?? ''} onInput={(e) => set({ titleFi: e.currentTarget.value })} />
        <label for={`${id}-tsv`}>{t('staff.titleSv')}</label>
        <input id={`${id}-tsv`} value={p.titleSv ?? ''} onInput={(e) => set({ titleSv: e.currentTarget.value })} />
      </div>
      <div class="row">
        <label for={`${id}-lang`}>{t('staff.languages')}</label>
        <input id={`${id}-lang`} value={languages} onInput={(e) => setLanguages(e.currentTarget.value)} />
        <label for={`${id}-seg`}>{t('staff.segments')}</label>
        <input id={`${id}-seg`} value={segments} onInput={(e) => setSegments(e.currentTarget.value)} />
        <label for={`${id}-phone`}>{t('staff.phone')}</label>
        <input id={`${id}-phone`} value={p.callbackPhone ?? ''} onInput={(e) => set({ callbackPhone: e.currentTarget.value })} />
      </div>
      <fieldset>
        <legend>{t('people.roles')}</legend>
        {ROLES.map((r) => (
          <label class="inline">
            <input
              type="checkbox"
              checked={ownRoles.includes(r)}
              onChange={(e) => set({ roles: e.currentTarget.checked ? [...p.roles, { role: r, organisationId }] : p.roles.filter((x) => !(x.role === r && x.organisationId === organisationId)) })}
            />{' '}
            {t(`staff.role.${r}`)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('people.teams')}</legend>
        {teams.map((tm) => (
          <label class="inline">
            <input type="checkbox" checked={p.teamIds.includes(tm.id)} onChange={(e) => set({ teamIds: e.currentTarget.checked ? [...p.teamIds, tm.id] : p.teamIds.filter((x) => x !== tm.id) })} />{' '}
            {localName(tm)}
          </label>
        ))}
      </fieldset>
      <label class="inline">
        <input type="checkbox" checked={p.active} onChange={(e) => set({ active: e.currentTarget.checked })} /> {t('staff.active')}
      </label>
      <ErrorText message={error} />
      {saved && <p role="status">{saved}</p>}
      <button type="submit" class="primary">
        {t('rules.save')}
      </button>
    </form>
  );
}
