// The README's screenshots (docs/screenshots/*.png), taken in real Chromium
// against a real server with the demo directory: the home view, a conference,
// an incoming ring, the urgent queue and the admin's rule editor, in Finnish.
// They change the files in the repository, so the suite runs only when asked:
//   SCREENSHOTS=1 npx mocha tests/browser/screenshots.test.ts
// The pages read the server's clock (the demo's weekday morning) in Helsinki time,
// so that countdowns and ages agree with it. Emoji need a colour emoji font
// (Debian: fonts-noto-color-emoji).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { fi } from '../../client/src/i18n/fi.ts';
import type { TestRinki } from '../helpers/env.ts';
import { REPO_ROOT } from '../helpers/env.ts';
import { DEMO_OPEN_AT, launchChromium, openApp, signIn, startDemoRinki, type AppPage } from '../helpers/browser.ts';

const CLIENT = '010150-900C'; // Eksote, Lappeenranta; named worker eksote.sosiaalityontekija
const DIR = path.join(REPO_ROOT, 'docs/screenshots');
const VIEWPORT = { width: 1440, height: 960 };

async function shoot(page: Page, name: string): Promise<void> {
  // The focus ring and the caret stay out of the picture.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: path.join(DIR, `${name}.png`) });
}

async function openAt(browser: Browser, url: string): Promise<AppPage> {
  const context = await browser.newContext({ locale: 'fi-FI', timezoneId: 'Europe/Helsinki', viewport: VIEWPORT });
  await context.clock.setFixedTime(DEMO_OPEN_AT);
  return openApp(browser, url, context);
}

describe('screenshots for the README', function () {
  this.timeout(300_000);
  let rinki: TestRinki;
  let browser: Browser;
  let handler: AppPage;
  let worker: AppPage;
  let onCall: AppPage;
  let admin: AppPage;

  before(async function () {
    if (!process.env.SCREENSHOTS) this.skip();
    fs.mkdirSync(DIR, { recursive: true });
    rinki = await startDemoRinki();
    browser = await launchChromium();
    [handler, worker, onCall, admin] = await Promise.all([1, 2, 3, 4].map(() => openAt(browser, rinki.url)));
    await signIn(handler, 'kela.kasittelija');
    await signIn(worker, 'eksote.sosiaalityontekija');
    await signIn(onCall, 'eksote.paivystaja');
    await signIn(admin, 'eksote.admin');
  });
  after(async () => {
    await browser?.close();
    await rinki?.cleanup();
  });

  const newRequest = async (type: string) => {
    const h = handler.page;
    await h.getByRole('navigation').getByRole('button', { name: fi['nav.newRequest'] }).click();
    await h.locator('#hetu').fill(CLIENT);
    await h.locator('#type').selectOption(type);
  };

  it('an incoming ring, with who asks and why it rings here', async () => {
    await newRequest('konsultaatio');
    await handler.page.getByRole('button', { name: fi['request.submit'] }).click();
    const ring = worker.page.locator('li.ring');
    await ring.waitFor({ timeout: 30_000 });
    await shoot(worker.page, 'ring');
  });

  it('a conference: the encrypted conversation with each sender’s organisation', async () => {
    const w = worker.page;
    const h = handler.page;
    await w.locator('li.ring button.primary').click();
    await w.locator('form.composer').waitFor();
    await h.getByRole('button', { name: fi['request.openConference'] }).click();
    await h.locator('form.composer').waitFor();
    const say = async (from: Page, to: Page, text: string) => {
      await from.locator('#message').fill(text);
      await from.locator('#message').press('Enter');
      await to.locator('ol.messages').getByText(text).waitFor({ timeout: 30_000 });
    };
    await say(h, w, 'Hei! Asiakkaalla on vireillä perustoimeentulotukihakemus. Onko teillä tiedossa muutoksia asumiskuluihin?');
    await say(w, h, 'Hei, vuokra nousi marraskuussa. Lähetän vuokrasopimuksen tiedot lausuntona tänään.');
    await say(h, w, 'Kiitos, odotan lausuntoa. Merkitsen hakemukseen lisäselvityksen.');
    await shoot(h, 'conference');
  });

  it('the home view: my conferences, requests and presence', async () => {
    const h = handler.page;
    await h.getByRole('navigation').getByRole('button', { name: fi['nav.home'] }).click();
    await h.locator('main h1').waitFor();
    await shoot(h, 'home');
  });

  it('the urgent queue of the on-call social worker', async () => {
    await newRequest('lisaselvityspyynto');
    const h = handler.page;
    await h.getByLabel(fi['urgency.urgent'], { exact: true }).check();
    await h.locator('fieldset').filter({ hasText: fi['request.criteria'] }).locator('input[type=checkbox]').first().check();
    await h.getByRole('button', { name: fi['request.submit'] }).click();
    const o = onCall.page;
    await o.getByRole('navigation').getByRole('button', { name: fi['nav.urgent'] }).click();
    await o.locator('ul.urgent-items li').first().waitFor({ timeout: 30_000 });
    await shoot(o, 'urgent-queue');
  });

  it('the admin’s rule editor with a simulation', async () => {
    const a = admin.page;
    await a.getByRole('navigation').getByRole('button', { name: fi['nav.admin'] }).click();
    await a.getByRole('tab', { name: fi['admin.tab.rules'] }).click();
    await a.locator('fieldset.filter').first().waitFor();
    await a.locator('#sim-municipality').selectOption('405'); // Lappeenranta
    await a.locator('#sim-named-workers').fill('eksote.sosiaalityontekija');
    await a.locator('#sim-type').selectOption('konsultaatio');
    await a.locator('#sim-requester').selectOption('kela-etelainen');
    await a.getByRole('button', { name: fi['sim.run'] }).click();
    await a.locator('.sim-result').waitFor();
    // Tall enough for the tabs, the simulation and the first rules.
    await a.setViewportSize({ width: VIEWPORT.width, height: 1900 });
    await a.evaluate(() => window.scrollTo(0, 0));
    await shoot(a, 'rule-editor');
  });
});
