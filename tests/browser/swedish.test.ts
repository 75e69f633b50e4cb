// The same flows in Swedish: a Swedish-speaking Kela handler and an
// Ostrobothnia social worker, every view checked with axe-core.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import type { TestRinki } from '../helpers/env.ts';
import { expectReadable, launchChromium, openApp, signIn, tablesContaining, startDemoRinki, type AppPage } from '../helpers/browser.ts';

const CLIENT = '080250-902S'; // Pohjanmaa, Swedish; named worker pohjanmaa.socialarbetare

describe('browser app in Swedish', function () {
  this.timeout(240_000);
  let rinki: TestRinki;
  let browser: Browser;
  let handler: AppPage;
  let worker: AppPage;

  before(async () => {
    rinki = await startDemoRinki();
    browser = await launchChromium();
    [handler, worker] = await Promise.all([openApp(browser, rinki.url), openApp(browser, rinki.url)]);
  });
  after(async () => {
    await browser?.close();
    await rinki?.cleanup();
  });

  it('the sign-in page switches to Swedish and both sign in', async () => {
    for (const app of [handler, worker]) {
      await app.page.getByLabel('Kieli').selectOption('sv');
      await app.page.getByRole('heading', { name: 'Logga in i Rinki' }).waitFor();
      expect(await app.page.evaluate(() => document.documentElement.lang)).to.equal('sv');
    }
    await expectReadable(handler.page, 'sign-in (sv)');
    await signIn(handler, 'kela.ruotsi');
    await signIn(worker, 'pohjanmaa.socialarbetare');
    await handler.page.getByRole('heading', { name: 'Startsida' }).waitFor();
    await expectReadable(handler.page, 'home (sv)');
  });

  it('a request rings the named worker, who accepts; they exchange encrypted messages and a statement', async () => {
    const h = handler.page;
    await h.getByRole('button', { name: 'Ny förfrågan', exact: true }).click();
    await h.locator('#hetu').fill(CLIENT);
    await h.getByText('Personbeteckningen har rätt form.').waitFor();
    await h.locator('#type').selectOption('lausuntopyynto');
    await h.locator('#language').selectOption('sv');
    await expectReadable(h, 'new request (sv)');
    await h.getByRole('button', { name: 'Hitta rätt person och ring' }).click();
    await h.getByText(/Ringer nu: /).waitFor();
    await expectReadable(h, 'progress (sv)');

    const w = worker.page;
    const ring = w.locator('li.ring');
    await ring.waitFor({ timeout: 30_000 });
    expect(await ring.innerText()).to.contain('Begäran om utlåtande');
    expect(await ring.innerText()).to.contain('klientens namngivna arbetstagare');
    await expectReadable(w, 'incoming ring (sv)');
    await ring.getByRole('button', { name: 'Svara' }).click();
    await w.getByRole('heading', { name: 'Begäran om utlåtande' }).waitFor();
    await h.getByRole('button', { name: 'Öppna samrådet' }).click();
    await w.locator('.client-line').getByText(`Klient: ${CLIENT}`).waitFor({ timeout: 30_000 });

    const message = 'Hej, jag behöver ert utlåtande om boendekostnaderna';
    await h.locator('#message').fill(message);
    await h.getByRole('button', { name: 'Skicka', exact: true }).click();
    await w.locator('ol.messages').getByText(message).waitFor({ timeout: 30_000 });
    await expectReadable(w, 'conference (sv)');

    await w.locator('#item-kind').selectOption('lausunto');
    await w.locator('#item-purpose').fill('Boendekostnader');
    await w.locator('#item-reasons').fill('Klienten bor ensam');
    await w.locator('#item-conclusion').fill('Kostnaderna är skäliga');
    await expectReadable(w, 'statement form (sv)');
    await w.getByRole('button', { name: 'Fortsätt till sändning' }).click();
    await w.locator('#disclose-basis').waitFor();
    await expectReadable(w, 'disclosure prompt (sv)');
    await w.getByRole('button', { name: 'Registrera utlämnandet och skicka' }).click();
    await h.locator('ol.messages li').filter({ hasText: 'Kostnaderna är skäliga' }).getByText('Utlåtande').waitFor({ timeout: 30_000 });
    expect(await tablesContaining(rinki.deps.db, [message, 'Kostnaderna är skäliga'])).to.deep.equal([]);
  });

  it('a refused disclosure is explained in Swedish', async () => {
    const w = worker.page;
    await w.locator('#item-kind').selectOption('paatostieto');
    await w.locator('#item-outcome').selectOption('negative');
    await w.locator('#item-decisionDate').fill('2026-11-20');
    await w.getByRole('button', { name: 'Fortsätt till sändning' }).click();
    await w.locator('#disclose-basis').selectOption('shl_35');
    await w.getByRole('button', { name: 'Registrera utlämnandet och skicka' }).click();
    await w.locator('section.disclosure .error').getByText(/Utlämnandet stoppades och inget skickades: den valda grunden tillåter inte/).waitFor();
  });
});
