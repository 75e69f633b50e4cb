// The urgent queue in the browser: a Kela handler's urgent request lands in
// the client's county's queue, escalates when nobody takes it (the server's
// clock is moved by the test), is claimed and assessed not urgent by the
// on-call social worker, and the requester's organisation is told.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { ManualClock } from '../helpers/api.ts';
import type { TestRinki } from '../helpers/env.ts';
import { DEMO_OPEN_AT, expectReadable, launchChromium, openApp, signIn, startDemoRinki, type AppPage } from '../helpers/browser.ts';

const CLIENT = '010150-900C'; // Eksote

describe('browser app: the urgent queue', function () {
  this.timeout(240_000);
  let rinki: TestRinki;
  let clock: ManualClock;
  let browser: Browser;
  let handler: AppPage;
  let onCall: AppPage;
  let colleague: AppPage;

  before(async () => {
    clock = new ManualClock(DEMO_OPEN_AT);
    rinki = await startDemoRinki(clock);
    browser = await launchChromium();
    [handler, onCall, colleague] = await Promise.all([openApp(browser, rinki.url), openApp(browser, rinki.url), openApp(browser, rinki.url)]);
    await signIn(handler, 'kela.kasittelija');
    await signIn(onCall, 'eksote.paivystaja');
    await signIn(colleague, 'kela.yhteyshenkilo'); // same Kela district as the requester
  });
  after(async () => {
    await browser?.close();
    await rinki?.cleanup();
  });

  it('an urgent request goes to the queue, escalates after its delay, is claimed and assessed not urgent; the requester and their organisation see the notice', async () => {
    const h = handler.page;
    await h.getByRole('button', { name: 'Uusi pyyntö', exact: true }).click();
    await h.locator('#hetu').fill(CLIENT);
    await h.locator('#type').selectOption('lisaselvityspyynto');
    await h.getByLabel('Kiireellinen', { exact: true }).check();
    await h.getByLabel('Ei ruokaa tai välttämättömiä lääkkeitä tänään').check();
    await expectReadable(h, 'urgent request form');
    await h.getByRole('button', { name: 'Etsi oikea henkilö ja soita' }).click();
    await h.getByText('Pyyntö siirtyi kiireellisten jonoon.').waitFor();

    // The first escalation level (the on-call team) is alerted at once, on whatever view they are.
    const o = onCall.page;
    const alert = o.locator('section.alerts li').filter({ hasText: 'eskaloitu tasolle 1' });
    await alert.waitFor({ timeout: 30_000 });
    await expectReadable(o, 'escalation alert on the home view');
    await alert.getByRole('button', { name: 'Näytä jonossa' }).click();
    const item = o.locator('ul.urgent-items li').filter({ hasText: 'Lisäselvityspyyntö' });
    await item.waitFor({ timeout: 30_000 });
    // Under load the item was once read before its criteria showed: wait for them, then read the item.
    await item.filter({ hasText: 'Ei ruokaa tai välttämättömiä lääkkeitä tänään' }).waitFor({ timeout: 30_000 });
    expect(await item.innerText()).to.contain('Ei ruokaa tai välttämättömiä lääkkeitä tänään');
    await item.getByText(/Eskalaatiotaso 1/).waitFor();
    await o.getByText(/Päivystää nyt: .*Päivi Päivystäjä/).waitFor();
    await expectReadable(o, 'urgent queue');

    // Nobody claims it for ten minutes: the next level (the supervisor) is alerted, and the queue shows the new level live.
    clock.advance(11 * 60_000);
    await rinki.timers.tick();
    await item.getByText(/Eskalaatiotaso 2/).waitFor({ timeout: 30_000 });

    await item.getByRole('button', { name: 'Ota hoitoon' }).click();
    await item.getByRole('button', { name: 'Arvioi ei-kiireelliseksi' }).waitFor();
    await alert.waitFor({ state: 'detached' }); // taken: the alert has done its work
    await expectReadable(o, 'urgent item claimed');
    await item.getByRole('button', { name: 'Arvioi ei-kiireelliseksi' }).click();

    await h.locator('section.notices').getByText('Kiireellisyysarvio: Lisäselvityspyyntö arvioitiin ei-kiireelliseksi.').waitFor({ timeout: 30_000 });
    await colleague.page.locator('section.notices').getByText(/arvioitiin ei-kiireelliseksi/).waitFor({ timeout: 30_000 });
    await expectReadable(h, 'notice');

    const [row] = await rinki.deps.db.query<{ state: string; assessment: string }>(`SELECT state, assessment FROM urgent_items`);
    expect(row).to.deep.include({ state: 'claimed', assessment: 'not_urgent' });
  });

  it('a caseworker without the on-call role has no queue, and the API refuses it', async () => {
    expect(await handler.page.getByRole('button', { name: 'Kiireellisten jono' }).count()).to.equal(0);
    const status = await handler.page.evaluate(async () => (await fetch('/api/urgent/regions/eksote/queue')).status);
    expect(status).to.be.oneOf([403, 404]);
  });
});
