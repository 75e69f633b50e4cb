// Everything changed in this organisation through the console, and its
// routing rule history: who, when, what.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import { formatTime, t, textOr } from '../i18n/index.ts';
import { ErrorText, PersonName, TableHead } from '../components/common.tsx';

interface Change {
  at: string;
  actorId: string | null;
  kind: string;
  target: string;
  action: string;
  details: Record<string, unknown>;
}

export function ChangeHistory({ organisationId }: { organisationId: string }) {
  const [changes, setChanges] = useState<Change[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    api<Change[]>('GET', `/api/admin/changes?organisationId=${encodeURIComponent(organisationId)}`).then(setChanges, (err: unknown) => setError(errorMessage(err)));
  }, [organisationId]);
  return (
    <section aria-labelledby="changes-title" class="panel">
      <h3 id="changes-title">{t('rules.history')}</h3>
      <ErrorText message={error} />
      {changes.length === 0 ? (
        <p class="empty">{t('changes.empty')}</p>
      ) : (
        <table class="changes">
          <caption class="visually-hidden">{t('rules.history')}</caption>
          <TableHead columns={[t('rules.when'), t('rules.who'), t('changes.kind'), t('rules.what'), t('changes.details')]} />
          <tbody>
            {changes.map((c) => (
              <tr class="change">
                <td>{formatTime(c.at)}</td>
                <td>{c.actorId ? <PersonName staffId={c.actorId} /> : '—'}</td>
                <td>{textOr(`changes.kind.${c.kind}`, 'changes.kind.other')}</td>
                <td>
                  <code>{c.target}</code>: {textOr(`changes.action.${c.action}`, 'changes.action.other')}
                </td>
                <td>
                  <code class="details">{JSON.stringify(c.details).slice(0, 160)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
