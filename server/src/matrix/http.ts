// The Matrix API's own HTTP front. /_matrix carries the node's busiest traffic
// (every client's /sync long-poll and every send), so the node's HTTP server
// hands it here directly instead of through the Express app that serves the
// web app and /api: routes in Express's path syntax (path-to-regexp), bodies
// buffered under the configured limit, CORS open as the spec asks, a short
// fixed set of security headers, errors in the spec's {errcode, error} shape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyAddr from 'proxy-addr';
import { match, type MatchFunction } from 'path-to-regexp';
import { ZodError } from 'zod';
import { requestIdOf } from '../http/app.ts';
import type { Logger } from '../log.ts';
import type { Caller } from './context.ts';
import { MatrixError, badShape } from './errors.ts';

export type Method = 'get' | 'post' | 'put' | 'delete';

/** A request as Matrix handlers see it: node's message plus what the front worked out. */
export interface MatrixRequest extends IncomingMessage {
  /** The full path, /_matrix/…, without the query. */
  path: string;
  query: Record<string, string | undefined>;
  params: Record<string, string>;
  /** The buffered body (none for media uploads, which stream). */
  body?: Buffer;
  ip: string;
  id: string;
}

export interface MatrixResponse extends ServerResponse {
  locals: { caller?: Caller };
}

/** A step before the handler (authentication, a rate limit): throws to refuse. */
export type Step = (req: MatrixRequest, res: MatrixResponse) => Promise<void>;

export type Endpoint = (req: MatrixRequest, res: MatrixResponse) => Promise<unknown>;

interface Route {
  path: string;
  /** The route's literal start (up to its first parameter): paths without it are not tried against the pattern. */
  prefix: string;
  match: MatchFunction<Record<string, string>>;
  methods: Map<Method, { steps: Step[]; endpoint: Endpoint; streamsBody: boolean }>;
}

/** The spec asks for open CORS: tokens travel in headers, never in cookies. */
export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization',
};

// API answers are JSON for programs: nothing in them is to be rendered, framed or cached.
// Media downloads set their own Content-Security-Policy (sandboxed).
const FIXED_HEADERS: Record<string, string> = {
  ...CORS_HEADERS,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
const FIXED_HEADER_ENTRIES = Object.entries(FIXED_HEADERS);
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

export class MatrixFront {
  private routes: Route[] = [];
  private trust: ReturnType<typeof proxyAddr.compile>;

  constructor(
    private readonly log: Logger,
    private readonly opts: { bodyLimitBytes: number; trustProxy: boolean },
  ) {
    this.trust = proxyAddr.compile(opts.trustProxy ? ['loopback', 'linklocal', 'uniquelocal'] : []);
  }

  /** `path` is under /_matrix; `streamsBody`: the endpoint reads the request itself (media uploads). */
  add(method: Method, path: string, steps: Step[], endpoint: Endpoint, streamsBody = false): void {
    let route = this.routes.find((r) => r.path === path);
    if (!route) this.routes.push((route = { path, prefix: path.split(/[:{*]/)[0], match: match(path), methods: new Map() }));
    route.methods.set(method, { steps, endpoint, streamsBody });
  }

  /** Serves one request whose URL starts with /_matrix/. */
  readonly handle = (raw: IncomingMessage, rawRes: ServerResponse): void => {
    const req = raw as MatrixRequest;
    const res = rawRes as MatrixResponse;
    res.locals = {};
    req.id = requestIdOf(req);
    for (const [k, v] of FIXED_HEADER_ENTRIES) res.setHeader(k, v);
    res.setHeader('X-Request-Id', req.id);
    // Request logs (info and below) as the Express app writes them: the path only, since a query may carry a token.
    if (this.log.isLevelEnabled('info')) {
      const start = performance.now();
      res.once('finish', () =>
        this.log.info(
          { req: { id: req.id, method: req.method, path: (req.url ?? '').split('?')[0] }, res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - start) },
          'request completed',
        ),
      );
    }
    void this.serve(req, res).catch((err: unknown) => this.fail(req, res, err));
  };

  private async serve(req: MatrixRequest, res: MatrixResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q < 0 ? url : url.slice(0, q);
    req.path = fullPath;
    req.query = {};
    if (q >= 0) for (const [k, v] of new URLSearchParams(url.slice(q + 1))) if (!(k in req.query)) req.query[k] = v;
    req.ip = proxyAddr(req, this.trust);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const path = fullPath.slice('/_matrix'.length);
    let found: Route | undefined;
    for (const r of this.routes) {
      if (!path.startsWith(r.prefix)) continue;
      let m: ReturnType<Route['match']>;
      try {
        m = r.match(path);
      } catch {
        throw new MatrixError(400, 'M_UNRECOGNIZED', 'Malformed path');
      }
      if (m) {
        found = r;
        req.params = m.params;
        break;
      }
    }
    if (!found) throw new MatrixError(404, 'M_UNRECOGNIZED', 'Unrecognized request');
    const method = (req.method === 'HEAD' ? 'get' : (req.method ?? '').toLowerCase()) as Method;
    const entry = found.methods.get(method);
    if (!entry) throw new MatrixError(405, 'M_UNRECOGNIZED', 'Unrecognized request: method not allowed');
    if (!entry.streamsBody) req.body = await readBody(req, this.opts.bodyLimitBytes);
    for (const step of entry.steps) await step(req, res);
    const result = await entry.endpoint(req, res);
    if (!res.headersSent) sendJson(res, 200, result ?? {});
  }

  private fail(req: MatrixRequest, res: MatrixResponse, err: unknown): void {
    let e: MatrixError;
    if (err instanceof MatrixError) e = err;
    else if (err instanceof ZodError) e = badShape(err);
    else {
      this.log.error({ err, reqId: req.id }, 'unhandled error in Matrix API');
      e = new MatrixError(500, 'M_UNKNOWN', 'Internal error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    sendJson(res, e.status, e.errcode ? { errcode: e.errcode, error: e.message, ...e.extra } : e.extra);
    // A body left unread (refused before it was read) would otherwise stall the connection.
    if (!req.complete) req.resume();
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.setHeader('Content-Security-Policy', JSON_CSP);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The whole body, refused with 413 M_TOO_LARGE past `limit` bytes (declared or sent). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new MatrixError(413, 'M_TOO_LARGE', `Body larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  if (req.complete && declared === 0 && req.headers['transfer-encoding'] === undefined) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
