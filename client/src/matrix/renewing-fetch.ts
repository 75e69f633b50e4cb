// Matrix access tokens last minutes; a refresh token (POST /refresh) renews
// them. matrix-js-sdk renews tokens itself only for OAuth2-native sessions, so
// the client is given this fetch: it renews the access token shortly before it
// expires, and once more when the server answers a request with a soft logout
// (401 M_UNKNOWN_TOKEN, soft_logout: true), then sends the request again with
// the new token. Requests never carry a token the client knows is stale.

export interface MatrixTokens {
  accessToken: string;
  refreshToken?: string;
  /** The access token's lifetime as the server last gave it (expires_in_ms). */
  expiresInMs?: number;
}

/** Renew when this much of the token's life is left (a fifth, at most 30 s). */
const renewMargin = (lifetimeMs: number) => Math.min(30_000, lifetimeMs / 5);

/**
 * A fetch for createClient's fetchFn. `onRenewed` is told the new tokens (give
 * the access token to the client with setAccessToken). Only requests that carry
 * an Authorization header are touched.
 */
export function renewingFetch(
  baseUrl: string,
  initial: MatrixTokens,
  onRenewed: (tokens: MatrixTokens) => void,
  fetchImpl: typeof fetch = (input, init) => fetch(input, init),
): typeof fetch {
  const tokens = { ...initial };
  let expiresAt = tokens.expiresInMs ? Date.now() + tokens.expiresInMs : Infinity;
  let renewing: Promise<boolean> | undefined;

  /** One renewal at a time; every request that needs it waits for the same one. */
  const renew = (): Promise<boolean> =>
    (renewing ??= (async () => {
      try {
        const res = await fetchImpl(`${baseUrl}/_matrix/client/v3/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: tokens.refreshToken }),
        });
        if (!res.ok) return false;
        const body = (await res.json()) as { access_token: string; refresh_token?: string; expires_in_ms?: number };
        tokens.accessToken = body.access_token;
        tokens.refreshToken = body.refresh_token ?? tokens.refreshToken;
        tokens.expiresInMs = body.expires_in_ms;
        expiresAt = body.expires_in_ms ? Date.now() + body.expires_in_ms : Infinity;
        onRenewed({ ...tokens });
        return true;
      } catch {
        return false;
      } finally {
        renewing = undefined;
      }
    })());

  const withToken = (init: RequestInit | undefined): RequestInit => ({
    ...init,
    headers: { ...(init?.headers as Record<string, string>), Authorization: `Bearer ${tokens.accessToken}` },
  });

  return async (input, init) => {
    const headers = init?.headers as Record<string, string> | undefined;
    if (!headers?.Authorization || !tokens.refreshToken) return fetchImpl(input, init);
    if (expiresAt - Date.now() < renewMargin(tokens.expiresInMs ?? 0)) await renew();
    const sent = tokens.accessToken;
    const res = await fetchImpl(input, withToken(init));
    if (res.status !== 401) return res;
    const err = (await res
      .clone()
      .json()
      .catch(() => ({}))) as { errcode?: string; soft_logout?: boolean };
    // A revoked session (soft_logout false) is passed on: the client logs out. A token
    // renewed while this request was under way needs no second renewal.
    if (err.errcode !== 'M_UNKNOWN_TOKEN' || err.soft_logout !== true) return res;
    if (tokens.accessToken === sent && !(await renew())) return res;
    return fetchImpl(input, withToken(init));
  };
}
