// The Express application: security headers, request ids, structured request
// logs, body limits, health probes, the OpenAPI and AsyncAPI descriptions, JSON errors.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import cookieParser from 'cookie-parser';
import type { Deps } from '../deps.ts';
import { badRequest, errorHandler, notFound } from './errors.ts';
import { NOT_STORABLE, mayHoldUnstorable, storable } from './storable.ts';
import { openApiDocument } from './api.ts';
import type { SocketCommand } from '../realtime/api.ts';
import { asyncApiDocument } from '../realtime/asyncapi.ts';
import { serveWebApp } from './web-app.ts';

// New request ids: this process's random prefix and a counter, in the shape of a UUID. Unique
// across nodes and far cheaper than a randomUUID per answer, which builds its string piece by piece.
const ID_PREFIX = randomUUID().slice(0, 24);
/** How long /readyz waits for PostgreSQL and Redis before it answers 503. */
const READY_TIMEOUT_MS = 2000;
let requestCount = 0;

/** The caller's X-Request-Id when it is a plain token, else a new one (the Express app and the Matrix front alike). */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : ID_PREFIX + (++requestCount).toString(16).padStart(12, '0');
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A request whose JSON body's text may hold what the database refuses (noted by the JSON parser's verify step). */
type JsonRequest = IncomingMessage & { mayHoldUnstorable?: boolean };

export type Mount =
  | {
      path: string;
      router: Router;
      /** Parses its own bodies (imports, media): mounted before the JSON parser and its limit. */
      ownBodyParsing?: boolean;
    }
  /** Served by node's HTTP server before the Express app sees it (the Matrix API's own front). */
  | { path: string; serve: NodeHandler };

export function createApp(deps: Deps, opts: { authenticate: express.RequestHandler; mounts: Mount[]; socketCommands: readonly SocketCommand[] }): NodeHandler {
  const { config, log, db } = deps;
  const app = express();
  app.disable('x-powered-by');
  // API answers are never revalidated: hashing every JSON body for an ETag is wasted work (static files keep theirs).
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // matrix-js-sdk's Rust crypto is WebAssembly.
          'script-src': ["'self'", "'wasm-unsafe-eval'"],
          'connect-src': ["'self'"],
          'img-src': ["'self'", 'data:', 'blob:'],
        },
      },
    }),
  );
  // A request id on every answer; per-request loggers only when request logs are written
  // (info and below): building one per request costs about a tenth of a busy node's CPU.
  const requestId = (req: IncomingMessage, res: ServerResponse) => {
    const id = requestIdOf(req);
    res.setHeader('x-request-id', id);
    return id;
  };
  if (log.isLevelEnabled('info'))
    app.use(
      pinoHttp({
        logger: log,
        genReqId: requestId,
        // Paths only: query strings may carry tokens (Matrix allows ?access_token=).
        serializers: {
          req: (req) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
          res: (res) => ({ statusCode: res.statusCode }),
        },
        autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      }),
    );
  else
    app.use((req, res, next) => {
      req.id = requestId(req, res);
      next();
    });
  app.use(cookieParser());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', node: config.nodeName });
  });
  // A store that does not answer in time counts as down: the probe itself never hangs.
  app.get('/readyz', async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('readiness check timed out')), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.all([db.query('SELECT 1'), deps.bus.redis?.ping()]), late]);
      res.json({ status: 'ready', database: db.kind, bus: deps.bus.kind });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    } finally {
      clearTimeout(timer);
    }
  });
  let openapi: unknown;
  app.get('/api/openapi.json', (_req, res) => {
    openapi ??= openApiDocument(config.publicUrl);
    res.json(openapi);
  });
  let asyncapi: unknown;
  app.get('/api/asyncapi.json', (_req, res) => {
    asyncapi ??= asyncApiDocument(config.publicUrl, opts.socketCommands);
    res.json(asyncapi);
  });

  // Static files of the browser app need no session look-up.
  serveWebApp(app);
  app.use(opts.authenticate);
  const routers = opts.mounts.filter((m) => 'router' in m);
  for (const m of routers.filter((m) => m.ownBodyParsing)) app.use(m.path, m.router);
  // Only bodies whose text may hold what the database refuses (a \u escape, U+0000) are looked at (storable.ts).
  app.use(
    express.json({
      limit: config.bodyLimitBytes,
      strict: true,
      verify: (req, _res, buf) => ((req as JsonRequest).mayHoldUnstorable = mayHoldUnstorable(buf)),
    }),
  );
  app.use((req, _res, next) => next((req as JsonRequest).mayHoldUnstorable && !storable(req.body) ? badRequest(NOT_STORABLE) : undefined));
  for (const m of routers.filter((m) => !m.ownBodyParsing)) app.use(m.path, m.router);

  app.use((_req, _res, next) => next(notFound('No such endpoint')));
  app.use(errorHandler(log));

  const served = opts.mounts.filter((m) => 'serve' in m).map((m) => ({ prefix: `${m.path}/`, serve: m.serve }));
  return (req, res) => {
    const url = req.url ?? '';
    for (const s of served) if (url.startsWith(s.prefix)) return s.serve(req, res);
    app(req, res);
  };
}
