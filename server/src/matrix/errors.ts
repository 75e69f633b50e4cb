// Matrix endpoints answer errors in the spec's shape: {errcode, error, ...}.
import { ZodError } from 'zod';

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
/**
 * 401 M_UNKNOWN_TOKEN. `softLogout`: the token expired and the client may renew
 * it (refresh token) or sign in again keeping its device; false: revoked.
 * Built only when needed: an Error's stack trace costs on every request otherwise.
 */
export const mxUnknownToken = (softLogout: boolean) =>
  new MatrixError(401, 'M_UNKNOWN_TOKEN', softLogout ? 'Access token expired' : 'Unknown or expired access token', { soft_logout: softLogout });
export const mxLimitExceeded = (retryAfterMs: number) =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs }, {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  });

/** A zod failure on a request body: 400 M_BAD_JSON naming the fields. */
export function badShape(err: ZodError): MatrixError {
  const fields = err.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
  return mxBadJson(`Invalid body: ${fields.join('; ')}`);
}
