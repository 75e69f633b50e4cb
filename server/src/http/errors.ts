// One error shape for the REST API: {error: code, message, issues?}.
// Matrix endpoints map errors to the spec's {errcode, error} in matrix/.
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log.ts';
import { NOT_STORABLE, refusedText } from './storable.ts';

export interface Issue {
  path: string;
  message: string;
  line?: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: Issue[],
    readonly headers?: Record<string, string>,
    /** More fields of the answer's body. */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, issues?: Issue[]) => new HttpError(400, 'invalid_request', message, issues);
export const unauthorized = (message = 'Sign-in required') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = 'Not allowed') => new HttpError(403, 'forbidden', message);
export const notFound = (message = 'Not found') => new HttpError(404, 'not_found', message);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);

export function zodIssues(err: ZodError, prefix = ''): Issue[] {
  return err.issues.map((i) => {
    const p = i.path.map(String).join('.');
    return { path: prefix && p ? `${prefix}.${p}` : prefix || p || '(body)', message: i.message };
  });
}

export function invalid(err: ZodError, where: 'body' | 'query' | 'params' | 'payload'): HttpError {
  const issues = zodIssues(err, where);
  return badRequest(`Invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/**
 * What Express's body parser and router refuse before a route runs: a body
 * that is not JSON, too large, in an unknown or broken Content-Encoding or
 * charset, a path parameter that is not valid percent-encoding. The client's
 * error, never a 500; undefined for anything else.
 */
export function unreadableRequest(err: unknown): HttpError | undefined {
  if (err instanceof URIError) return badRequest('Malformed percent-encoding in the path');
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; limit?: unknown } | null;
  switch (e?.type) {
    case 'entity.parse.failed':
      return badRequest('Malformed JSON body');
    case 'entity.too.large':
      return new HttpError(413, 'too_large', `Body larger than ${String(e.limit)} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', 'Unsupported body encoding');
  }
  // The body parser's other refusals (a body that does not decompress, a length that does not match) are http-errors of status 4xx.
  if (e?.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return badRequest('The request body could not be read');
  return undefined;
}

/** The last middleware: every error becomes JSON; unknown errors are 500 without detail. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let e: HttpError | undefined;
    if (err instanceof HttpError) e = err;
    else if (err instanceof ZodError) e = invalid(err, 'body');
    else if (refusedText(err)) e = badRequest(NOT_STORABLE);
    else e = unreadableRequest(err);
    if (!e) {
      log.error({ err, reqId: req.id }, 'unhandled error');
      e = new HttpError(500, 'internal', 'Internal error');
    }
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(e.headers ?? {})) res.setHeader(k, v);
    res.status(e.status).json({ error: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}), ...e.extra });
  };
}
