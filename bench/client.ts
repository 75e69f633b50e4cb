// npm run bench:client — the browser app as a caseworker meets it, in headless Chromium.
//
// Rinki on its embedded defaults (PGlite in a fresh directory, no Redis) with the
// demo directory, in this process, its clock on a weekday morning so that the demo
// teams are open (ringing needs an open team); Debian's Chromium through
// playwright-core on localhost. BENCH_SIGN_INS (20) times, each in a new browser
// context (empty cache, no stored keys: a first visit), the two demo caseworkers in
// turn: open the app; count what the browser received until the sign-in view is up
// and the network is quiet (CDP Network.loadingFinished encodedDataLength: bodies as
// sent, compressed, with their headers); sign in and time, in the page, from pressing
// the button to the home view being interactive (the top bar and the view's heading
// shown, the encrypted connection up); sign out, which ends the Matrix device.
// Then a Kela handler rings the county's named worker, who accepts, and the two send
// BENCH_MESSAGES (20) messages in turn: the time from pressing send to the message
// shown decrypted in the other browser (both pages read the same clock).
// The last line printed is one JSON object with the medians.
/* eslint-disable no-console */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { fi } from '../client/src/i18n/fi.ts';
import { ManualClock } from '../tests/helpers/api.ts';
import { DEMO_OPEN_AT, launchChromium, openApp, signIn, startDemoRinki, type AppPage } from '../tests/helpers/browser.ts';

const SIGN_INS = Number(process.env.BENCH_SIGN_INS ?? 20);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20);
const ACCOUNTS = ['kela.kasittelija', 'eksote.sosiaalityontekija'];
const CLIENT = '010150-900C'; // Eksote; named worker eksote.sosiaalityontekija
const TARGET_INITIAL_JS_BYTES = 250_000;
const WAIT_MS = 120_000;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

interface FirstVisit {
  signInViewMs: number;
  initialJsBytes: number;
  initialTotalBytes: number;
  interactiveMs: number;
}

/** One first visit: the sign-in view, what it cost, signing in to an interactive home view, signing out. */
async function firstVisit(browser: Browser, url: string, username: string): Promise<FirstVisit> {
  const context = await browser.newContext({ locale: 'fi-FI' });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const types = new Map<string, string>();
    const received: { type: string; bytes: number; url: string }[] = [];
    const urls = new Map<string, string>();
    cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
    cdp.on('Network.responseReceived', (e) => types.set(e.requestId, e.type));
    cdp.on('Network.loadingFinished', (e) => received.push({ type: types.get(e.requestId) ?? 'Other', bytes: e.encodedDataLength, url: urls.get(e.requestId) ?? '' }));
    await cdp.send('Network.enable');

    await page.goto(url);
    // Navigation start is the page clock's zero.
    const signInView = await page.waitForFunction(() => (document.querySelector('form button[type=submit]') ? performance.now() : 0), undefined, { polling: 'raf', timeout: WAIT_MS });
    const signInViewMs = (await signInView.jsonValue()) as number;
    await page.waitForLoadState('networkidle');
    const initial = [...received];
    const conversationLayer = initial.filter((r) => r.url.endsWith('.wasm') || /\/assets\/(signed-in|rust-crypto|matrix-sdk-crypto-wasm)-/.test(r.url));
    if (conversationLayer.length) throw new Error(`the sign-in view loaded the conversation layer: ${conversationLayer.map((r) => r.url).join(', ')}`);

    await page.locator('#username').fill(username);
    await page.locator('#password').fill('rinki-demo');
    await page.evaluate(() => {
      const w = window as unknown as { benchPressedAt?: number };
      document.querySelector('form')!.addEventListener('submit', () => (w.benchPressedAt = performance.now()), { capture: true, once: true });
    });
    await page.locator('form button[type=submit]').click();
    const home = await page.waitForFunction(
      () => {
        if (document.querySelector('.banner.warn')) return -1;
        const ready = document.querySelector('header.top') && document.querySelector('main h1') && !document.querySelector('.banner.info');
        return ready ? performance.now() - (window as unknown as { benchPressedAt: number }).benchPressedAt : 0;
      },
      undefined,
      { polling: 'raf', timeout: WAIT_MS },
    );
    const interactiveMs = (await home.jsonValue()) as number;
    if (interactiveMs < 0) throw new Error(`sign-in left a warning: ${await page.locator('.banner.warn').innerText()}`);

    await page.getByRole('button', { name: fi['nav.signOut'] }).click();
    await page.locator('#username').waitFor({ timeout: WAIT_MS });
    return {
      signInViewMs,
      initialJsBytes: initial.filter((r) => r.type === 'Script').reduce((sum, r) => sum + r.bytes, 0),
      initialTotalBytes: initial.reduce((sum, r) => sum + r.bytes, 0),
      interactiveMs,
    };
  } finally {
    await context.close();
  }
}

/** The handler rings the named worker, who accepts; both end up in the conference. */
async function openConference(handler: AppPage, worker: AppPage): Promise<void> {
  const h = handler.page;
  await h.getByRole('navigation').getByRole('button', { name: fi['nav.newRequest'] }).click();
  await h.locator('#hetu').fill(CLIENT);
  await h.locator('#type').selectOption('konsultaatio');
  await h.getByRole('button', { name: fi['request.submit'] }).click();
  const ring = worker.page.locator('li.ring');
  await ring.waitFor({ timeout: WAIT_MS });
  await ring.locator('button.primary').click();
  await worker.page.locator('form.composer').waitFor({ timeout: WAIT_MS });
  await h.getByRole('button', { name: fi['request.openConference'] }).click();
  await h.locator('form.composer').waitFor({ timeout: WAIT_MS });
}

/** Milliseconds from pressing send in `from` to the text shown, decrypted, in `to`. */
async function sendToSeen(from: Page, to: Page, text: string): Promise<number> {
  await to.evaluate((expected) => {
    const w = window as unknown as { benchSeen?: Promise<number> };
    // No named functions in here: they would not survive the trip into the page.
    w.benchSeen = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (!Array.from(document.querySelectorAll('ol.messages li')).some((li) => li.textContent?.includes(expected))) return;
        observer.disconnect();
        resolve(Date.now());
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }, text);
  await from.locator('#message').fill(text);
  await from.locator('form.composer button[type=submit]:not([disabled])').waitFor();
  const pressedAt = await from.evaluate(() => {
    const at = Date.now();
    document.querySelector<HTMLButtonElement>('form.composer button[type=submit]')!.click();
    return at;
  });
  const seenAt = await Promise.race([
    to.evaluate(() => (window as unknown as { benchSeen: Promise<number> }).benchSeen),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`"${text}" was not seen in ${WAIT_MS} ms`)), WAIT_MS)),
  ]);
  return seenAt - pressedAt;
}

async function main() {
  const rinki = await startDemoRinki(new ManualClock(DEMO_OPEN_AT), {}, 'pglite');
  const browser = await launchChromium();
  try {
    console.log(`Rinki on PGlite with the demo directory at ${rinki.url}; Chromium ${browser.version()}`);
    const visits: FirstVisit[] = [];
    for (let i = 0; i < SIGN_INS; i++) {
      const username = ACCOUNTS[i % ACCOUNTS.length];
      const v = await firstVisit(browser, rinki.url, username);
      visits.push(v);
      console.log(
        `sign-in ${i + 1}/${SIGN_INS} (${username}): sign-in view ${v.signInViewMs.toFixed(0)} ms, ${kB(v.initialTotalBytes)} received (scripts ${kB(v.initialJsBytes)}); home interactive ${v.interactiveMs.toFixed(0)} ms after pressing sign in`,
      );
    }

    const [handler, worker] = await Promise.all([openApp(browser, rinki.url), openApp(browser, rinki.url)]);
    await signIn(handler, ACCOUNTS[0]);
    await signIn(worker, ACCOUNTS[1]);
    await openConference(handler, worker);
    const latencies: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const [from, to] = i % 2 ? [worker, handler] : [handler, worker];
      const ms = await sendToSeen(from.page, to.page, `Mittausviesti ${i + 1} ${randomUUID().slice(0, 8)}`);
      latencies.push(ms);
      console.log(`message ${i + 1}/${MESSAGES} (${i % 2 ? 'worker → handler' : 'handler → worker'}): seen decrypted ${ms} ms after pressing send`);
    }

    const initialJsBytes = median(visits.map((v) => v.initialJsBytes));
    console.log(
      JSON.stringify({
        bench: 'client',
        interactive_ms: Math.round(median(visits.map((v) => v.interactiveMs))),
        send_to_seen_ms: Math.round(median(latencies)),
        initial_js_bytes: initialJsBytes,
        initial_total_bytes: median(visits.map((v) => v.initialTotalBytes)),
        sign_in_view_ms: Math.round(median(visits.map((v) => v.signInViewMs))),
        sign_ins: SIGN_INS,
        messages: MESSAGES,
        target_initial_js_bytes: TARGET_INITIAL_JS_BYTES,
        target_met: initialJsBytes <= TARGET_INITIAL_JS_BYTES,
      }),
    );
  } finally {
    await browser.close();
    await rinki.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
