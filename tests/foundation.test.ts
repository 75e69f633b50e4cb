import { expect } from 'chai';
import { STORE_KINDS, startTestRinki, type TestRinki } from './helpers/env.ts';
import { ensureClientBuilt } from './helpers/browser.ts';

for (const store of STORE_KINDS) {
  describe(`foundation on ${store}`, () => {
    let rinki: TestRinki;
    before(async () => {
      ensureClientBuilt();
      rinki = await startTestRinki({ store });
    });
    after(() => rinki.cleanup());

    it('answers health and readiness probes', async () => {
      expect((await fetch(`${rinki.url}/healthz`)).status).to.equal(200);
      const ready = await (await fetch(`${rinki.url}/readyz`)).json();
      expect(ready).to.deep.equal({ status: 'ready', database: store, bus: 'memory' });
    });

    it('answers an unknown path with a JSON 404', async () => {
      for (const path of ['/api/no-such-thing', '/no-such-page']) {
        const res = await fetch(`${rinki.url}${path}`);
        expect(res.status, path).to.equal(404);
        expect(await res.json()).to.have.property('error', 'not_found');
      }
    });

    it('serves the browser app to a browser navigating to any page path, and never for API paths', async () => {
      const page = await fetch(`${rinki.url}/some/view`, { headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/text\/html/);
      expect(page.headers.get('content-security-policy')).to.match(/script-src 'self' 'wasm-unsafe-eval'/);
      expect(await page.text()).to.match(/<div id="app">/);
      const api = await fetch(`${rinki.url}/api/nothing`, { headers: { accept: 'text/html' } });
      expect(api.status).to.equal(404);
    });
  });
}

describe('foundation: HTTP conventions and configuration', () => {
  let rinki: TestRinki;
  before(async () => {
    rinki = await startTestRinki();
  });
  after(() => rinki.cleanup());

  it('gives every response a request id, and keeps a well-formed incoming one', async () => {
    const fresh = await fetch(`${rinki.url}/healthz`);
    expect(fresh.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    const kept = await fetch(`${rinki.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers.get('x-request-id')).to.equal('trace-123');
    const replaced = await fetch(`${rinki.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).to.not.equal('bad id with spaces');
  });

  it('sends security headers', async () => {
    const res = await fetch(`${rinki.url}/healthz`);
    expect(res.headers.get('content-security-policy')).to.include("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('x-powered-by')).to.equal(null);
  });

  it('describes the REST API in OpenAPI 3.1, from the validating schemas', async () => {
    const doc = (await (await fetch(`${rinki.url}/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths).to.include.keys('/api/auth/login', '/api/clients/lookup', '/api/presence/me');
    expect(doc.paths['/api/clients/lookup'].post.requestBody).to.be.an('object');
  });

  it('refuses a bad configuration with a message naming each setting', async () => {
    const { parseConfig, ConfigError } = await import('../server/src/config.ts');
    expect(() => parseConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', OIDC_PROVIDERS: '{' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/PORT/)
      .and.matches(/DATABASE_URL/)
      .and.matches(/OIDC_PROVIDERS/);
    expect(() => parseConfig({ CLIENT_ID_KEY: Buffer.alloc(5).toString('base64') })).to.throw(/CLIENT_ID_KEY/);
  });

  it('runs on embedded defaults with nothing set', async () => {
    const { parseConfig } = await import('../server/src/config.ts');
    const config = parseConfig({});
    expect(config.databaseUrl).to.equal(undefined);
    expect(config.redisUrl).to.equal(undefined);
    expect(config.demoData).to.equal(true);
    expect(config.port).to.equal(8080);
  });
});
