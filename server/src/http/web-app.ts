// The browser app (client/, built by Vite into client/dist) served at `/`.
// Hashed assets are cached for good, and sent as the build's brotli or gzip
// copy when the browser takes one (client/precompress.ts); every other page
// path gets index.html, never cached, so the app's own router decides and a
// new build is seen at once. Without a build the root says where the APIs are.
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { notFound } from './errors.ts';

export const CLIENT_DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../client/dist');

/** Paths the app never owns: APIs, Matrix, probes. */
const NOT_APP = /^\/(api|_matrix|\.well-known|socket\.io|healthz|readyz)(\/|$)/;

/** Content-Encoding → the suffix of the build's copies, in the order they are preferred. */
const ENCODINGS = [
  ['br', 'br'],
  ['gzip', 'gz'],
] as const;

export function serveWebApp(app: Express, dir = CLIENT_DIST): void {
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) {
    app.get('/', (_req, res) => {
      res.json({ name: 'Rinki', api: '/api/openapi.json', matrix: '/_matrix/client/versions', health: '/healthz', app: 'not built: npm run build:client' });
    });
    return;
  }
  const assets = path.join(dir, 'assets');
  app.use(
    '/assets',
    precompressed(assets),
    express.static(assets, { immutable: true, maxAge: '365d', index: false }),
    // A file the build does not have (a page from an older build asking): the API's 404, claiming no encoding.
    (_req, res, next) => {
      res.removeHeader('Content-Encoding');
      next(notFound('No such file'));
    },
  );
  // API and Matrix requests (most of the traffic) never look at the disk.
  const files = express.static(dir, { index: false, maxAge: 0 });
  app.use((req, res, next) => (NOT_APP.test(req.path) ? next() : files(req, res, next)));
  app.get(/.*/, (req, res, next) => {
    // Only a browser navigating (Accept: text/html) gets the app; API clients keep their JSON 404.
    if (NOT_APP.test(req.path) || !req.headers.accept?.includes('text/html')) return next();
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
}

/**
 * Points a request for an asset at the build's compressed copy the browser
 * accepts (brotli first), typed as the asset itself. Looked up per request, so
 * a rebuild under a running server never pairs a header with a missing copy.
 */
function precompressed(assets: string): RequestHandler {
  return async (req, res, next) => {
    // Caches keep one answer per Accept-Encoding.
    res.vary('Accept-Encoding');
    // A plain file name: nothing outside the assets folder is looked at.
    if (!/^\/[\w.-]+$/.test(req.path)) return next();
    for (const [encoding, suffix] of ENCODINGS) {
      if (!req.acceptsEncodings(encoding)) continue;
      const copy = `${req.path}.${suffix}`;
      const exists = await fs.promises.stat(path.join(assets, copy)).then((s) => s.isFile(), () => false);
      if (!exists) continue;
      res.setHeader('Content-Encoding', encoding);
      res.type(path.extname(req.path));
      req.url = copy;
      break;
    }
    next();
  };
}
