// Incoming rings, above every view: what the basis allows before accepting,
// why I am rung, how long it still rings; accept, or decline with a reason.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorMessage } from '../api/http.ts';
import type { RingOfferView, RingRequestView } from '../api/types.ts';
import { DECLINE_REASONS } from '../../../shared/src/ringing.ts';
import { localName, organisationName, t } from '../i18n/index.ts';
import { requestTypeName, whyYou } from '../i18n/words.ts';
import { navigate, offers } from '../state.ts';
import { ErrorText } from './common.tsx';

export function IncomingRings() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  // Offers leave by the server's word (ring:offer-ended), not by this computer's clock, which may be off.
  const live = offers.value;
  if (!live.length) return null;
  return (
    <section class="rings" aria-labelledby="rings-title">
      <h2 id="rings-title">{t('home.offers')}</h2>
      <ul>
        {live.map((o) => (
          <OfferCard key={o.offerId} offer={o} now={now} />
        ))}
      </ul>
    </section>
  );
}

function OfferCard({ offer, now }: { offer: RingOfferView; now: number }) {
  const [reason, setReason] = useState<string>(DECLINE_REASONS[0]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const seconds = Math.max(0, Math.round((Date.parse(offer.expiresAt) - now) / 1000));
  const drop = () => (offers.value = offers.value.filter((o) => o.offerId !== offer.offerId));

  const accept = async () => {
    setBusy(true);
    try {
      const r = await api<RingRequestView>('POST', `/api/ringing/offers/${offer.offerId}/accept`, {});
      drop();
      if (r.roomId) navigate({ name: 'conference', roomId: r.roomId });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 409 ? t('offer.taken') : errorMessage(err));
      setTimeout(drop, 4_000);
    } finally {
      setBusy(false);
    }
  };
  const decline = async () => {
    setBusy(true);
    try {
      await api('POST', `/api/ringing/offers/${offer.offerId}/decline`, { reason });
      drop();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const id = `offer-${offer.offerId}`;
  return (
    <li class={`ring ${offer.urgency === 'urgent' ? 'urgent' : ''}`}>
      <div role="alert" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>
        {offer.urgency === 'urgent' && <span class="tag urgent">{t('offer.urgent')}</span>}{' '}
        {t('offer.title', { type: requestTypeName(offer.requestType), name: offer.requester.displayName, org: organisationName(offer.requester) })}
      </h3>
      {offer.municipality && <p>{t('offer.municipality', { name: localName(offer.municipality) })}</p>}
      <p>{t('offer.why', { why: whyYou(offer.why) })}</p>
      <p class="muted">{t('offer.expires', { seconds })}</p>
      <ErrorText message={error} />
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={accept}>
          {t('offer.accept')}
        </button>
        <label class="inline">
          {t('offer.declineReason')}{' '}
          <select value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
            {DECLINE_REASONS.map((r) => (
              <option value={r}>{t(`decline.${r}`)}</option>
            ))}
          </select>
        </label>
        <button type="button" disabled={busy} onClick={decline}>
          {t('offer.decline')}
        </button>
      </div>
      </div>
    </li>
  );
}
