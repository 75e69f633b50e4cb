// Named contacts per municipality: the county's contact persons and Kela's
// liaisons, whom routing rings by relation. An admin assigns their own
// organisation's people; a county without named contacts simply has none.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import type { MunicipalityView, StaffView } from '../../../shared/src/directory.ts';
import { localName, t } from '../i18n/index.ts';
import { ErrorText, TableHead } from '../components/common.tsx';

export function ContactsAdmin({ organisationId, countyId }: { organisationId: string; countyId?: string }) {
  const [municipalities, setMunicipalities] = useState<MunicipalityView[]>([]);
  const [people, setPeople] = useState<StaffView[]>([]);
  const [error, setError] = useState('');
  const load = async () => {
    const list = await api<MunicipalityView[]>('GET', `/api/municipalities${countyId ? `?countyId=${encodeURIComponent(countyId)}` : ''}`);
    setMunicipalities(await Promise.all(list.slice(0, 60).map((m) => api<MunicipalityView>('GET', `/api/municipalities/${m.code}`))));
  };
  useEffect(() => {
    void load().catch((err: unknown) => setError(errorMessage(err)));
    api<StaffView[]>('GET', `/api/staff?organisationId=${encodeURIComponent(organisationId)}`).then((l) => setPeople(l.filter((p) => p.active)), () => undefined);
  }, [organisationId, countyId]);
  const kind = countyId ? 'contact' : 'liaison';
  const run = async (what: () => Promise<unknown>) => {
    setError('');
    try {
      await what();
      await load();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <section aria-labelledby="contacts-title" class="panel">
      <h3 id="contacts-title">{t(countyId ? 'contacts.titleCounty' : 'contacts.titleKela')}</h3>
      <ErrorText message={error} />
      <table>
        <caption class="visually-hidden">{t(countyId ? 'contacts.titleCounty' : 'contacts.titleKela')}</caption>
        <TableHead columns={[t('contacts.municipality'), t('contacts.people'), t('contacts.add')]} />
        <tbody>
          {municipalities.map((m) => {
            const mine = (m.contacts ?? []).filter((c) => c.kind === kind);
            const id = `contact-${m.code}`;
            return (
              <tr>
                <td>{localName(m)}</td>
                <td>
                  {mine.length === 0 && <span class="muted">—</span>}
                  {mine.map((c) => (
                    <span class="tag">
                      {c.displayName}{' '}
                      <button type="button" class="small" onClick={() => run(() => api('DELETE', `/api/municipalities/${m.code}/contacts/${encodeURIComponent(c.staffId)}/${kind}`))}>
                        {t('contacts.remove', { name: c.displayName })}
                      </button>
                    </span>
                  ))}
                </td>
                <td>
                  <label class="visually-hidden" for={id}>
                    {t('contacts.addTo', { name: localName(m) })}
                  </label>
                  <select
                    id={id}
                    value=""
                    onChange={(e) => {
                      const staffId = e.currentTarget.value;
                      if (staffId) void run(() => api('POST', `/api/municipalities/${m.code}/contacts`, { staffId, kind }));
                    }}
                  >
                    <option value="">—</option>
                    {people
                      .filter((p) => !mine.some((c) => c.staffId === p.id))
                      .map((p) => (
                        <option value={p.id}>{p.displayName}</option>
                      ))}
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
