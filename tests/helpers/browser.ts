// Real Chromium (Debian's) driven by playwright-core against a real Rinki
// server with the demo directory: sign-in through the UI, axe-core checks,
// and a scan of the database for text that must never be stored in clear.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Queryable } from '../../server/src/store/db.ts';
import { CLIENT_DIST } from '../../server/src/http/web-app.ts';
import { REPO_ROOT, startTestRinki, type StoreKind, type TestRinki } from './env.ts';
import { ManualClock } from './api.ts';
import { DEFAULT_RULE_SET } from '../../shared/src/default-rules.ts';

/** Wednesday 25 November 2026, 10:00 in Helsinki: the demo teams are open. */
export const DEMO_OPEN_AT = Date.parse('2026-11-25T08:00:00Z');

/**
 * The server runs on the test's clock, but Chromium judges a cookie's expiry by
 * the real one: a session cookie issued "on 25 November" for 12 hours would be
 * expired on arrival once that day is past. Browser suites give sessions a
 * lifetime that outlasts any real date the suites run on.
 */
export const BROWSER_SESSION_ENV = { SESSION_TTL_HOURS: String(24 * 365 * 5) };

/**
 * A server for the browser suites: PostgreSQL (or PGlite, the embedded default),
 * the demo directory, a clock the test moves, and a PUBLIC_URL known before
 * start (the socket checks the origin).
 */
export async function startDemoRinki(clock = new ManualClock(DEMO_OPEN_AT), env: Record<string, string> = {}, store: StoreKind = 'postgres'): Promise<TestRinki> {
  ensureClientBuilt();
  const port = await freePort();
  return startTestRinki({ store, clock, env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, DEMO_DATA: 'true', ...BROWSER_SESSION_ENV, ...env } });
}

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The suites need the built app; `npm test` builds it first (pretest), a lone mocha run builds it here. */
export function ensureClientBuilt(): void {
  if (fs.existsSync(path.join(CLIENT_DIST, 'index.html'))) return;
  execFileSync('npx', ['vite', 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface AppPage {
  context: BrowserContext;
  page: Page;
  /** Everything the page wrote to its console. */
  console: string[];
}

/** Opens the app in a new Finnish context, or in `context` (one the caller watches from its first request). */
export async function openApp(browser: Browser, url: string, context?: BrowserContext): Promise<AppPage> {
  context ??= await browser.newContext({ locale: 'fi-FI' });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { context, page, console: consoleLines };
}

/** Signs in through the form and waits until the encrypted connection is up. */
export async function signIn(app: AppPage, username: string, password = 'rinki-demo'): Promise<void> {
  const { page } = app;
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('header.top').waitFor();
  await page.waitForFunction(() => !document.querySelector('.banner.info') && !!document.querySelector('main h1'), undefined, { timeout: 60_000 });
  const failed = await page.locator('.banner.warn').count();
  if (failed) throw new Error(`sign-in left a warning: ${await page.locator('.banner.warn').innerText()}\n${app.console.join('\n')}`);
}

/** axe-core in the page: WCAG 2.1 A and AA rules; returns the serious and critical violations. */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  // Evaluated through the DevTools protocol: the app's CSP (rightly) refuses injected script tags.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

export async function expectAccessible(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).to.deep.equal([]);
}

/** Every row of every table in the public schema, as text, searched for each needle: the names of tables that hold one. */
export async function tablesContaining(db: Queryable, needles: string[]): Promise<string[]> {
  const tables = await db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
  const found: string[] = [];
  for (const { table_name } of tables) {
    for (const needle of needles) {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}" t WHERE t::text ILIKE '%' || $1 || '%'`, [needle]);
      if (row.n > 0) found.push(`${table_name}: ${needle}`);
    }
  }
  return found;
}

/** The step ids of the shipped rules: ids rule authors give, never words a caseworker reads. */
const STEP_IDS = [...new Set(DEFAULT_RULE_SET.filters.flatMap((f) => f.steps.map((s) => s.id)))];

/**
 * What on the page looks like a code rather than words: a dotted text key
 * (routing.excluded.outside_hours), a snake_case code (outside_hours,
 * case_handling), an unfilled {param}, or a rule's step id (named-worker).
 * Read from every text node a person or a screen reader meets, leaving out
 * what is a code by design (code and pre blocks, form controls' values).
 */
export async function rawWordsShown(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    const skip = new Set(['CODE', 'PRE', 'SCRIPT', 'STYLE', 'TEXTAREA', 'SELECT', 'OPTION', 'NOSCRIPT']);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const parts: string[] = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      let el = n.parentElement;
      while (el && !skip.has(el.tagName)) el = el.parentElement;
      if (!el) parts.push(n.nodeValue ?? '');
    }
    return parts.join('\n');
  });
  const found = [
    // Two letters at least on each side of a dot: a key, not an abbreviation (t.ex.).
    ...(text.match(/\b[a-z][a-zA-Z]+(?:\.[a-z][a-zA-Z_]+)+\b/g) ?? []).filter((w) => !/\.(pdf|csv|html|txt|png|jpe?g)$/.test(w)),
    ...(text.match(/\b[a-z][a-z0-9]*_[a-z0-9_]+\b/g) ?? []),
    ...(text.match(/\{[a-zA-Z]+\}/g) ?? []),
    ...STEP_IDS.filter((id) => new RegExp(`(^|[^\\w-])${id}([^\\w-]|$)`).test(text)),
  ];
  return [...new Set(found)];
}

/** Fails when the page shows a raw key, a code or a step id (rawWordsShown). */
export async function expectWords(page: Page, what: string): Promise<void> {
  expect(await rawWordsShown(page), `${what}: raw keys or codes on the page`).to.deep.equal([]);
}

/** A view a caseworker reads: axe-core finds nothing serious, and no raw key, code or step id shows. */
export async function expectReadable(page: Page, what: string): Promise<void> {
  await expectAccessible(page, what);
  await expectWords(page, what);
}
