// People of the organisation an admin runs: who they are, their roles and
// teams, their absences with stand-ins, and a CSV import whose preview lists
// every bad row before anything is written.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, currentCsrfToken, errorMessage } from '../api/http.ts';
import type { AbsenceView, ImportIssue, ImportReport, StaffView, TeamView } from '../../../shared/src/directory.ts';
import { ABSENCE_REASONS, IMPORT_KINDS } from '../../../shared/src/directory.ts';
import { formatTime, language, localName, t, textOr } from '../i18n/index.ts';
import { StaffEditor } from './StaffEditor.tsx';
import { ErrorText, TableHead } from '../components/common.tsx';

export function PeopleAdmin({ organisationId }: { organisationId: string }) {
  const [staff, setStaff] = useState<StaffView[]>([]);
  const [teams, setTeams] = useState<TeamView[]>([]);
  const [open, setOpen] = useState<string>();
  const [editing, setEditing] = useState<string>();
  const load = () => api<StaffView[]>('GET', `/api/staff?organisationId=${encodeURIComponent(organisationId)}`).then(setStaff, () => setStaff([]));
  useEffect(() => {
    void load();
    api<TeamView[]>('GET', `/api/teams?organisationId=${encodeURIComponent(organisationId)}`).then(setTeams, () => setTeams([]));
  }, [organisationId]);
  const sv = language.value === 'sv';
  const teamName = (id: string) => {
    const team = teams.find((x) => x.id === id);
    return team ? localName(team) : id;
  };
  return (
    <>
      <section aria-labelledby="staff-title" class="panel">
        <h3 id="staff-title">{t('people.staff')}</h3>
        <table class="people">
          <caption class="visually-hidden">{t('people.staff')}</caption>
          <TableHead columns={[t('people.name'), t('people.title'), t('people.roles'), t('people.teams'), t('people.absences')]} />
          <tbody>
            {staff.map((p) => (
              <>
                <tr key={p.id}>
                  <td>{p.displayName}</td>
                  <td>{(sv ? p.titleSv : p.titleFi) ?? ''}</td>
                  <td>{[...new Set(p.roles.map((r) => t(`staff.role.${r.role}`)))].join(', ')}</td>
                  <td>{p.teamIds.map(teamName).join(', ')}</td>
                  <td>
                    <button type="button" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? undefined : p.id)}>
                      {t('people.manageAbsences', { name: p.displayName })}
                    </button>{' '}
                    <button type="button" aria-expanded={editing === p.id} onClick={() => setEditing(editing === p.id ? undefined : p.id)}>
                      {t('staff.edit', { name: p.displayName })}
                    </button>
                  </td>
                </tr>
                {open === p.id && (
                  <tr>
                    <td colSpan={5}>
                      <Absences person={p} colleagues={staff.filter((x) => x.id !== p.id && x.active)} />
                    </td>
                  </tr>
                )}
                {editing === p.id && (
                  <tr>
                    <td colSpan={5}>
                      <StaffEditor staffId={p.id} organisationId={organisationId} onSaved={() => void load()} />
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      </section>
      <CsvImport onImported={() => void load()} />
    </>
  );
}

function Absences({ person, colleagues }: { person: StaffView; colleagues: StaffView[] }) {
  const [list, setList] = useState<AbsenceView[]>([]);
  const [startsAt, setStartsAt] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [standInId, setStandInId] = useState('');
  const [reason, setReason] = useState<string>('leave');
  const [error, setError] = useState('');
  const load = () => api<AbsenceView[]>('GET', `/api/staff/${encodeURIComponent(person.id)}/absences`).then(setList, () => setList([]));
  useEffect(() => {
    void load();
  }, [person.id]);
  const nameOf = (id: string | null) => colleagues.find((c) => c.id === id)?.displayName ?? id ?? '—';
  const add = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      await api('POST', '/api/absences', {
        staffId: person.id,
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
        reason,
        ...(standInId ? { standInId } : {}),
      });
      setStartsAt('');
      setEndsAt('');
      setStandInId('');
      await load();
    } catch (err) {
      setError(err instanceof ApiError ? errorMessage(err) : t('people.absenceInvalid'));
    }
  };
  const remove = async (id: string) => {
    await api('DELETE', `/api/absences/${id}`).catch((err: unknown) => setError(errorMessage(err)));
    await load();
  };
  const id = `abs-${person.id}`;
  return (
    <div class="absences">
      <h4>{t('people.absencesOf', { name: person.displayName })}</h4>
      {list.length === 0 ? (
        <p class="empty">{t('people.noAbsences')}</p>
      ) : (
        <ul>
          {list.map((a) => (
            <li>
              {formatTime(a.startsAt)} – {formatTime(a.endsAt)} · {t(`people.reason.${ABSENCE_REASONS.find((r) => r === a.reason) ?? 'other'}`)} · {t('people.standIn')}: {nameOf(a.standInId)}{' '}
              <button type="button" onClick={() => remove(a.id)}>
                {t('people.removeAbsence')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} class="row">
        <label for={`${id}-from`}>{t('people.from')}</label>
        <input id={`${id}-from`} type="datetime-local" required value={startsAt} onInput={(e) => setStartsAt(e.currentTarget.value)} />
        <label for={`${id}-to`}>{t('people.to')}</label>
        <input id={`${id}-to`} type="datetime-local" required value={endsAt} onInput={(e) => setEndsAt(e.currentTarget.value)} />
        <label for={`${id}-reason`}>{t('people.reason')}</label>
        <select id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
          {ABSENCE_REASONS.map((r) => (
            <option value={r}>{t(`people.reason.${r}`)}</option>
          ))}
        </select>
        <label for={`${id}-standin`}>{t('people.standIn')}</label>
        <select id={`${id}-standin`} value={standInId} onChange={(e) => setStandInId(e.currentTarget.value)}>
          <option value="">—</option>
          {colleagues.map((c) => (
            <option value={c.id}>{c.displayName}</option>
          ))}
        </select>
        <button type="submit" class="primary">
          {t('people.addAbsence')}
        </button>
      </form>
      <ErrorText message={error} />
    </div>
  );
}

function CsvImport({ onImported }: { onImported(): void }) {
  const [kind, setKind] = useState<string>('staff');
  const [text, setText] = useState('');
  const [preview, setPreview] = useState<{ ok: boolean; issues: ImportIssue[]; counts: ImportReport['counts'] }>();
  const [done, setDone] = useState('');
  const [error, setError] = useState('');
  const send = async (dryRun: boolean) => {
    setError('');
    setDone('');
    const res = await fetch(`/api/directory/import?format=csv&kind=${kind}&dryRun=${dryRun}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'x-csrf-token': currentCsrfToken() },
      body: text,
      credentials: 'same-origin',
    });
    const body = (await res.json().catch(() => ({}))) as Partial<ImportReport> & { message?: string };
    if (res.status >= 500 || (!res.ok && !body.issues)) return setError(body.message ?? res.statusText);
    const report = { ok: res.ok && !!body.ok, issues: body.issues ?? [], counts: body.counts ?? {} };
    setPreview(report);
    if (!dryRun && report.ok) {
      setDone(t('import.done', { counts: countsText(report.counts) }));
      setPreview(undefined);
      setText('');
      onImported();
    }
  };
  return (
    <section aria-labelledby="import-title" class="panel">
      <h3 id="import-title">{t('import.title')}</h3>
      <label for="import-kind">{t('import.kind')}</label>
      <select id="import-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
        {IMPORT_KINDS.map((k) => (
          <option value={k}>{t(`import.kind.${k}`)}</option>
        ))}
      </select>
      <label for="import-file">{t('import.file')}</label>
      <input
        id="import-file"
        type="file"
        accept=".csv,text/csv"
        onChange={async (e) => {
          const f = e.currentTarget.files?.[0];
          if (f) {
            setText(await f.text());
            setPreview(undefined);
          }
        }}
      />
      <label for="import-text">{t('import.text')}</label>
      <textarea id="import-text" rows={6} spellcheck={false} value={text} onInput={(e) => (setText(e.currentTarget.value), setPreview(undefined))} />
      <div class="actions">
        <button type="button" disabled={!text.trim()} onClick={() => void send(true)}>
          {t('import.preview')}
        </button>
        <button type="button" class="primary" disabled={!preview?.ok} onClick={() => void send(false)}>
          {t('import.run')}
        </button>
      </div>
      <ErrorText message={error} />
      {done && <p role="status">{done}</p>}
      {preview && (
        <div aria-live="polite" class="import-preview">
          {preview.ok ? (
            <p class="ok-text">{t('import.previewOk', { counts: countsText(preview.counts) })}</p>
          ) : (
            <>
              <p class="field-error">{t('import.previewBad', { n: preview.issues.length })}</p>
              <table>
                <caption class="visually-hidden">{t('import.previewBad', { n: preview.issues.length })}</caption>
                <TableHead columns={[t('import.line'), t('import.field'), t('import.problem')]} />
                <tbody>
                  {preview.issues.map((i) => (
                    <tr class="import-issue">
                      <td>{i.line}</td>
                      <td>{i.path}</td>
                      <td>{i.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </section>
  );
}

function countsText(counts: ImportReport['counts']): string {
  return Object.entries(counts)
    // A dry run of client rows says only how many were checked, not which codes are clients already.
    .map(([k, c]) => `${textOr(`import.kind.${k}`, 'import.kind.other')}: ${'checked' in c! ? c.checked : `+${c!.created} / ~${c!.updated}`}`)
    .join(', ');
}
