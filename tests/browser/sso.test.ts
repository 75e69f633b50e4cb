// Signing in to the browser app through the organisation's identity provider
// (a real oidc-provider process): the app opens signed in, with its encrypted
// Matrix session from the same sign-in (m.login.token), never asking for Matrix.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { ManualClock } from '../helpers/api.ts';
import { startTestRinki, type TestRinki } from '../helpers/env.ts';
import { BROWSER_SESSION_ENV, ensureClientBuilt, expectAccessible, launchChromium, openApp } from '../helpers/browser.ts';
import { freePort, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.ts';

const OPEN_AT = Date.parse('2026-11-25T08:00:00Z');

describe('browser app: single sign-on', function () {
  this.timeout(180_000);
  let rinki: TestRinki;
  let idp: TestOidcProvider;
  let browser: Browser;

  before(async () => {
    ensureClientBuilt();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({
      redirectUris: [`${base}/api/auth/oidc/eksote-idp/callback`],
      accounts: [
        { sub: 'idp-sosiaalityontekija', email: 'sosiaalityontekija@eksote.example', email_verified: true },
        { sub: 'idp-stranger', email: 'stranger@eksote.example', email_verified: true },
      ],
    });
    rinki = await startTestRinki({
      store: 'postgres',
      clock: new ManualClock(OPEN_AT),
      env: {
        PORT: String(port),
        PUBLIC_URL: base,
        DEMO_DATA: 'true',
        ...BROWSER_SESSION_ENV,
        OIDC_PROVIDERS: JSON.stringify([{ id: 'eksote-idp', name: 'Eksote', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, organisationId: 'eksote' }]),
      },
    });
    await rinki.deps.db.query(`UPDATE staff SET email = 'sosiaalityontekija@eksote.example' WHERE id = 'eksote.sosiaalityontekija'`);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await rinki?.cleanup();
    await idp?.stop();
  });

  it('signs in through the identity provider and opens the app with its encrypted session', async () => {
    const app = await openApp(browser, rinki.url);
    const page = app.page;
    await page.getByRole('link', { name: 'Kirjaudu: Eksote' }).click();
    // The test provider's interaction page signs in the account the URL names.
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
    const url = new URL(page.url());
    url.searchParams.set('account', 'idp-sosiaalityontekija');
    await page.goto(url.toString());
    await page.waitForURL((u) => u.origin === new URL(rinki.url).origin && u.pathname === '/');
    await page.locator('header.top').getByText('Anna Sosiaalityöntekijä').or(page.locator('header.top .who')).first().waitFor();
    await page.waitForFunction(() => !document.querySelector('.banner.info') && !document.querySelector('.banner.warn') && !!document.querySelector('main h1'), undefined, { timeout: 60_000 });
    const who = await page.locator('header.top .who').innerText();
    const [me] = await rinki.deps.db.query<{ display_name: string }>(`SELECT display_name FROM staff WHERE id = 'eksote.sosiaalityontekija'`);
    expect(who).to.equal(me.display_name);
    const [{ n }] = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM matrix_devices WHERE staff_id = 'eksote.sosiaalityontekija'`);
    expect(n).to.equal(1);
    await expectAccessible(page, 'home after SSO');
  });

  it('a person the provider knows but Rinki does not is refused and told so on the sign-in page', async () => {
    const app = await openApp(browser, rinki.url);
    const page = app.page;
    await page.getByRole('link', { name: 'Kirjaudu: Eksote' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
    const url = new URL(page.url());
    url.searchParams.set('account', 'idp-stranger');
    await page.goto(url.toString());
    await page.getByText('Kirjautuminen organisaation tunnistuspalvelussa ei onnistunut.').waitFor();
    expect(await page.locator('header.top').count()).to.equal(0);
  });
});
