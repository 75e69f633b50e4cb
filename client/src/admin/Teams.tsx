// A team's weekly hours and its exceptions (a holiday week, a training
// afternoon): routing skips a closed team, so this is where a supervisor
// changes who rings on given days. "08:00-11:30, 12:00-16:00"; empty = closed.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { TeamView } from '../../../shared/src/directory.ts';
import { WEEKDAY_KEYS } from '../../../shared/src/directory.ts';
import { localName, t } from '../i18n/index.ts';
import { commaList, ErrorText } from '../components/common.tsx';

type Intervals = [string, string][];
const show = (list: Intervals | undefined) => (list ?? []).map(([a, b]) => `${a}-${b}`).join(', ');
function parse(text: string): Intervals {
  return commaList(text).map((p) => p.split('-').map((x) => x.trim()) as [string, string]);
}

export function TeamsAdmin({ organisationId }: { organisationId: string }) {
  const [teams, setTeams] = useState<TeamView[]>([]);
  const [open, setOpen] = useState<string>();
  const load = () => api<TeamView[]>('GET', `/api/teams?organisationId=${encodeURIComponent(organisationId)}`).then(setTeams, () => setTeams([]));
  useEffect(() => void load(), [organisationId]);
  return (
    <section aria-labelledby="teams-title" class="panel">
      <h3 id="teams-title">{t('teams.title')}</h3>
      <ul class="list">
        {teams.map((tm) => (
          <li key={tm.id}>
            <strong>{localName(tm)}</strong> <span class="muted">({tm.memberIds.length})</span>{' '}
            <button type="button" aria-expanded={open === tm.id} onClick={() => setOpen(open === tm.id ? undefined : tm.id)}>
              {t('teams.editHours', { name: localName(tm) })}
            </button>
            {open === tm.id && <HoursEditor team={tm} onSaved={() => void load()} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function HoursEditor({ team, onSaved }: { team: TeamView; onSaved(): void }) {
  const [hours, setHours] = useState<Record<string, string>>(Object.fromEntries(WEEKDAY_KEYS.map((d) => [d, show(team.hours[d])])));
  const [exceptions, setExceptions] = useState<{ date: string; hours: string }[]>(Object.entries(team.hourExceptions).map(([date, list]) => ({ date, hours: show(list) })));
  const [closedOnHolidays, setClosedOnHolidays] = useState(team.closedOnHolidays);
  const [segments, setSegments] = useState(team.segments.join(', '));
  const [languages, setLanguages] = useState(team.languages.join(', '));
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const id = `team-${team.id}`;
  const save = async (e: Event) => {
    e.preventDefault();
    setError('');
    setSaved('');
    try {
      await api('PUT', `/api/teams/${encodeURIComponent(team.id)}`, {
        organisationId: team.organisationId,
        nameFi: team.nameFi,
        nameSv: team.nameSv,
        segments: commaList(segments),
        languages: commaList(languages),
        hours: Object.fromEntries(WEEKDAY_KEYS.filter((d) => hours[d].trim()).map((d) => [d, parse(hours[d])])),
        hourExceptions: Object.fromEntries(exceptions.filter((x) => x.date).map((x) => [x.date, parse(x.hours)])),
        closedOnHolidays,
        ...(team.supervisorId ? { supervisorId: team.supervisorId } : {}),
      });
      setSaved(t('rules.saved'));
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <form onSubmit={save} class="hours">
      <div class="row">
        <label for={`${id}-lang`}>{t('staff.languages')}</label>
        <input id={`${id}-lang`} value={languages} onInput={(e) => setLanguages(e.currentTarget.value)} />
        <label for={`${id}-seg`}>{t('staff.segments')}</label>
        <input id={`${id}-seg`} value={segments} onInput={(e) => setSegments(e.currentTarget.value)} />
      </div>
      <fieldset>
        <legend>{t('teams.weekly')}</legend>
        {WEEKDAY_KEYS.map((d) => (
          <div class="row">
            <label for={`${id}-${d}`}>{t(`teams.day.${d}`)}</label>
            <input id={`${id}-${d}`} value={hours[d]} placeholder={t('teams.closed')} onInput={(e) => setHours({ ...hours, [d]: e.currentTarget.value })} />
          </div>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('teams.exceptions')}</legend>
        <p class="hint">{t('teams.exceptionsHint')}</p>
        {exceptions.map((x, i) => (
          <div class="row exception">
            <label for={`${id}-x${i}-date`}>{t('teams.date')}</label>
            <input id={`${id}-x${i}-date`} type="date" value={x.date} onInput={(e) => setExceptions(exceptions.map((y, k) => (k === i ? { ...y, date: e.currentTarget.value } : y)))} />
            <label for={`${id}-x${i}-hours`}>{t('teams.hours')}</label>
            <input id={`${id}-x${i}-hours`} value={x.hours} placeholder={t('teams.closed')} onInput={(e) => setExceptions(exceptions.map((y, k) => (k === i ? { ...y, hours: e.currentTarget.value } : y)))} />
            <button type="button" onClick={() => setExceptions(exceptions.filter((_, k) => k !== i))}>
              {t('people.removeAbsence')}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setExceptions([...exceptions, { date: '', hours: '' }])}>
          {t('teams.addException')}
        </button>
      </fieldset>
      <label class="inline">
        <input type="checkbox" checked={closedOnHolidays} onChange={(e) => setClosedOnHolidays(e.currentTarget.checked)} /> {t('teams.closedOnHolidays')}
      </label>
      <ErrorText message={error} />
      {saved && <p role="status">{saved}</p>}
      <button type="submit" class="primary">
        {t('rules.save')}
      </button>
    </form>
  );
}
