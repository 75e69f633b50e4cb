// The urgent queue for on-call staff: the region's items live, with age,
// criteria, SLA countdown and escalation level; claim, assess, resolve.
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/http.ts';
import { realtimeSocket } from '../api/realtime.ts';
import type { UrgencyCriterionView, UrgentItemView } from '../api/types.ts';
import type { StaffView } from '../../../shared/src/directory.ts';
import { formatTime, localName, t } from '../i18n/index.ts';
import { requestTypeName } from '../i18n/words.ts';
import { ackErrorText } from '../i18n/errors.ts';
import { escalationAlerts, session } from '../state.ts';
import { ErrorText } from '../components/common.tsx';

export function UrgentQueueView({ region: wanted }: { region?: string }) {
  const me = session.value!.user;
  const [regions, setRegions] = useState<{ id: string; name: string }[]>([]);
  const [region, setRegion] = useState('');
  const [items, setItems] = useState<UrgentItemView[]>([]);
  const [error, setError] = useState('');
  const [now, setNow] = useState(Date.now());
  const [criteria, setCriteria] = useState<UrgencyCriterionView[]>([]);
  const [chosen, setChosen] = useState<Record<string, string[]>>({});
  const [onCallNow, setOnCallNow] = useState<string[]>([]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    api<{ id: string; kind: string; nameFi: string; nameSv: string }[]>('GET', '/api/organisations').then((orgs) => {
      // County staff work their own county's queue; Kela's on-call staff choose a county.
      const counties = orgs.filter((o) => o.kind === 'county').map((o) => ({ id: o.id, name: localName(o) }));
      const own = counties.filter((c) => c.id === me.rootOrganisationId);
      const list = own.length ? own : counties;
      setRegions(list);
      // An escalation alert opens the queue of its region.
      const first = list.find((c) => c.id === wanted) ?? list[0];
      if (first) setRegion(first.id);
    }, () => undefined);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (!region) return;
    const socket = realtimeSocket();
    const subscribe = () =>
      socket?.emit('urgent:subscribe', { region }, (ack: { ok: boolean; items?: UrgentItemView[]; status?: number; code?: string }) => {
        if (ack.ok) setItems(ack.items ?? []);
        else setError(ackErrorText(ack));
      });
    const changed = (item: UrgentItemView) => {
      if (item.region !== region) return;
      // Someone took it: its escalation alert has done its work.
      if (item.state !== 'waiting') escalationAlerts.value = escalationAlerts.value.filter((a) => a.itemId !== item.id);
      setItems((prev) => (item.state === 'resolved' ? prev.filter((x) => x.id !== item.id) : [item, ...prev.filter((x) => x.id !== item.id)]));
    };
    subscribe();
    // Who is on call now: the region's on-call people who are signed in and not away.
    api<StaffView[]>('GET', `/api/staff?organisationId=${encodeURIComponent(region)}`)
      .then(async (staff) => {
        const onCallStaff = staff.filter((p) => p.active && p.roles.some((r) => r.role === 'on_call')).slice(0, 100);
        if (!onCallStaff.length) return setOnCallNow([]);
        const { presence } = await api<{ presence: { staffId: string; status: string }[] }>('GET', `/api/presence?staffIds=${onCallStaff.map((p) => encodeURIComponent(p.id)).join(',')}`);
        const present = new Set(presence.filter((p) => p.status === 'available' || p.status === 'busy').map((p) => p.staffId));
        setOnCallNow(onCallStaff.filter((p) => present.has(p.id)).map((p) => p.displayName));
      })
      .catch(() => undefined);
    api<UrgencyCriterionView[]>('GET', `/api/urgent/regions/${region}/criteria`).then(setCriteria, () => undefined);
    socket?.on('connect', subscribe);
    socket?.on('urgent:changed', changed);
    return () => {
      socket?.off('connect', subscribe);
      socket?.off('urgent:changed', changed);
    };
  }, [region]);

  const act = async (item: UrgentItemView, action: string, body: unknown = {}) => {
    setError('');
    try {
      const updated = await api<UrgentItemView>('POST', `/api/urgent/items/${item.id}/${action}`, body);
      setItems((prev) => (updated.state === 'resolved' ? prev.filter((x) => x.id !== updated.id) : prev.map((x) => (x.id === updated.id ? updated : x))));
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const sorted = [...items].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return (
    <>
      <h1 tabIndex={-1}>{t('urgent.title')}</h1>
      {regions.length > 1 && (
        <label class="inline">
          {t('urgent.title')}{' '}
          <select value={region} onChange={(e) => setRegion(e.currentTarget.value)}>
            {regions.map((r) => (
              <option value={r.id}>{r.name}</option>
            ))}
          </select>
        </label>
      )}
      {regions.length === 0 && <p class="empty">{t('urgent.noRegion')}</p>}
      {onCallNow.length > 0 && <p>{t('urgent.onCall', { names: onCallNow.join(', ') })}</p>}
      <ErrorText message={error} />
      {sorted.length === 0 ? (
        <p class="empty">{t('urgent.empty')}</p>
      ) : (
        <ul class="list urgent-items">
          {sorted.map((i) => {
            const ageMin = Math.floor((now - Date.parse(i.createdAt)) / 60_000);
            const slaLeft = Math.round((Date.parse(i.sla.acknowledge.dueAt) - now) / 1000);
            return (
              <li key={i.id} class={`sla-${i.sla.acknowledge.state}`}>
                <strong>{requestTypeName(i.requestType)}</strong> · {i.requester.displayName} · {t('urgent.age', { minutes: ageMin })}
                {i.escalationLevel !== null && <> · {t('urgent.level', { level: i.escalationLevel })}</>}
                <div class="muted">
                  {i.criteria.map((code) => {
                    const c = criteria.find((x) => x.code === code);
                    return c ? localName(c) : code;
                  }).join(', ')}{' '}
                  · SLA {slaLeft > 0 ? `${Math.floor(slaLeft / 60)}:${String(slaLeft % 60).padStart(2, '0')}` : formatTime(i.sla.acknowledge.dueAt)}
                  {i.owner && <> · {i.owner.displayName}</>}
                </div>
                <div class="actions">
                  {i.state === 'waiting' && (
                    <button type="button" class="primary" onClick={() => act(i, 'claim')}>
                      {t('urgent.claim')}
                    </button>
                  )}
                  {i.state === 'claimed' && i.owner?.staffId === me.id && (
                    <>
                      <fieldset class="assess">
                        <legend>{t('urgent.criteriaFound')}</legend>
                        {criteria.map((c) => {
                          const picked = chosen[i.id] ?? i.criteria;
                          return (
                            <label class="block">
                              <input
                                type="checkbox"
                                checked={picked.includes(c.code)}
                                onChange={(e) => setChosen({ ...chosen, [i.id]: e.currentTarget.checked ? [...picked, c.code] : picked.filter((x) => x !== c.code) })}
                              />{' '}
                              {localName(c)}
                            </label>
                          );
                        })}
                      </fieldset>
                      <button type="button" onClick={() => act(i, 'assess', { assessment: 'urgent', criteria: chosen[i.id] ?? i.criteria })}>
                        {t('urgent.assessUrgent')}
                      </button>
                      <button type="button" onClick={() => act(i, 'assess', { assessment: 'not_urgent', criteria: chosen[i.id] ?? i.criteria })}>
                        {t('urgent.assessNotUrgent')}
                      </button>
                      <button type="button" onClick={() => act(i, 'resolve')}>
                        {t('urgent.resolve')}
                      </button>
                    </>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
