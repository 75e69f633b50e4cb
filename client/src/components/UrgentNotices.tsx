// Urgent-queue news shown on every view: escalation alerts that reached me
// ('urgent:escalation', until the item is taken or dismissed), and an on-call
// worker's assessment told to the requester and their organisation
// ('urgent:assessed', until dismissed).
import { t } from '../i18n/index.ts';
import { requestTypeName } from '../i18n/words.ts';
import { escalationAlerts, myRequests, navigate, notices } from '../state.ts';

export function UrgentNotices() {
  return (
    <>
      <EscalationAlerts />
      <AssessmentNotices />
    </>
  );
}

function EscalationAlerts() {
  if (!escalationAlerts.value.length) return null;
  return (
    <section class="alerts" aria-labelledby="alerts-title">
      <h2 id="alerts-title" class="visually-hidden">
        {t('urgent.alerts')}
      </h2>
      <ul>
        {escalationAlerts.value.map((a) => (
          <li key={a.itemId} class="banner warn">
            <span role="alert">{t('urgent.escalated', { level: a.level })}</span>{' '}
            <button type="button" onClick={() => navigate({ name: 'urgent', region: a.region })}>
              {t('urgent.showQueue')}
            </button>{' '}
            <button type="button" onClick={() => (escalationAlerts.value = escalationAlerts.value.filter((x) => x.itemId !== a.itemId))}>
              {t('app.dismiss')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function AssessmentNotices() {
  if (!notices.value.length) return null;
  return (
    <section class="notices" aria-labelledby="notices-title">
      <h2 id="notices-title" class="visually-hidden">
        {t('urgent.notices')}
      </h2>
      <ul>
        {notices.value.map((n) => {
          const request = myRequests.value.find((r) => r.requestId === n.routingRequestId);
          return (
            <li key={n.itemId}>
              <span role="status">{t('urgent.notice', { type: request ? requestTypeName(request.requestType) : t('type.kiireellinen'), assessment: t(`urgent.assessment.${n.assessment}`) })}</span>{' '}
              <button type="button" onClick={() => (notices.value = notices.value.filter((x) => x.itemId !== n.itemId))}>
                {t('app.dismiss')}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
