// The entry: the sign-in view when nobody is signed in; otherwise the signed-in
// app (signed-in.tsx), which is loaded only then. The sign-in view thus ships
// without matrix-js-sdk, its crypto WebAssembly, Socket.IO and the other views.
import { signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, ApiError, setCsrfToken } from './api/http.ts';
import type { SignedIn } from './api/types.ts';
import { t } from './i18n/index.ts';
import { session } from './state.ts';
import { SignInView } from './views/SignIn.tsx';

type SignedInApp = typeof import('./signed-in.tsx');
const signedInApp = signal<SignedInApp | undefined>(undefined);
let signedInAppLoad: Promise<SignedInApp> | undefined;

/**
 * Loads the signed-in app once; a failed load (network) is tried again on the
 * next call. The crypto WebAssembly, the largest download, starts at the same
 * time: it is compiled while it streams in, beside the app's code and the first
 * API calls, and matrix-js-sdk finds it ready.
 */
export function loadSignedInApp(): Promise<SignedInApp> {
  if (signedInAppLoad) return signedInAppLoad;
  void import('@matrix-org/matrix-sdk-crypto-wasm').then((wasm) => wasm.initAsync()).catch(() => undefined);
  signedInAppLoad = import('./signed-in.tsx').then(
    (m) => (signedInApp.value = m),
    (err: unknown) => {
      signedInAppLoad = undefined;
      throw err;
    },
  );
  return signedInAppLoad;
}

export async function loadSession(): Promise<void> {
  try {
    const me = await api<SignedIn>('GET', '/api/auth/me');
    setCsrfToken(me.csrfToken);
    const app = await loadSignedInApp();
    session.value = me;
    app.startSignedIn(me);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) session.value = null;
    else throw err;
  }
}

export function App() {
  useEffect(() => {
    loadSession().catch(() => (session.value = null));
  }, []);

  const Shell = signedInApp.value?.Shell;
  if (session.value === undefined) return <p class="loading" role="status">{t('app.loading')}</p>;
  if (session.value === null || !Shell) return <SignInView />;
  return <Shell />;
}
