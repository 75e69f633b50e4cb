// On-call schedules of an organisation: a calendar of who is on call over the
// next four weeks, and overrides (a sick day, a swap) added on top.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { StaffView } from '../../../shared/src/directory.ts';
import { formatTime, t } from '../i18n/index.ts';
import { ErrorText, TableHead } from '../components/common.tsx';

interface Schedule {
  id: string;
  organisationId: string;
  name: string;
  definition: { timezone?: string; layers: unknown[]; overrides: { staffId: string; start: string; end: string; reason?: string }[] };
}
interface Segment {
  staffId: string | null;
  displayName: string | null;
  source: 'override' | 'layer' | null;
  detail: string | null;
  start: string;
  end: string;
}

export function SchedulesAdmin({ organisationId }: { organisationId: string }) {
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  useEffect(() => {
    api<Schedule[]>('GET', `/api/urgent/schedules?organisationId=${encodeURIComponent(organisationId)}`).then(setSchedules, () => setSchedules([]));
  }, [organisationId]);
  return (
    <section aria-labelledby="sched-title" class="panel">
      <h3 id="sched-title">{t('oncall.title')}</h3>
      {schedules.length === 0 && <p class="empty">{t('oncall.none')}</p>}
      {schedules.map((s) => (
        <ScheduleCalendar key={s.id} schedule={s} organisationId={organisationId} onSaved={(saved) => setSchedules(schedules.map((x) => (x.id === saved.id ? saved : x)))} />
      ))}
    </section>
  );
}

function ScheduleCalendar({ schedule, organisationId, onSaved }: { schedule: Schedule; organisationId: string; onSaved(s: Schedule): void }) {
  const [segments, setSegments] = useState<Segment[]>([]);
  const [people, setPeople] = useState<StaffView[]>([]);
  const [who, setWho] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const load = () => api<Segment[]>('GET', `/api/urgent/schedules/${encodeURIComponent(schedule.id)}/calendar?days=28`).then(setSegments, () => setSegments([]));
  useEffect(() => {
    void load();
    api<StaffView[]>('GET', `/api/staff?organisationId=${encodeURIComponent(organisationId)}`).then((list) => {
      const onCall = list.filter((p) => p.active && p.roles.some((r) => r.role === 'on_call'));
      setPeople(onCall);
      setWho(onCall[0]?.id ?? '');
    }, () => undefined);
  }, [schedule]);
  const id = `sch-${schedule.id}`;
  const addOverride = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      const definition = { ...schedule.definition, overrides: [...schedule.definition.overrides, { staffId: who, start: new Date(start).toISOString(), end: new Date(end).toISOString(), ...(reason ? { reason } : {}) }] };
      const saved = await api<Schedule>('PUT', `/api/urgent/schedules/${encodeURIComponent(schedule.id)}`, { organisationId, name: schedule.name, definition });
      onSaved(saved);
      setStart('');
      setEnd('');
      setReason('');
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <div class="schedule">
      <h4>{schedule.name}</h4>
      <table class="calendar">
        <caption>{t('oncall.calendar')}</caption>
        <TableHead columns={[t('people.from'), t('people.to'), t('oncall.who'), t('oncall.source')]} />
        <tbody>
          {segments.map((s) => (
            <tr class={s.source === 'override' ? 'override' : s.staffId ? '' : 'gap'}>
              <td>{formatTime(s.start)}</td>
              <td>{formatTime(s.end)}</td>
              <td>{s.displayName ?? t('oncall.nobody')}</td>
              <td>{s.source === 'override' ? `${t('oncall.override')}${s.detail ? `: ${s.detail}` : ''}` : (s.detail ?? '')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={addOverride} class="row">
        <label for={`${id}-who`}>{t('oncall.who')}</label>
        <select id={`${id}-who`} value={who} onChange={(e) => setWho(e.currentTarget.value)}>
          {people.map((p) => (
            <option value={p.id}>{p.displayName}</option>
          ))}
        </select>
        <label for={`${id}-start`}>{t('people.from')}</label>
        <input id={`${id}-start`} type="datetime-local" required value={start} onInput={(e) => setStart(e.currentTarget.value)} />
        <label for={`${id}-end`}>{t('people.to')}</label>
        <input id={`${id}-end`} type="datetime-local" required value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
        <label for={`${id}-reason`}>{t('people.reason')}</label>
        <input id={`${id}-reason`} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        <button type="submit" class="primary">
          {t('oncall.addOverride')}
        </button>
      </form>
      <ErrorText message={error} />
    </div>
  );
}
