// Matrix endpoints answer errors in the spec's shape: {errcode, error, ...}.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log.ts';

export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const mxForbidden = (message = 'Not allowed') => new MatrixError(403, 'M_FORBIDDEN', message);
export const mxNotFound = (message = 'Not found') => new MatrixError(404, 'M_NOT_FOUND', message);
export const mxBadJson = (message: string) => new MatrixError(400, 'M_BAD_JSON', message);
export const mxInvalidParam = (message: string) => new MatrixError(400, 'M_INVALID_PARAM', message);
export const mxMissingParam = (message: string) => new MatrixError(400, 'M_MISSING_PARAM', message);
export const mxUnknown = (message: string, status = 400) => new MatrixError(status, 'M_UNKNOWN', message);
export const mxLimitExceeded = (retryAfterMs: number) =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs }, {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  });

/** A zod failure on a request body: 400 M_BAD_JSON naming the fields. */
export function badShape(err: ZodError): MatrixError {
  const fields = err.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
  return mxBadJson(`Invalid body: ${fields.join('; ')}`);
}

export function matrixErrorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let e: MatrixError;
    if (err instanceof MatrixError) e = err;
    else if (err instanceof ZodError) e = badShape(err);
    else if (err?.type === 'entity.too.large') e = new MatrixError(413, 'M_TOO_LARGE', `Body larger than ${err.limit} bytes`);
    else {
      log.error({ err, reqId: req.id }, 'unhandled error in Matrix API');
      e = new MatrixError(500, 'M_UNKNOWN', 'Internal error');
    }
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    res.status(e.status).json(e.errcode ? { errcode: e.errcode, error: e.message, ...e.extra } : e.extra);
  };
}

export const unrecognized: RequestHandler = (_req, _res, next) =>
  next(new MatrixError(404, 'M_UNRECOGNIZED', 'Unrecognized request'));
