// Errors in the user's words, by the code the server answered: the REST API's
// {error: code}, the Matrix API's errcode, or the network failing. The server's
// own message is for developers and logs; it is never shown.
import { t, textOr } from './index.ts';

/** Matrix errcodes (matrix-js-sdk's MatrixError) as the REST API's codes. */
const MATRIX_CODES: Record<string, string> = {
  M_TOO_LARGE: 'too_large',
  M_LIMIT_EXCEEDED: 'rate_limited',
  M_FORBIDDEN: 'forbidden',
  M_NOT_FOUND: 'not_found',
  M_UNKNOWN_TOKEN: 'unauthorized',
  M_MISSING_TOKEN: 'unauthorized',
};

/** The code of each status, for answers that carry only a status (socket acknowledgements). */
const STATUS_CODES: Record<number, string> = { 400: 'invalid_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large', 429: 'rate_limited' };

export function errorText(code: string, status: number): string {
  return textOr(`error.${code}`, status >= 500 ? 'error.internal' : 'error.unknown', { status });
}

/** A refused socket command ({ok: false, status, code?}). */
export function ackErrorText(ack: { status?: number; code?: string }): string {
  const status = ack.status ?? 0;
  return errorText(ack.code ?? STATUS_CODES[status] ?? '', status);
}

/** What to tell the user about any failure: an API error by its code, a Matrix error by its errcode, else a plain "something went wrong". */
export function failureText(err: unknown, apiError?: { code: string; status: number }): string {
  if (apiError) return errorText(apiError.code, apiError.status);
  const matrix = err as { errcode?: unknown; httpStatus?: unknown } | null;
  if (typeof matrix?.errcode === 'string') return errorText(MATRIX_CODES[matrix.errcode] ?? matrix.errcode, typeof matrix.httpStatus === 'number' ? matrix.httpStatus : 0);
  return t('error.unexpected');
}
