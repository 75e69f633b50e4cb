// The auditor's views: the 11 § client report (who processed the client's data,
// to whom it was disclosed and on what basis) shown and downloadable, and
// whether the access and disclosure chains verify, and the reads made without a
// task relation (emergency reads) by the own organisation's staff. Running a report is logged.
import { useEffect, useState } from 'preact/hooks';
import { api, currentCsrfToken, errorMessage } from '../api/http.ts';
import { accessActionName, accessPurposeName, catalogueName, type ClientReportView, type EmergencyAccessRow, type LogSearchRow } from '../../../shared/src/disclosures.ts';
import { disclosureCatalogue, type DisclosureCatalogue } from '../conference/disclose.ts';
import { validateHetu } from '../../../shared/src/hetu.ts';
import { formatTime, language, organisationName, t } from '../i18n/index.ts';
import { errorText } from '../i18n/errors.ts';
import { ErrorText, TableHead } from '../components/common.tsx';

interface VerifyView {
  log: 'access' | 'disclosure';
  ok: boolean;
  entries?: number;
  checkpoints?: number;
  firstBad?: { seq: number; reason: string };
}

export function AuditView() {
  const [id, setId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [report, setReport] = useState<ClientReportView>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [verify, setVerify] = useState<VerifyView[]>([]);

  useEffect(() => {
    Promise.all((['access', 'disclosure'] as const).map((log) => api<VerifyView>('GET', `/api/disclosures/logs/${log}/verify`))).then(setVerify, (err: unknown) => setError(errorMessage(err)));
  }, []);

  const input = () => {
    const trimmed = id.trim().toUpperCase();
    const check = validateHetu(trimmed);
    return {
      client: check.valid ? { hetu: check.hetu } : { applicationId: id.trim() },
      ...(from ? { from: new Date(from).toISOString() } : {}),
      ...(to ? { to: new Date(to).toISOString() } : {}),
      language: language.value,
    };
  };
  const run = async (e?: Event) => {
    e?.preventDefault();
    setBusy(true);
    setError('');
    try {
      setReport(await api<ClientReportView>('POST', '/api/disclosures/client-report', { ...input(), format: 'json' }));
    } catch (err) {
      setReport(undefined);
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  // The report's names are in the language it was run in: run it again when the reader changes language.
  useEffect(() => {
    if (report) void run();
  }, [language.value]);
  const download = async (format: 'csv' | 'html') => {
    setError('');
    const res = await fetch('/api/disclosures/client-report', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': currentCsrfToken() },
      body: JSON.stringify({ ...input(), format }),
      credentials: 'same-origin',
    });
    if (!res.ok) return setError(errorText(((await res.json().catch(() => ({}))) as { error?: string }).error ?? '', res.status));
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = format === 'csv' ? 'asiakasraportti.csv' : 'asiakasraportti.html';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <>
      <h1 tabIndex={-1}>{t('audit.title')}</h1>
      <section aria-labelledby="verify-title" class="panel">
        <h2 id="verify-title">{t('audit.chains')}</h2>
        <ul class="list">
          {verify.map((v) => (
            <li class={v.ok ? 'ok-text' : 'field-error'}>
              {t(`audit.log.${v.log}`)}: {v.ok ? t('audit.verified', { entries: v.entries ?? 0, checkpoints: v.checkpoints ?? 0 }) : t('audit.broken', { seq: v.firstBad?.seq ?? 0, reason: v.firstBad?.reason ?? '' })}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="report-title" class="panel">
        <h2 id="report-title">{t('audit.report')}</h2>
        <p class="hint">{t('audit.reportHint')}</p>
        <form onSubmit={run} autocomplete="off">
          <label for="audit-client">{t('audit.client')}</label>
          <input id="audit-client" required spellcheck={false} value={id} onInput={(e) => setId(e.currentTarget.value)} />
          <label for="audit-from">{t('audit.from')}</label>
          <input id="audit-from" type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          <label for="audit-to">{t('audit.to')}</label>
          <input id="audit-to" type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {t('audit.run')}
            </button>
            <button type="button" disabled={!report} onClick={() => void download('csv')}>
              {t('audit.csv')}
            </button>
            <button type="button" disabled={!report} onClick={() => void download('html')}>
              {t('audit.html')}
            </button>
          </div>
        </form>
        <ErrorText message={error} />
        {report && (
          <div aria-live="polite" class="report">
            <p>{t('audit.period', { from: formatTime(report.period.from), to: formatTime(report.period.to) })}</p>
            <h3>{t('audit.accesses', { n: report.accesses.length })}</h3>
            <table>
              <caption class="visually-hidden">{t('audit.accesses', { n: report.accesses.length })}</caption>
              <TableHead columns={[t('rules.when'), t('rules.who'), t('audit.action'), t('audit.purpose')]} />
              <tbody>
                {report.accesses.map((a) => (
                  <tr>
                    <td>{formatTime(a.at)}</td>
                    <td>
                      {a.actor.displayName}, {organisationName(a.actor)}
                    </td>
                    <td>{a.actionName}</td>
                    <td>{a.purposeName}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>{t('audit.disclosures', { n: report.disclosures.length })}</h3>
            <table>
              <caption class="visually-hidden">{t('audit.disclosures', { n: report.disclosures.length })}</caption>
              <TableHead columns={[t('rules.when'), t('audit.discloser'), t('audit.recipients'), t('disclose.categories'), t('disclose.basis')]} />
              <tbody>
                {report.disclosures.map((d) => (
                  <tr>
                    <td>{formatTime(d.at)}</td>
                    <td>
                      {d.discloser.displayName}, {organisationName(d.discloser)}
                    </td>
                    <td>{d.recipients.map((r) => `${r.displayName}, ${organisationName(r)}`).join('; ')}</td>
                    <td>{d.categoryNames.join(', ')}</td>
                    <td>{d.basisName}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <EmergencyAccess />
      <LogSearch />
    </>
  );
}

/** Reads without a task relation (emergency reads, admins' rule verification with a real client) by the own organisation's staff, with their reasons. */
export function EmergencyAccess() {
  const [rows, setRows] = useState<EmergencyAccessRow[]>();
  const [error, setError] = useState('');
  useEffect(() => {
    api<EmergencyAccessRow[]>('GET', '/api/audit/emergency-access').then(setRows, (err: unknown) => setError(errorMessage(err)));
  }, []);
  return (
    <section aria-labelledby="emergency-title" class="panel">
      <h2 id="emergency-title">{t('audit.emergency')}</h2>
      <p class="hint">{t('audit.emergencyHint')}</p>
      <ErrorText message={error} />
      {rows && rows.length === 0 && <p>{t('audit.emergencyNone')}</p>}
      {rows && rows.length > 0 && (
        <table class="emergency-access">
          <caption class="visually-hidden">{t('audit.emergency')}</caption>
          <TableHead columns={[t('rules.when'), t('rules.who'), t('audit.clientId'), t('audit.action'), t('audit.reason')]} />
          <tbody>
            {rows.map((r) => (
              <tr>
                <td>{formatTime(r.at)}</td>
                <td>
                  {r.reader.displayName}, {organisationName(r.reader)}
                </td>
                <td>
                  <code>{r.clientId}</code>
                </td>
                <td>{t(r.action === 'client.read.rule_verification' ? 'audit.emergencyRuleVerification' : 'audit.emergencyRead')}</td>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Search of either log by client, person, organisation and period. */
export function LogSearch() {
  const [log, setLog] = useState<'access' | 'disclosure'>('disclosure');
  const [client, setClient] = useState('');
  const [staffId, setStaffId] = useState('');
  const [organisationId, setOrganisationId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [rows, setRows] = useState<LogSearchRow[]>();
  const [error, setError] = useState('');
  const [catalogue, setCatalogue] = useState<DisclosureCatalogue>();
  useEffect(() => {
    disclosureCatalogue().then(setCatalogue, () => undefined);
  }, []);
  const nameOf = (code: string, list: DisclosureCatalogue['categories'] | undefined) => catalogueName(code, list?.find((x) => x.code === code), language.value);
  const search = async (e: Event) => {
    e.preventDefault();
    setError('');
    const id = client.trim().toUpperCase();
    const check = id ? validateHetu(id) : undefined;
    try {
      setRows(
        await api<LogSearchRow[]>('POST', '/api/disclosures/logs/search', {
          log,
          ...(id ? { client: check?.valid ? { hetu: check.hetu } : { applicationId: client.trim() } } : {}),
          ...(staffId.trim() ? { staffId: staffId.trim() } : {}),
          ...(organisationId.trim() ? { organisationId: organisationId.trim() } : {}),
          ...(from ? { from: new Date(from).toISOString() } : {}),
          ...(to ? { to: new Date(to).toISOString() } : {}),
        }),
      );
    } catch (err) {
      setRows(undefined);
      setError(errorMessage(err));
    }
  };
  return (
    <section aria-labelledby="search-title" class="panel">
      <h2 id="search-title">{t('audit.search')}</h2>
      <form onSubmit={search} autocomplete="off" class="row">
        <label for="search-log">{t('audit.logKind')}</label>
        <select id="search-log" value={log} onChange={(e) => setLog(e.currentTarget.value as 'access' | 'disclosure')}>
          <option value="disclosure">{t('audit.log.disclosure')}</option>
          <option value="access">{t('audit.log.access')}</option>
        </select>
        <label for="search-client">{t('audit.client')}</label>
        <input id="search-client" spellcheck={false} value={client} onInput={(e) => setClient(e.currentTarget.value)} />
        <label for="search-person">{t('audit.person')}</label>
        <input id="search-person" value={staffId} onInput={(e) => setStaffId(e.currentTarget.value)} />
        <label for="search-org">{t('audit.organisation')}</label>
        <input id="search-org" value={organisationId} onInput={(e) => setOrganisationId(e.currentTarget.value)} />
        <label for="search-from">{t('audit.from')}</label>
        <input id="search-from" type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        <label for="search-to">{t('audit.to')}</label>
        <input id="search-to" type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        <button type="submit" class="primary">
          {t('audit.searchRun')}
        </button>
      </form>
      <ErrorText message={error} />
      {rows && (
        <table class="search-results" aria-live="polite">
          <caption>{t('audit.found', { n: rows.length })}</caption>
          <TableHead columns={[t('rules.when'), t('rules.who'), t('audit.clientId'), t('rules.what')]} />
          <tbody>
            {rows.map((r) => (
              <tr class="search-row">
                <td>{formatTime(r.at)}</td>
                <td>
                  {r.person.displayName}, {organisationName(r.person)}
                </td>
                <td>
                  <code>{r.clientId}</code>
                </td>
                <td>
                  {r.action
                    ? `${accessActionName(r.action, language.value)} (${accessPurposeName(r.purpose ?? '', language.value)})`
                    : `${(r.categories ?? []).map((c) => nameOf(c, catalogue?.categories)).join(', ')} · ${nameOf(r.basis ?? '', catalogue?.bases)} → ${(r.recipients ?? []).map((x) => x.displayName || organisationName(x)).join('; ')}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
