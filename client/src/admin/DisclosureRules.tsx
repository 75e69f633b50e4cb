// Which legal basis allows which data categories, with effective dates: the
// matrix every disclosure is judged against. Kela's administrators add
// versions from a date on; everyone else reads it.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { LegalBasisView } from '../api/types.ts';
import { formatTime, localName, t } from '../i18n/index.ts';
import { session } from '../state.ts';
import { ErrorText } from '../components/common.tsx';

interface Catalogue {
  categories: { code: string; nameFi: string; nameSv: string }[];
  bases: (LegalBasisView & { effectiveFrom: string })[];
}

export function DisclosureRules() {
  const [cat, setCat] = useState<Catalogue>();
  const [editing, setEditing] = useState<{ code: string; allows: string[]; effectiveFrom: string }>();
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const load = () => api<Catalogue>('GET', '/api/legal-bases').then(setCat, (err: unknown) => setError(errorMessage(err)));
  useEffect(() => void load(), []);
  const me = session.value!.user;
  const canEdit = me.organisationKind === 'kela' && me.roles.some((r) => r.role === 'admin');
  if (!cat) return <p role="status">{t('app.loading')}</p>;

  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    const basis = cat.bases.find((b) => b.code === editing.code)!;
    setError('');
    try {
      await api('PUT', `/api/legal-bases/${editing.code}`, {
        requiresConsent: basis.requiresConsent,
        allows: editing.allows,
        nameFi: basis.nameFi,
        nameSv: basis.nameSv,
        effectiveFrom: new Date(editing.effectiveFrom).toISOString(),
      });
      setMessage(t('disclosureRules.saved', { name: localName(basis) }));
      setEditing(undefined);
      await load();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <section aria-labelledby="dr-title" class="panel">
      <h3 id="dr-title">{t('admin.tab.disclosure')}</h3>
      {message && <p role="status">{message}</p>}
      <ErrorText message={error} />
      <div class="matrix-wrap" tabIndex={0} role="region" aria-label={t('disclosureRules.caption')}>
        <table class="matrix">
          <caption>{t('disclosureRules.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('disclose.basis')}</th>
              {cat.categories.map((c) => (
                <th scope="col">{localName(c)}</th>
              ))}
              <th scope="col">{t('disclosureRules.from')}</th>
            </tr>
          </thead>
          <tbody>
            {cat.bases.map((b) => (
              <tr>
                <th scope="row">
                  {localName(b)}
                  {b.requiresConsent && <span class="muted"> ({t('disclosureRules.consent')})</span>}
                  {canEdit && (
                    <>
                      {' '}
                      <button type="button" class="small" onClick={() => setEditing({ code: b.code, allows: [...b.allows], effectiveFrom: '' })}>
                        {t('disclosureRules.edit', { name: localName(b) })}
                      </button>
                    </>
                  )}
                </th>
                {cat.categories.map((c) => (
                  <td class={b.allows.includes(c.code) ? 'yes' : 'no'}>{b.allows.includes(c.code) ? t('rules.yes') : '—'}</td>
                ))}
                <td>{formatTime(b.effectiveFrom)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing && (
        <form onSubmit={save} class="panel">
          <fieldset>
            <legend>{t('disclosureRules.allows', { name: editing.code })}</legend>
            {cat.categories.map((c) => (
              <label class="block">
                <input
                  type="checkbox"
                  checked={editing.allows.includes(c.code)}
                  onChange={(e) => setEditing({ ...editing, allows: e.currentTarget.checked ? [...editing.allows, c.code] : editing.allows.filter((x) => x !== c.code) })}
                />{' '}
                {localName(c)}
              </label>
            ))}
          </fieldset>
          <label for="dr-from">{t('disclosureRules.from')}</label>
          <input id="dr-from" type="datetime-local" required value={editing.effectiveFrom} onInput={(e) => setEditing({ ...editing, effectiveFrom: e.currentTarget.value })} />
          <div class="actions">
            <button type="submit" class="primary">
              {t('rules.save')}
            </button>
            <button type="button" onClick={() => setEditing(undefined)}>
              {t('item.cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
