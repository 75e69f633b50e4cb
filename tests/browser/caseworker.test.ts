// The caseworker's browser app end to end: real Chromium, two browser
// contexts (a Kela handler and a county social worker), a real Rinki server
// with the demo directory, matrix-js-sdk's Rust crypto in the pages.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import type { TestRinki } from '../helpers/env.ts';
import { expectReadable, launchChromium, openApp, signIn, tablesContaining, startDemoRinki, type AppPage } from '../helpers/browser.ts';

const CLIENT = '010150-900C'; // Eksote, named worker eksote.sosiaalityontekija

describe('browser app: a request rings the named worker and the two talk end-to-end encrypted', function () {
  this.timeout(240_000);
  let rinki: TestRinki;
  let browser: Browser;
  let handler: AppPage;
  let worker: AppPage;

  before(async () => {
    rinki = await startDemoRinki();
    browser = await launchChromium();
    handler = await openApp(browser, rinki.url);
    worker = await openApp(browser, rinki.url);
  });
  after(async () => {
    await browser?.close();
    await rinki?.cleanup();
  });

  it('signs both in (the sign-in view passes axe-core)', async () => {
    await expectReadable(handler.page, 'sign-in');
    await signIn(handler, 'kela.kasittelija');
    await signIn(worker, 'eksote.sosiaalityontekija');
    await expectReadable(handler.page, 'home');
  });

  it('the handler asks; the named worker is rung, sees why, and accepts', async () => {
    const h = handler.page;
    await h.getByRole('button', { name: 'Uusi pyyntö', exact: true }).click();
    await h.locator('#hetu').fill('010150-900X');
    await h.getByText('Tarkistusmerkki ei täsmää.').waitFor();
    await h.locator('#hetu').fill(CLIENT);
    await h.getByText('Henkilötunnus on oikeanmuotoinen.').waitFor();
    await expectReadable(h, 'new request');
    await h.locator('#type').selectOption('konsultaatio');
    await h.getByRole('button', { name: 'Etsi oikea henkilö ja soita' }).click();
    await h.getByText(/Soi nyt: /).waitFor();
    await expectReadable(h, 'request progress');

    const w = worker.page;
    const ring = w.locator('li.ring');
    await ring.waitFor({ timeout: 30_000 });
    expect(await ring.innerText()).to.contain('asiakkaan nimetty työntekijä');
    await expectReadable(w, 'incoming ring');
    await ring.getByRole('button', { name: 'Vastaa' }).click();
    await w.getByRole('heading', { name: 'Konsultaatio' }).waitFor();

    await h.getByText(/Vastasi: /).waitFor();
    await h.getByRole('button', { name: 'Avaa neuvottelu' }).click();
    await h.getByRole('heading', { name: 'Konsultaatio' }).waitFor();
  });

  const fromHandler = 'Tarvitsen lausunnon asumiskuluista, kiitos';
  const fromWorker = 'Lähetän lausunnon huomenna aamupäivällä';

  it('both send and read encrypted messages; the server stores no plaintext', async () => {
    const h = handler.page;
    const w = worker.page;
    await w.locator('#message').fill(fromWorker);
    await w.getByRole('button', { name: 'Lähetä', exact: true }).click();
    await h.locator('ol.messages').getByText(fromWorker).waitFor({ timeout: 30_000 });
    await h.locator('#message').fill(fromHandler);
    await h.locator('#message').press('Enter');
    await w.locator('ol.messages').getByText(fromHandler).waitFor({ timeout: 30_000 });
    await expectReadable(w, 'conference');

    const [{ n }] = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM matrix_events WHERE type = 'm.room.encrypted'`);
    expect(n).to.be.at.least(2);
    expect(await tablesContaining(rinki.deps.db, [fromHandler, fromWorker, 'asumiskuluista'])).to.deep.equal([]);
  });

  it('shows typing and read receipts', async () => {
    await worker.page.locator('#message').pressSequentially('Hetki', { delay: 20 });
    await handler.page.getByText(/kirjoittaa…/).waitFor({ timeout: 30_000 });
    await worker.page.locator('#message').fill('');
    // The worker has the handler's message open: the handler sees it read.
    await handler.page.getByText(/Luettu: /).waitFor({ timeout: 30_000 });
  });

  it("verifies the other participant's device with emoji", async () => {
    const h = handler.page;
    const w = worker.page;
    await h.locator('ul.members li').filter({ hasText: 'Varmenna laite' }).getByRole('button', { name: 'Varmenna laite' }).click();
    await w.getByRole('button', { name: 'Aloita varmennus' }).click({ timeout: 30_000 });
    await h.locator('ol.emoji').waitFor({ timeout: 30_000 });
    await w.locator('ol.emoji').waitFor({ timeout: 30_000 });
    await expectReadable(w, 'emoji verification');
    const [hs, ws] = [await h.locator('ol.emoji').innerText(), await w.locator('ol.emoji').innerText()];
    expect(hs).to.equal(ws);
    expect(hs.split('\n').filter(Boolean).length).to.be.at.least(7);
    await h.locator('section.verification').getByRole('button', { name: 'Ne täsmäävät' }).click();
    await w.locator('section.verification').getByRole('button', { name: 'Ne täsmäävät' }).click();
    await h.getByText('Laite varmennettu.').waitFor({ timeout: 30_000 });
    await w.getByText('Laite varmennettu.').waitFor({ timeout: 30_000 });
    await h.locator('section.verification').getByRole('button', { name: 'Sulje' }).click();
    await w.locator('section.verification').getByRole('button', { name: 'Sulje' }).click();
  });

  it('says when the connection drops and comes back by itself', async () => {
    const h = handler.page;
    await handler.context.setOffline(true);
    await h.getByText('Yhteys katkesi. Yhdistetään uudelleen…').waitFor({ timeout: 30_000 });
    await handler.context.setOffline(false);
    await h.getByText('Yhteys palautui.').waitFor({ timeout: 30_000 });
  });

  it('the requester tells the counterpart who the client is inside the encrypted conference', async () => {
    await worker.page.locator('.client-line').getByText(`Asiakas: ${CLIENT}`).waitFor({ timeout: 30_000 });
    await handler.page.locator('.client-line').getByText(`Asiakas: ${CLIENT}`).waitFor();
  });

  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% Lausunto asiakkaan asumisesta\n%%EOF\n');
  const conclusion = 'Asumiskulut ovat kohtuulliset ja välttämättömät';

  it('the social worker sends a lausunto with a PDF; the handler reads it and opens the attachment; the disclosure is logged', async () => {
    const w = worker.page;
    await w.locator('#item-kind').selectOption('lausunto');
    await w.locator('#item-purpose').fill('Toimeentulotuen asumismenot');
    await w.locator('#item-reasons').fill('Asiakas asuu yksin vuokra-asunnossa');
    await w.locator('#item-conclusion').fill(conclusion);
    await w.locator('#item-files').setInputFiles({ name: 'lausunto.pdf', mimeType: 'application/pdf', buffer: pdf });
    await w.getByRole('button', { name: 'Jatka lähettämään' }).click();
    await w.locator('#disclose-basis').waitFor();
    await expectReadable(w, 'disclosure prompt');
    await w.locator('#disclose-basis').selectOption('totul_18');
    await w.getByRole('button', { name: 'Kirjaa luovutus ja lähetä' }).click();

    const h = handler.page;
    const item = h.locator('ol.messages li').filter({ hasText: conclusion });
    await item.waitFor({ timeout: 30_000 });
    expect(await item.innerText()).to.contain('Lausunto');
    const [download] = await Promise.all([h.waitForEvent('download'), item.getByRole('button', { name: 'Avaa lausunto.pdf' }).click()]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path).equals(pdf)).to.equal(true);

    const disclosures = await rinki.deps.db.query<{ basis: string; categories: string[]; conference_id: string | null; discloser_id: string }>(
      `SELECT basis, categories, conference_id, discloser_id FROM disclosures WHERE discloser_id = 'eksote.sosiaalityontekija' AND 'statement' = ANY(categories)`,
    );
    expect(disclosures).to.have.length(1);
    expect(disclosures[0].basis).to.equal('totul_18');
    expect(disclosures[0].categories).to.include.members(['identity', 'statement', 'attachment']);
    expect(disclosures[0].conference_id).to.match(/^!/);
    expect(await tablesContaining(rinki.deps.db, [conclusion, 'Lausunto asiakkaan asumisesta'])).to.deep.equal([]);
  });

  it('a disclosure the basis does not allow is refused, shown in plain words, and nothing is sent', async () => {
    const w = worker.page;
    const before = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM matrix_events`);
    await w.locator('#item-kind').selectOption('lausunto');
    await w.locator('#item-purpose').fill('Terveydentila');
    await w.locator('#item-reasons').fill('Ei lähetetä');
    await w.locator('#item-conclusion').fill('Tämän ei pidä lähteä');
    await w.getByRole('button', { name: 'Jatka lähettämään' }).click();
    await w.locator('input[name=category][value=health]').check();
    await w.locator('#disclose-basis').selectOption('shl_35');
    await w.getByRole('button', { name: 'Kirjaa luovutus ja lähetä' }).click();
    const alert = w.locator('section.disclosure .error');
    await alert.waitFor();
    expect(await alert.innerText()).to.match(/Luovutus estettiin eikä mitään lähetetty: valittu peruste ei salli/);
    const after = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM matrix_events`);
    expect(after[0].n).to.equal(before[0].n);
    const [{ n }] = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM disclosures WHERE basis = 'shl_35'`);
    expect(n).to.equal(0);
    await w.getByRole('button', { name: 'Peruuta' }).click();
  });

  const note = 'Soittakaa iltapäivällä, asiakas on tavattavissa klo 14 jälkeen';

  it('nobody is available: the requester leaves a callback with an encrypted note; the owner claims it, reads the note, completes it; the requester sees it', async () => {
    const h = handler.page;
    const w = worker.page;
    await w.locator('fieldset.presence select').first().selectOption('away');
    await w.waitForFunction(() => (document.querySelector('fieldset.presence select') as HTMLSelectElement).value === 'away');

    await h.getByRole('button', { name: 'Uusi pyyntö', exact: true }).click();
    await h.locator('#hetu').fill(CLIENT);
    await h.locator('#type').selectOption('lisaselvityspyynto');
    await h.getByRole('button', { name: 'Etsi oikea henkilö ja soita' }).click();
    await h.getByText('Takaisinsoittopyyntö jätettiin.').waitFor();
    await expectReadable(h, 'callback left');
    await h.locator('#cb-note').fill(note);
    await h.locator('form.callback').getByRole('button', { name: 'Lähetä' }).click();
    await h.locator('.callback-status').getByText('Avoin').waitFor();
    // The requester reloads before anyone claims it: the note waits, encrypted, and the request is still there.
    await h.reload();
    await h.locator('header.top').waitFor();
    await h.waitForFunction(() => !document.querySelector('.banner.info'), undefined, { timeout: 60_000 });
    await h.locator('#req-title ~ ul').getByRole('button', { name: 'Lisäselvityspyyntö' }).first().click();
    await h.locator('.callback-status').getByText('Avoin').waitFor();

    await w.getByRole('button', { name: 'Etusivu', exact: true }).click();
    const item = w.locator('li.callback-item').filter({ hasText: 'Lisäselvityspyyntö' });
    await item.waitFor({ timeout: 30_000 });
    await expectReadable(w, 'home with a callback');
    await item.getByRole('button', { name: 'Ota hoitoon' }).click();
    await h.locator('.callback-status').getByText('Otettu hoitoon').waitFor();
    await item.getByRole('button', { name: 'Avaa viesti' }).click();
    await w.locator('ol.messages').getByText(note).waitFor({ timeout: 30_000 });
    await w.getByRole('button', { name: 'Takaisin etusivulle' }).click();
    await w.locator('li.callback-item').filter({ hasText: 'Lisäselvityspyyntö' }).getByRole('button', { name: 'Merkitse hoidetuksi' }).click();
    await h.locator('.callback-status').getByText('Hoidettu').waitFor();
    expect(await tablesContaining(rinki.deps.db, [note])).to.deep.equal([]);
    await w.locator('fieldset.presence select').first().selectOption('available');
  });

  it('the county moves a concern notification on; Kela sees its feedback status live', async () => {
    const h = handler.page;
    const w = worker.page;
    await h.getByRole('button', { name: 'Etusivu', exact: true }).click();
    await w.getByRole('button', { name: 'Etusivu', exact: true }).click();
    const reached = h.locator('li.concern-item').filter({ hasText: 'Asiakas tavoitettu' });
    const before = await reached.count();
    const first = w.locator('li.concern-item').first();
    await first.waitFor();
    await first.getByRole('combobox').selectOption('client_reached');
    await first.getByRole('button', { name: 'Tallenna tila' }).click();
    await h.waitForFunction((n) => document.querySelectorAll('li.concern-item').length > 0 && Array.from(document.querySelectorAll("li.concern-item")).filter((li) => li.textContent?.includes("Asiakas tavoitettu")).length > n, before, { timeout: 30_000 });
    await expectReadable(h, 'home with concerns');
  });

  it('keeps the identity code and the messages out of the URL, localStorage and the console', async () => {
    for (const app of [handler, worker]) {
      const url = app.page.url();
      const stored = await app.page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
      for (const secret of [CLIENT, fromHandler, fromWorker, note]) {
        expect(url).not.to.contain(secret);
        expect(stored).not.to.contain(secret);
        expect(app.console.join('\n')).not.to.contain(secret);
      }
    }
  });
});
