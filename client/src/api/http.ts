// The control plane's REST API from the browser: the session cookie signs
// requests in, writes carry the CSRF token /api/auth/me handed out, errors
// become ApiError with the server's status and code (shown by its code, in the user's words).
import { failureText } from '../i18n/errors.ts';
let csrfToken: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** For requests that are not JSON (file uploads to the import endpoint). */
export function currentCsrfToken(): string {
  return csrfToken ?? '';
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** The whole answer: some errors carry more than the code (409 team_closed says who is closed). */
    readonly answer: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, 'network', (err as Error).message);
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    // The server answers {error: code, message, issues?}.
    const message = typeof data.message === 'string' ? data.message : res.statusText;
    throw new ApiError(res.status, typeof data.error === 'string' ? data.error : String(res.status), message, data.issues, data);
  }
  return data as T;
}

/** What to tell the user about a failure, in their language: never the server's developer message. */
export function errorMessage(err: unknown): string {
  return failureText(err, err instanceof ApiError ? err : undefined);
}
