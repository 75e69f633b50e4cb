// The admin console in real Chromium against a real server with the demo
// directory: a county admin records a stand-in, simulates and publishes
// routing, is stopped by an invalid rule, rolls back; another county's rules,
// people and queue stay out of reach; CSV import previews every bad row; the
// auditor's report downloads; axe-core on every admin view in fi and sv.
import fs from 'node:fs';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { ManualClock } from '../helpers/api.ts';
import type { TestRinki } from '../helpers/env.ts';
import { DEMO_OPEN_AT, expectAccessible, expectReadable, expectWords, launchChromium, openApp, signIn, startDemoRinki, type AppPage } from '../helpers/browser.ts';

const CLIENT = '010150-900C'; // Eksote; named worker eksote.sosiaalityontekija
const MUNICIPALITY = '405'; // Lappeenranta, CLIENT's municipality
const NAMED_WORKER = 'eksote.sosiaalityontekija';

describe('admin console', function () {
  this.timeout(300_000);
  let rinki: TestRinki;
  let clock: ManualClock;
  let browser: Browser;
  let admin: AppPage;
  let handler: AppPage;
  let standIn: AppPage;

  before(async () => {
    clock = new ManualClock(DEMO_OPEN_AT);
    rinki = await startDemoRinki(clock);
    browser = await launchChromium();
    [admin, handler, standIn] = await Promise.all([openApp(browser, rinki.url), openApp(browser, rinki.url), openApp(browser, rinki.url)]);
    await Promise.all([signIn(admin, 'eksote.admin'), signIn(handler, 'kela.kasittelija'), signIn(standIn, 'eksote.paivystaja')]);
  });
  after(async () => {
    await browser?.close();
    await rinki?.cleanup();
  });

  const tab = (page: Page, name: string) => page.getByRole('tab', { name }).click();
  /** A made-up client like CLIENT (Lappeenranta, named worker eksote.sosiaalityontekija): the simulation reads no client record. */
  const simulate = async (page: Page) => {
    await page.locator('#sim-municipality').selectOption(MUNICIPALITY);
    await page.locator('#sim-named-workers').fill(NAMED_WORKER);
    await page.locator('#sim-type').selectOption('konsultaatio');
    await page.locator('#sim-requester').selectOption('kela-etelainen');
    await page.getByRole('button', { name: 'Simuloi' }).click();
    await page.locator('.sim-result').waitFor();
    return page.locator('.sim-result').innerText();
  };
  const request = async () => {
    const h = handler.page;
    await h.getByRole('navigation').getByRole('button', { name: 'Uusi pyyntö' }).click();
    await h.locator('#hetu').fill(CLIENT);
    await h.locator('#type').selectOption('konsultaatio');
    await h.getByRole('button', { name: 'Etsi oikea henkilö ja soita' }).click();
    await h.locator('.progress [role=status]').waitFor();
  };

  it('adds a stand-in for the absent named worker, simulates and sees the stand-in ring, publishes; a real request rings the stand-in', async () => {
    const a = admin.page;
    await a.getByRole('button', { name: 'Ylläpito' }).click();
    await a.getByText('Alue: Etelä-Karjalan hyvinvointialue').or(a.getByText(/^Alue: /)).first().waitFor();
    await tab(a, 'Henkilöt ja poissaolot');
    const row = a.locator('table.people tr').filter({ hasText: 'Anna Sosiaalityöntekijä' }).or(a.locator('table.people tr').filter({ has: a.getByRole('button', { name: /Poissaolot: .*Sosiaalityöntekijä/ }) }));
    await a.getByRole('button', { name: /^Poissaolot: .*Sosiaalityöntekijä/ }).first().click();
    void row;
    const form = a.locator('.absences form');
    await form.locator('input[type=datetime-local]').first().fill('2026-11-24T08:00');
    await form.locator('input[type=datetime-local]').nth(1).fill('2026-12-05T16:00');
    await form.locator('select').nth(1).selectOption('eksote.paivystaja');
    await expectAccessible(a, 'people with absences');
    await form.getByRole('button', { name: 'Lisää poissaolo' }).click();
    await a.locator('.absences li').filter({ hasText: 'Päivi Päivystäjä' }).waitFor();

    await tab(a, 'Ohjaussäännöt');
    await a.locator('fieldset.filter').first().waitFor();
    const result = await simulate(a);
    expect(result).to.match(/Soi: Päivi Päivystäjä/);
    // The admin reads who stands in for whom; "you are the stand-in" is for the stand-in's own ring.
    expect(result).to.match(/Päivi Päivystäjä — sijaisena henkilölle .+, joka on poissa/);
    // A made-up client: the admin read no client record.
    const [{ reads }] = await rinki.deps.db.query<{ reads: number }>(`SELECT count(*)::int AS reads FROM client_access_events WHERE actor_id = 'eksote.admin'`);
    expect(reads).to.equal(0);
    await expectReadable(a, 'rule editor with a simulation');
    await a.locator('#rules-comment').fill('Eksoten omat säännöt oletusten pohjalta');
    await a.getByRole('button', { name: 'Julkaise' }).click();
    await a.getByText(/Versio \d+ julkaistu/).waitFor();

    await request();
    const ring = standIn.page.locator('li.ring');
    await ring.waitFor({ timeout: 30_000 });
    expect(await ring.innerText()).to.contain('on poissa, sinä olet sijainen');
    await ring.getByRole('button', { name: 'Hylkää' }).click();
    await handler.page.getByRole('button', { name: 'Peru pyyntö' }).click({ timeout: 2_000 }).catch(() => undefined);
  });

  it('an invalid rule (a step with an unknown team) cannot be published; the error is shown at the step', async () => {
    const a = admin.page;
    const json = a.locator('#rules-json');
    const rules = JSON.parse(await json.inputValue()) as { filters: { id: string; steps: { select: unknown }[] }[] };
    const filter = rules.filters.find((f) => f.id === 'kela-to-county')!;
    filter.steps[0].select = { team: 'no-such-team' };
    await json.fill(JSON.stringify(rules, null, 2));
    const step = a.locator('fieldset.step.has-error');
    await step.waitFor();
    expect(await step.innerText()).to.match(/no-such-team/);
    expect(await a.getByRole('button', { name: 'Julkaise' }).isDisabled()).to.equal(true);
    await expectAccessible(a, 'rule editor with an error');
    // The API refuses the same publish and changes nothing.
    const answer = await a.evaluate(async (body) => {
      const me = await (await fetch('/api/auth/me')).json();
      const headers = { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken };
      const draft = await fetch('/api/routing/regions/eksote/rule-sets', { method: 'POST', headers, body: JSON.stringify({ body }) });
      const { version } = await draft.json();
      const pub = await fetch(`/api/routing/regions/eksote/rule-sets/${version}/publish`, { method: 'POST', headers, body: '{}' });
      return { draft: draft.status, publish: pub.status, error: await pub.json() };
    }, rules);
    expect(answer.draft).to.equal(201);
    expect(answer.publish).to.equal(400);
    expect(JSON.stringify(answer.error)).to.contain('no-such-team');
  });

  it('rollback restores the previous routing for the next request', async () => {
    const a = admin.page;
    await a.reload();
    await a.getByRole('button', { name: 'Ylläpito' }).click();
    await a.locator('#rules-json').waitFor();
    const json = a.locator('#rules-json');
    const rules = JSON.parse(await json.inputValue()) as { filters: { id: string; steps: unknown[]; final?: unknown }[] };
    const filter = rules.filters.find((f) => f.id === 'kela-to-county')!;
    filter.steps = [];
    filter.final = { action: 'refuse', reason: { fi: 'Soita Eksoten palvelunumeroon.', sv: 'Ring Eksotes servicenummer.', en: 'Call Eksote’s service line.' } };
    await json.fill(JSON.stringify(rules, null, 2));
    await a.getByText('Säännöt ovat kunnossa.').waitFor();
    await a.locator('#rules-comment').fill('Kokeilu: Kelan pyynnöt palvelunumeroon');
    await a.getByRole('button', { name: 'Julkaise' }).click();
    await a.getByText(/Versio \d+ julkaistu/).waitFor();

    await request();
    await handler.page.getByText('Pyyntöä ei voitu ohjata: Soita Eksoten palvelunumeroon.').waitFor();

    const history = a.locator('table.history');
    await expectAccessible(a, 'rule history');
    await history.getByRole('button', { name: /Palauta versio/ }).first().click();
    await a.getByText(/säännöt palautettu voimaan/).waitFor();

    await request();
    await standIn.page.locator('li.ring').waitFor({ timeout: 30_000 });
  });

  it("keeps another county's rules, people and queue out of reach, in the UI and the API", async () => {
    const a = admin.page;
    // An admin-only account starts no requests (the server refuses them): the menu does not offer one.
    expect(await a.getByRole('navigation').getByRole('button', { name: 'Uusi pyyntö' }).count()).to.equal(0);
    // One region only, named; no region choice to make.
    await tab(a, 'Ohjaussäännöt');
    await a.getByText(/^Alue: /).waitFor();
    expect(await a.getByLabel('Alue', { exact: true }).count()).to.equal(0);
    const statuses = await a.evaluate(async () => {
      const me = await (await fetch('/api/auth/me')).json();
      const headers = { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken };
      return {
        rules: (await fetch('/api/routing/regions/keusote/rule-sets')).status,
        publish: (await fetch('/api/routing/regions/keusote/rule-sets', { method: 'POST', headers, body: JSON.stringify({ body: { region: 'keusote', filters: [] } }) })).status,
        absences: (await fetch('/api/staff/keusote-1/absences')).status,
        addAbsence: (await fetch('/api/absences', { method: 'POST', headers, body: JSON.stringify({ staffId: 'keusote-1', startsAt: '2026-11-25T00:00:00Z', endsAt: '2026-11-26T00:00:00Z' }) })).status,
        person: (await fetch('/api/staff/keusote-1', { method: 'PUT', headers, body: JSON.stringify({ organisationId: 'keusote', displayName: 'X' }) })).status,
        queue: (await fetch('/api/urgent/regions/keusote/queue')).status,
        criteria: (await fetch('/api/urgent/regions/keusote/criteria', { method: 'PUT', headers, body: JSON.stringify({ criteria: [{ code: 'x', nameFi: 'x', nameSv: 'x' }] }) })).status,
      };
    });
    for (const [what, status] of Object.entries(statuses)) expect(status, what).to.be.oneOf([403, 404]);
    const [{ n }] = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM absences WHERE staff_id = 'keusote-1'`);
    expect(n).to.equal(0);
  });

  it('CSV import with two bad rows shows both and writes nothing; fixed, it imports', async () => {
    const a = admin.page;
    await tab(a, 'Henkilöt ja poissaolot');
    const bad = [
      'id,organisationId,displayName,roles,teamIds,languages',
      'eksote-uusi-1,eksote,Uusi Työntekijä,caseworker@eksote,eksote-aikuissosiaalityo,fi',
      'eksote-uusi-2,eksote,,caseworker@eksote,eksote-aikuissosiaalityo,fi',
      'eksote-uusi-3,eksote,Kolmas Työntekijä,caseworker@eksote,no-such-team,fi',
    ].join('\n');
    await a.locator('#import-kind').selectOption('staff');
    await a.locator('#import-text').fill(bad);
    await a.getByRole('button', { name: 'Esikatsele' }).click();
    await a.locator('.import-preview').waitFor();
    expect(await a.locator('tr.import-issue').count()).to.equal(2);
    const lines = await a.locator('tr.import-issue td:first-child').allInnerTexts();
    expect(lines).to.deep.equal(['3', '4']);
    expect(await a.getByRole('button', { name: 'Tuo', exact: true }).isDisabled()).to.equal(true);
    await expectAccessible(a, 'import preview');
    const count = async () => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM staff WHERE id LIKE 'eksote-uusi-%'`))[0].n;
    expect(await count()).to.equal(0);

    await a.locator('#import-text').fill(bad.replace('eksote-uusi-2,eksote,,', 'eksote-uusi-2,eksote,Toinen Työntekijä,').replace('no-such-team', 'eksote-aikuissosiaalityo'));
    await a.getByRole('button', { name: 'Esikatsele' }).click();
    await a.getByText(/Kaikki rivit kunnossa/).waitFor();
    expect(await count()).to.equal(0);
    await a.getByRole('button', { name: 'Tuo', exact: true }).click();
    await a.getByText(/^Tuotu: /).waitFor();
    expect(await count()).to.equal(3);
  });

  it("edits a person's roles, languages and callback number", async () => {
    const a = admin.page;
    await a.getByRole('button', { name: /^Muokkaa: .*Sosiaalityöntekijä/ }).first().click();
    const form = a.locator('form.staff-editor');
    await form.getByLabel('Kielet (esim. fi, sv)').fill('fi, sv');
    await form.getByLabel('Takaisinsoittonumero').fill('+358 40 123 4567');
    await form.getByLabel('Yhteyshenkilö', { exact: true }).check();
    await expectAccessible(a, 'staff editor');
    await form.getByRole('button', { name: 'Tallenna' }).click();
    await form.getByText('Tallennettu.').waitFor();
    const [row] = await rinki.deps.db.query<{ languages: string[]; callback_phone: string }>(`SELECT languages, callback_phone FROM staff WHERE id = 'eksote.sosiaalityontekija'`);
    expect(row.languages).to.deep.equal(['fi', 'sv']);
    expect(row.callback_phone).to.equal('+358 40 123 4567');
    const roles = await rinki.deps.db.query<{ role: string }>(`SELECT role FROM staff_roles WHERE staff_id = 'eksote.sosiaalityontekija' ORDER BY role`);
    expect(roles.map((r) => r.role)).to.include.members(['caseworker', 'liaison']);
    // The local account survives the edit: the person can still sign in.
    const [account] = await rinki.deps.db.query<{ username: string | null }>(`SELECT username FROM staff WHERE id = 'eksote.sosiaalityontekija'`);
    expect(account.username).to.equal('eksote.sosiaalityontekija');
  });

  it("names a municipality's contact person", async () => {
    const a = admin.page;
    const row = a.locator('section[aria-labelledby=contacts-title] tbody tr').first();
    await row.waitFor();
    await row.locator('select').selectOption('eksote.paivystaja');
    await row.getByRole('button', { name: 'Poista Päivi Päivystäjä' }).waitFor();
    const [{ n }] = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM municipality_contacts WHERE staff_id = 'eksote.paivystaja' AND kind = 'contact'`);
    expect(n).to.equal(1);
    await row.getByRole('button', { name: 'Poista Päivi Päivystäjä' }).click();
    await row.getByRole('button', { name: 'Poista Päivi Päivystäjä' }).waitFor({ state: 'detached' });
  });

  it('a holiday week: closing a team for a day shows in the simulation for that day', async () => {
    const a = admin.page;
    await tab(a, 'Henkilöt ja poissaolot');
    await a.getByRole('button', { name: /^Aukioloajat: Aikuissosiaalityö/ }).click();
    const form = a.locator('form.hours');
    await form.getByRole('button', { name: 'Lisää poikkeus' }).click();
    await form.locator('.exception input[type=date]').last().fill('2026-12-07');
    await expectAccessible(a, 'team hours');
    await form.getByRole('button', { name: 'Tallenna' }).click();
    await form.getByText('Tallennettu.').waitFor();

    await tab(a, 'Ohjaussäännöt');
    await a.locator('#sim-at').fill('2026-12-07T10:00');
    const closed = await simulate(a);
    // The team's people are left out that day (the named worker herself is also in the demo team open around the clock).
    expect(closed).to.match(/Ei soi: .+: aukioloajan ulkopuolella/);
    await a.locator('#sim-at').fill('2026-12-08T10:00');
    const open = await simulate(a);
    expect(open).not.to.match(/aukioloajan ulkopuolella/);
    // In hours that day; not signed in during the test, so left out as offline instead.
    expect(open).to.match(/Sosiaalityöntekijä: ei yhteydessä/);
  });

  it('shows who is on call over the next weeks and takes an override', async () => {
    const a = admin.page;
    await tab(a, 'Kiireellisyys ja eskalointi');
    // The region's escalation policy is shown as it is.
    await a.waitForFunction(() => (document.getElementById('esc-json') as HTMLTextAreaElement | null)?.value.includes('eksote-sosiaalipaivystys'));
    const calendar = a.locator('table.calendar');
    await calendar.getByText('Päivi Päivystäjä').first().waitFor();
    const form = a.locator('.schedule form');
    await form.locator('select').selectOption('eksote-paivystys-2');
    await form.locator('input[type=datetime-local]').first().fill('2026-11-27T08:00');
    await form.locator('input[type=datetime-local]').nth(1).fill('2026-11-28T08:00');
    await form.locator('input').last().fill('Vuoronvaihto');
    await form.getByRole('button', { name: 'Lisää poikkeus' }).click();
    await calendar.locator('tr.override').filter({ hasText: 'Vuoronvaihto' }).waitFor({ timeout: 10_000 }).catch(async (err: Error) => {
      const [row] = await rinki.deps.db.query<{ definition: unknown }>(`SELECT definition FROM oncall_schedules WHERE id = 'eksote-sosiaalipaivystys'`);
      throw new Error(`${err.message}\n${await a.locator('.schedule').innerText()}\n${JSON.stringify(row)}\n${admin.console.slice(-5).join('\n')}`);
    });
    await expectAccessible(a, 'on-call calendar');
  });

  it('records every change in the change history', async () => {
    const a = admin.page;
    await tab(a, 'Muutoshistoria');
    const table = a.locator('table.changes');
    await table.waitFor();
    const text = await table.innerText();
    for (const kind of ['Poissaolo', 'Tuonti', 'Henkilö', 'Tiimi', 'Päivystysvuorot', 'Ohjaussäännöt']) expect(text, kind).to.contain(kind);
    await expectAccessible(a, 'change history');
  });

  it('the other admin views pass axe-core in Finnish and in Swedish', async () => {
    const a = admin.page;
    for (const [lang, tabs] of [
      ['fi', ['Ohjaussäännöt', 'Henkilöt ja poissaolot', 'Kiireellisyys ja eskalointi', 'Luovutusperusteet', 'Muutoshistoria']],
      ['sv', ['Styrregler', 'Personer och frånvaro', 'Brådska och eskalering', 'Grunder för utlämnande', 'Ändringshistorik']],
    ] as const) {
      await a.locator('header.top').getByRole('combobox', { name: /Kieli|Språk/ }).selectOption(lang);
      for (const name of tabs) {
        await tab(a, name);
        await a.locator('[role=tabpanel] .panel, [role=tabpanel] .rules').first().waitFor();
        await expectReadable(a, `admin ${name} (${lang})`);
      }
    }
    await a.getByRole('tab', { name: 'Styrregler' }).click();
    await a.locator('#sim-municipality').waitFor();
    await a.locator('#sim-municipality').selectOption(MUNICIPALITY);
    await a.locator('#sim-named-workers').fill(NAMED_WORKER);
    await a.locator('#sim-requester').selectOption('kela-etelainen');
    await a.getByRole('button', { name: 'Simulera' }).click();
    await a.locator('.sim-result').getByText(/Ringer: /).first().waitFor();
    await expectWords(a, 'simulation (sv)');
    await a.locator('header.top').getByRole('combobox', { name: /Kieli|Språk/ }).selectOption('fi');
  });

  it('the auditor runs a client report in the UI and downloads the CSV; a caseworker cannot reach the auditor views', async () => {
    // The report covers up to now; the scripted events happened at the (frozen) test clock's now.
    clock.advance(60_000);
    // An emergency read by the Kela handler, listed to Kela's auditor with its reason.
    const reason = 'Asiakas soittaa, hätämajoitus tänä yönä, ei omaa käsittelijää';
    const emergency = await handler.page.evaluate(async ({ hetu, reason }) => {
      const me = await (await fetch('/api/auth/me')).json();
      return (await fetch('/api/clients/lookup', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ hetu, purpose: 'emergency', reason }) })).status;
    }, { hetu: '200150-901N', reason });
    expect(emergency).to.equal(200);
    const auditor = await openApp(browser, rinki.url);
    await signIn(auditor, 'auditor');
    const p = auditor.page;
    await p.getByRole('button', { name: 'Tarkastus' }).waitFor();
    expect(await p.getByRole('navigation').getByRole('button', { name: 'Uusi pyyntö' }).count()).to.equal(0);
    await p.getByRole('button', { name: 'Tarkastus' }).click();
    await p.locator('table.emergency-access').getByText(reason).waitFor();
    expect(await p.locator('table.emergency-access').innerText()).to.contain('Hätäkäyttö');
    await p.getByText(/Käyttöloki: ehjä/).waitFor();
    await p.getByText(/Luovutusloki: ehjä/).waitFor();
    await p.locator('#audit-client').fill(CLIENT);
    await p.getByRole('button', { name: 'Hae raportti' }).click();
    await p.locator('.report').waitFor();
    const reportText = await p.locator('.report').innerText();
    expect(reportText, reportText).to.contain('Kaisa Käsittelijä');
    await expectReadable(p, 'client report');
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Lataa CSV' }).click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv).to.contain('Kaisa Käsittelijä');
    const [{ n }] = await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM client_access_events WHERE action = 'client.report' AND actor_id = 'auditor'`);
    expect(n).to.be.at.least(2);

    await p.locator('#search-log').selectOption('access');
    await p.locator('#search-org').fill('kela-etelainen');
    await p.getByRole('button', { name: 'Hae', exact: true }).click();
    await p.locator('tr.search-row').first().waitFor();
    expect(await p.locator('table.search-results').innerText()).to.contain('Kaisa Käsittelijä');
    await expectReadable(p, 'log search');

    const h = handler.page;
    expect(await h.getByRole('button', { name: 'Tarkastus' }).count()).to.equal(0);
    expect(await h.getByRole('button', { name: 'Ylläpito' }).count()).to.equal(0);
    const status = await h.evaluate(async (hetu) => {
      const me = await (await fetch('/api/auth/me')).json();
      return (await fetch('/api/disclosures/client-report', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ client: { hetu } }) })).status;
    }, CLIENT);
    expect(status).to.equal(403);
    expect(await h.evaluate(async () => (await fetch('/api/disclosures/logs/access/verify')).status)).to.equal(403);
  });
});
