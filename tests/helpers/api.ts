// Small helpers the REST suites share: an injected clock, a bearer-token REST
// caller, and waiting for what the server does after a commit.
import type { Rinki } from '../../server/src/rinki.ts';

/** A clock tests move by hand (no real waiting); pass it to startTestRinki. */
export class ManualClock {
  constructor(public t: number) {}
  now = () => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  type: string;
}

/** Calls the REST API as a staff member (tokens by staff id); JSON bodies, text when the answer is not JSON. */
export function apiCaller<D = Record<string, unknown>>(rinki: () => Pick<Rinki, 'url'>, tokens: Record<string, string>) {
  return async <T = D>(staffId: string, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const headers: Record<string, string> = { authorization: `Bearer ${tokens[staffId]}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${rinki().url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text || undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* CSV, HTML */
    }
    return { status: res.status, body: parsed as T, type: res.headers.get('content-type') ?? '' };
  };
}

/** Waits until `check` answers something truthy: the server acts after commit, asynchronously. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
