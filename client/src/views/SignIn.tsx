// Sign-in: a local account, or the organisation's identity provider (SSO).
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/http.ts';
import { loadSession, loadSignedInApp } from '../app.tsx';
import { t } from '../i18n/index.ts';
import { LanguagePicker } from '../components/LanguagePicker.tsx';

export function SignInView() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<{ id: string; name: string }[]>([]);
  const ssoFailed = new URLSearchParams(location.search).has('signInError');

  useEffect(() => {
    api<{ providers: { id: string; name: string }[] }>('GET', '/api/auth/providers').then((r) => setProviders(r.providers), () => undefined);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    // The signed-in app's code and the crypto WebAssembly load while the password is checked
    // (a slow hash by design) and the session read; a refused password has only cost a download.
    void loadSignedInApp().catch(() => undefined);
    try {
      await api('POST', '/api/auth/login', { username, password });
      setPassword('');
      await loadSession();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429 ? t('signIn.limited') : t('signIn.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <div class="sign-in-lang">
        <LanguagePicker />
      </div>
      <h1 tabIndex={-1}>{t('signIn.title')}</h1>
      {(error || ssoFailed) && (
        <p class="error" role="alert">
          {error || t('signIn.ssoFailed')}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="username">{t('signIn.username')}</label>
        <input id="username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="password">{t('signIn.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy}>
          {t('signIn.submit')}
        </button>
      </form>
      {providers.length > 0 && (
        <div class="sso">
          <p>{t('signIn.or')}</p>
          {providers.map((p) => (
            <a class="button" href={`/api/auth/oidc/${encodeURIComponent(p.id)}/login?returnTo=/`}>
              {t('signIn.sso', { name: p.name })}
            </a>
          ))}
        </div>
      )}
    </main>
  );
}
