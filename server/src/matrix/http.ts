// The Matrix API's own HTTP front. /_matrix carries the node's busiest traffic
// (every client's /sync long-poll and every send), so the node's HTTP server
// hands it here directly instead of through the Express app that serves the
// web app and /api: routes in Express's path syntax (path-to-regexp), bodies
// buffered under the configured limit, CORS open as the spec asks, a short
// fixed set of security headers, errors in the spec's {errcode, error} shape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import proxyAddr from 'proxy-addr';
import { match, type MatchFunction } from 'path-to-regexp';
import { ZodError } from 'zod';
import { requestIdOf } from '../http/app.ts';
import { NOT_STORABLE, refusedText } from '../http/storable.ts';
import type { Logger } from '../log.ts';
import type { Caller } from './context.ts';
import { MatrixError, badShape, mxInvalidParam } from './errors.ts';

export type Method = 'get' | 'post' | 'put' | 'delete';

/** A request as Matrix handlers see it: node's message plus what the front worked out. */
export interface MatrixRequest extends IncomingMessage {
  /** The full path, /_matrix/…, without the query. */
  path: string;
  query: Record<string, string | undefined>;
  params: Record<string, string>;
  /** The buffered body (none for media uploads, which stream). */
  body?: Buffer;
  /** Its request id once asked for (requestId): a waiting long-poll need not hold one. */
  assignedId?: string;
}

/** The request's id: the caller's X-Request-Id when it is a plain token, else a new one, made when first asked for. */
export function requestId(req: MatrixRequest): string {
  return (req.assignedId ??= requestIdOf(req));
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
  methods: Map<Method, MethodEntry>;
}

interface MethodEntry {
  steps: Step[];
  endpoint: Endpoint;
  streamsBody: boolean;
}

/** The spec asks for open CORS: tokens travel in headers, never in cookies. */
export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization',
};

// API answers are JSON for programs: nothing in them is to be rendered, framed or cached.
// Media downloads set their own Content-Security-Policy (sandboxed) and caching.
const FIXED_HEADERS: Record<string, string> = {
  ...CORS_HEADERS,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";
const FIXED_FLAT = Object.entries(FIXED_HEADERS).flat();
/** Where each fixed header's value sits in FIXED_FLAT, by lower-case name. */
const FIXED_AT = new Map(Object.keys(FIXED_HEADERS).map((k, i) => [k.toLowerCase(), 2 * i + 1]));

/**
 * Starts an answer: its status, the fixed headers, the request id and
 * `headers` (which win over a fixed one of the same name). Every Matrix answer
 * begins here, in one writeHead: a long-poll carries no headers while it waits.
 */
export function writeHead(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  const flat = FIXED_FLAT.slice();
  flat.push('X-Request-Id', requestId(res.req as MatrixRequest));
  for (const k in headers) {
    const at = FIXED_AT.get(k.toLowerCase());
    if (at === undefined) flat.push(k, String(headers[k]));
    else flat[at] = String(headers[k]);
  }
  res.writeHead(status, flat);
}

/**
 * A JSON answer already made, as pieces of its text: sent as UTF-8 bytes
 * written straight from the pieces, never joined into one string (a /sync
 * answer carries every event's content, and copies of it are what the
 * collector would have to deal with).
 */
export class JsonPieces {
  constructor(readonly pieces: string[]) {}

  bytes(): Buffer {
    let size = 0;
    for (const p of this.pieces) size += Buffer.byteLength(p);
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (const p of this.pieces) at += out.write(p, at);
    return out;
  }
}

export class MatrixFront {
  private routes: Route[] = [];
  /** Routes without parameters by path, which no route before them takes: found without trying patterns (/sync is one). */
  private exact = new Map<string, Route>();
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
    if (!route) {
      route = { path, prefix: path.split(/[:{*]/)[0], match: match(path), methods: new Map() };
      if (route.prefix === path && !this.routes.some((r) => r.match(path))) this.exact.set(path, route);
      this.routes.push(route);
    }
    route.methods.set(method, { steps, endpoint, streamsBody });
  }

  /** Serves one request whose URL starts with /_matrix/. */
  readonly handle = (raw: IncomingMessage, rawRes: ServerResponse): void => {
    const req = raw as MatrixRequest;
    const res = rawRes as MatrixResponse;
    res.locals = {};
    // Request logs (info and below) as the Express app writes them: the path only, since a query may carry a token.
    if (this.log.isLevelEnabled('info')) {
      const start = performance.now();
      res.once('finish', () =>
        this.log.info(
          { req: { id: requestId(req), method: req.method, path: (req.url ?? '').split('?')[0] }, res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - start) },
          'request completed',
        ),
      );
    }
    void this.serve(req, res).catch((err: unknown) => this.fail(req, res, err));
  };

  // Kept small: its frame waits as long as the endpoint does (a long-poll, for one).
  private async serve(req: MatrixRequest, res: MatrixResponse): Promise<void> {
    const entry = this.route(req);
    if (!entry) {
      writeHead(res, 204);
      res.end();
      return;
    }
    const decode = bodyDecoder(req, entry.streamsBody);
    if (!entry.streamsBody) req.body = await decode(await readBody(req, this.opts.bodyLimitBytes), this.opts.bodyLimitBytes);
    for (const step of entry.steps) await step(req, res);
    const result = await entry.endpoint(req, res);
    if (!res.headersSent) sendJson(res, 200, result ?? {});
  }

  /** Reads the request's path, query and parameters, and finds what serves it; undefined for a CORS preflight. */
  private route(req: MatrixRequest): MethodEntry | undefined {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q < 0 ? url : url.slice(0, q);
    req.path = fullPath;
    req.query = {};
    if (q >= 0) for (const [k, v] of new URLSearchParams(url.slice(q + 1))) if (!(k in req.query)) req.query[k] = v;
    if (req.method === 'OPTIONS') return undefined;
    const found = this.find(fullPath.slice('/_matrix'.length), req);
    if (!found) throw new MatrixError(404, 'M_UNRECOGNIZED', 'Unrecognized request');
    const method = (req.method === 'HEAD' ? 'get' : (req.method ?? '').toLowerCase()) as Method;
    const entry = found.methods.get(method);
    if (!entry) throw new MatrixError(405, 'M_UNRECOGNIZED', 'Unrecognized request: method not allowed');
    return entry;
  }

  /** The route for `path` (under /_matrix), its parameters set on `req`: the first registered that matches. */
  private find(path: string, req: MatrixRequest): Route | undefined {
    const exact = this.exact.get(path);
    if (exact) {
      req.params = {};
      return exact;
    }
    for (const r of this.routes) {
      if (!path.startsWith(r.prefix)) continue;
      let m: ReturnType<Route['match']>;
      try {
        m = r.match(path);
      } catch {
        throw new MatrixError(400, 'M_UNRECOGNIZED', 'Malformed path');
      }
      if (m) {
        req.params = m.params;
        return r;
      }
    }
    return undefined;
  }

  /** The client's address (behind a trusted proxy, the one it forwarded), for the limits that count per address. */
  ipOf(req: IncomingMessage): string {
    return proxyAddr(req, this.trust);
  }

  private fail(req: MatrixRequest, res: MatrixResponse, err: unknown): void {
    let e: MatrixError;
    if (err instanceof MatrixError) e = err;
    else if (err instanceof ZodError) e = badShape(err);
    else if (refusedText(err)) e = mxInvalidParam(NOT_STORABLE);
    else {
      this.log.error({ err, reqId: requestId(req) }, 'unhandled error in Matrix API');
      e = new MatrixError(500, 'M_UNKNOWN', 'Internal error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, e.status, e.errcode ? { errcode: e.errcode, error: e.message, ...e.extra } : e.extra, e.headers);
    // A body left unread (refused before it was read) would otherwise stall the connection.
    if (!req.complete) req.resume();
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body instanceof JsonPieces ? body.bytes() : JSON.stringify(body);
  writeHead(res, status, {
    'Content-Security-Policy': JSON_CSP,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const NO_BODY = Buffer.alloc(0);

type Decode = (body: Buffer, limit: number) => Promise<Buffer>;
const identity: Decode = async (body) => body;
const inflating = (inflate: (buf: Buffer, opts: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>): Decode => async (body, limit) => {
  if (body.length === 0) return body;
  try {
    // The limit holds for the decompressed body too: a small compressed body cannot grow past it.
    return await inflate(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new MatrixError(413, 'M_TOO_LARGE', `Body larger than ${limit} bytes`);
    throw new MatrixError(400, 'M_NOT_JSON', 'Content not JSON: the body does not decompress as its Content-Encoding says');
  }
};
/** Content-Encodings a request body may come in (those Express's body parser reads at /api). */
const DECODERS: Record<string, Decode> = {
  identity,
  gzip: inflating(promisify(zlib.gunzip)),
  deflate: inflating(promisify(zlib.inflate)),
  br: inflating(promisify(zlib.brotliDecompress)),
};

/** How to decode the request's body; 415 for an encoding we do not read, or any encoding on a streamed body (media is stored as sent). */
function bodyDecoder(req: IncomingMessage, streamsBody: boolean): Decode {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decode = streamsBody ? (encoding === 'identity' ? identity : undefined) : Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding] : undefined;
  if (!decode) throw new MatrixError(415, 'M_UNRECOGNIZED', `Unsupported Content-Encoding: ${encoding.slice(0, 40)}`);
  return decode;
}

/** The whole body, refused with 413 M_TOO_LARGE past `limit` bytes (declared or sent). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new MatrixError(413, 'M_TOO_LARGE', `Body larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112, 6.3): nothing to wait for.
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) return Promise.resolve(NO_BODY);
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
