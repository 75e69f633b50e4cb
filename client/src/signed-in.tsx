// The signed-in app, loaded by app.tsx after sign-in: the header, the
// connection banner, incoming rings (on every view, never missed) and the view;
// the realtime channel and the Matrix session start here.
import { api, setCsrfToken } from './api/http.ts';
import { connectRealtime, disconnectRealtime } from './api/realtime.ts';
import type { SignedIn } from './api/types.ts';
import { t } from './i18n/index.ts';
import { matrixError, matrixState, startMatrix, stopMatrix } from './matrix/session.ts';
import { callbacks, concerns, connection, escalationAlerts, myRequests, navigate, notices, offers, session, view } from './state.ts';
import { Header } from './components/Header.tsx';
import { IncomingRings } from './components/IncomingRings.tsx';
import { UrgentNotices } from './components/UrgentNotices.tsx';
import { clearDirectoryCache } from './api/directory.ts';
import { useIncomingVerification, VerificationPanel } from './conference/Verification.tsx';
import { HomeView } from './views/Home.tsx';
import { NewRequestView } from './views/NewRequest.tsx';
import { ConferenceView } from './views/Conference.tsx';
import { UrgentQueueView } from './views/UrgentQueue.tsx';
import { AdminView } from './admin/AdminView.tsx';
import { AuditView } from './audit/AuditView.tsx';

export function startSignedIn(me: SignedIn): void {
  connectRealtime();
  void startMatrix(me.user.id);
}

export async function signOut(): Promise<void> {
  const me = session.value;
  if (me) await stopMatrix(me.user.id);
  await api('POST', '/api/auth/logout').catch(() => undefined);
  disconnectRealtime();
  setCsrfToken(undefined);
  offers.value = [];
  myRequests.value = [];
  callbacks.value = [];
  notices.value = [];
  escalationAlerts.value = [];
  concerns.value = [];
  clearDirectoryCache();
  session.value = null;
  navigate({ name: 'home' });
}

export function Shell() {
  useIncomingVerification();
  void matrixState.value;
  const v = view.value;
  return (
    <>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <Header />
      <div class="banners" role="status" aria-live="polite">
        {connection.value === 'offline' && <p class="banner warn">{t('conn.offline')}</p>}
        {connection.value === 'restored' && <p class="banner ok">{t('conn.restored')}</p>}
        {matrixState.value === 'starting' && <p class="banner info">{t('conn.matrixStarting')}</p>}
        {matrixState.value === 'failed' && <p class="banner warn">{t('conn.matrixFailed', { message: matrixError.value })}</p>}
      </div>
      <IncomingRings />
      <UrgentNotices />
      <VerificationPanel />
      <main id="main">
        {v.name === 'home' && <HomeView />}
        {v.name === 'request' && <NewRequestView requestId={v.requestId} />}
        {v.name === 'conference' && <ConferenceView roomId={v.roomId} />}
        {v.name === 'urgent' && <UrgentQueueView region={v.region} />}
        {v.name === 'admin' && <AdminView />}
        {v.name === 'audit' && <AuditView />}
      </main>
    </>
  );
}
