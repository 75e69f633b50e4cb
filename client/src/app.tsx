// The shell: sign-in when nobody is signed in; otherwise the header, the
// connection banner, incoming rings (on every view, never missed) and the view.
import { useEffect } from 'preact/hooks';
import { api, ApiError, setCsrfToken } from './api/http.ts';
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
import { SignInView } from './views/SignIn.tsx';
import { HomeView } from './views/Home.tsx';
import { NewRequestView } from './views/NewRequest.tsx';
import { ConferenceView } from './views/Conference.tsx';
import { UrgentQueueView } from './views/UrgentQueue.tsx';
import { AdminView } from './admin/AdminView.tsx';
import { AuditView } from './audit/AuditView.tsx';

export async function loadSession(): Promise<void> {
  try {
    const me = await api<SignedIn>('GET', '/api/auth/me');
    setCsrfToken(me.csrfToken);
    session.value = me;
    connectRealtime();
    void startMatrix(me.user.id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) session.value = null;
    else throw err;
  }
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

export function App() {
  useEffect(() => {
    loadSession().catch(() => (session.value = null));
  }, []);

  if (session.value === undefined) return <p class="loading" role="status">{t('app.loading')}</p>;
  if (session.value === null) return <SignInView />;

  const v = view.value;
  return (
    <Shell view={v} />
  );
}

function Shell({ view: v }: { view: ReturnType<typeof view.peek> }) {
  useIncomingVerification();
  void matrixState.value;
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
