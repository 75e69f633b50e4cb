// The browser app (client/, built by Vite into client/dist) served at `/`.
// Hashed assets are cached for good; every other page path gets index.html so
// the app's own router decides. Without a build the root says where the APIs are.
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

export const CLIENT_DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../client/dist');

/** Paths the app never owns: APIs, Matrix, probes. */
const NOT_APP = /^\/(api|_matrix|\.well-known|socket\.io|healthz|readyz)(\/|$)/;

export function serveWebApp(app: Express, dir = CLIENT_DIST): void {
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) {
    app.get('/', (_req, res) => {
      res.json({ name: 'Rinki', api: '/api/openapi.json', matrix: '/_matrix/client/versions', health: '/healthz', app: 'not built: npm run build:client' });
    });
    return;
  }
  app.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
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
