// The first load in real Chromium: the sign-in view comes without matrix-js-sdk,
// its crypto WebAssembly or the signed-in views, compressed; both load after
// sign-in, under the app's CSP, and the encrypted connection comes up.
import { expect } from 'chai';
import type { Browser, Response } from 'playwright-core';
import type { TestRinki } from '../helpers/env.ts';
import { launchChromium, openApp, signIn, startDemoRinki, type AppPage } from '../helpers/browser.ts';

/** A public method of matrix-js-sdk's client whose name survives minification. */
const MATRIX_SDK_MARK = 'initRustCrypto';
/** What the sign-in view's scripts may weigh as sent, compressed (issue 22's budget). */
const INITIAL_JS_BUDGET = 250_000;

interface Loaded {
  url: string;
  type: string;
  encoding: string | undefined;
  /** As sent: the Content-Length of the (compressed) answer. */
  bytes: number;
  body: string;
}

describe('first load: the sign-in view without the conversation layer', function () {
  this.timeout(180_000);
  let rinki: TestRinki;
  let browser: Browser;
  let app: AppPage;
  const loaded: Loaded[] = [];
  const pending: Promise<void>[] = [];

  before(async () => {
    rinki = await startDemoRinki();
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'fi-FI' });
    const record = (res: Response) => {
      const req = res.request();
      if (!['script', 'fetch', 'document', 'stylesheet', 'other'].includes(req.resourceType()) || !res.url().startsWith(rinki.url)) return;
      pending.push(
        (async () => {
          const headers = await res.allHeaders();
          const text = req.resourceType() === 'script' ? (await res.body().catch(() => Buffer.alloc(0))).toString() : '';
          loaded.push({ url: res.url(), type: req.resourceType(), encoding: headers['content-encoding'], bytes: Number(headers['content-length'] ?? 0), body: text });
        })(),
      );
    };
    context.on('response', record);
    app = await openApp(browser, rinki.url, context);
  });
  after(async () => {
    await browser?.close();
    await rinki?.cleanup();
  });

  const settled = async () => {
    await app.page.waitForLoadState('networkidle');
    await Promise.all(pending);
  };

  it('loads only the sign-in view: no matrix-js-sdk, no WebAssembly, scripts compressed and within budget', async () => {
    await app.page.locator('form button[type=submit]').waitFor();
    await settled();
    const scripts = loaded.filter((l) => l.type === 'script');
    expect(scripts.length).to.be.greaterThan(0);
    expect(loaded.filter((l) => l.url.endsWith('.wasm')).map((l) => l.url)).to.deep.equal([]);
    expect(scripts.filter((s) => s.body.includes(MATRIX_SDK_MARK)).map((s) => s.url)).to.deep.equal([]);
    expect(loaded.filter((l) => l.url.includes('/socket.io/')).map((l) => l.url)).to.deep.equal([]);
    for (const s of scripts) expect(s.encoding, s.url).to.equal('br');
    const jsBytes = scripts.reduce((sum, s) => sum + s.bytes, 0);
    expect(jsBytes).to.be.at.most(INITIAL_JS_BUDGET);
  });

  it('after sign-in, matrix-js-sdk and its WebAssembly load (brotli) under the CSP and the encrypted connection comes up', async () => {
    const before = loaded.length;
    await signIn(app, 'kela.kasittelija');
    await settled();
    const after = loaded.slice(before);
    const wasm = after.filter((l) => l.url.endsWith('.wasm'));
    expect(wasm.map((l) => l.encoding)).to.deep.equal(['br']);
    expect(after.some((l) => l.type === 'script' && l.body.includes(MATRIX_SDK_MARK))).to.equal(true);
    expect(app.console.filter((line) => /Content Security Policy|WebAssembly/i.test(line))).to.deep.equal([]);
    await app.page.locator('main h1').waitFor();
  });
});
