// Password guessing is slowed by counting failed sign-ins twice: per account,
// from any address (one account attacked from many addresses), and per client
// address, across accounts (one password sprayed over many usernames). Every
// place that checks a password (REST sign-in, Matrix login, Matrix
// re-authentication) counts on the same counters, so a failed attempt counts
// once wherever it came from. With Redis the counts are shared by every node;
// the stores are express-rate-limit's and rate-limit-redis's, called directly.
import { createHash } from 'node:crypto';
import { ipKeyGenerator, MemoryStore, type Options, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Deps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';

export interface SignInAttempt {
  /** Over a limit: refuse without checking the password, and say when to try again. */
  limited?: { retryAfterMs: number };
  /**
   * The attempt did not fail (the password was right, or the check itself broke): it is
   * taken off the counts again. Only its own count: earlier failures stay counted, so a
   * sprayer's own valid sign-in in between buys them nothing.
   */
  uncount(): Promise<void>;
}

/** The account a sign-in names, as every entry point spells it: its username, trimmed, in lower case. */
export function accountKey(username: string): string {
  return username.trim().toLowerCase();
}

// Hashed: no usernames or addresses in Redis keys.
const hashed = (kind: string, value: string) => `${kind}:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`;

export class SignInLimits {
  private readonly store: Store;

  constructor(private readonly deps: Deps) {
    const { config, bus } = deps;
    const redis = bus.redis;
    this.store = redis
      ? new RedisStore({
          prefix: `${config.redisPrefix}rl:signin:`,
          sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
        })
      : new MemoryStore();
    // Both stores only read windowMs; a store that cannot start fails its counts, which pass (below).
    void Promise.resolve(this.store.init?.({ windowMs: config.loginRateLimit.windowMs } as Options)).catch((err: unknown) =>
      deps.log.warn({ err }, 'sign-in limit store did not start'),
    );
  }

  /**
   * Counts an attempt to sign in to `account` from `ip` (unknown for re-authentication
   * from a signed-in session: then per account only) before its password is checked.
   */
  async attempt(who: { account: string; ip?: string }): Promise<SignInAttempt> {
    const { max, ipMax } = this.deps.config.loginRateLimit;
    const counters = [{ key: hashed('account', accountKey(who.account)), max }];
    if (who.ip) counters.push({ key: hashed('ip', ipKeyGenerator(who.ip)), max: ipMax });
    let counted: { totalHits: number; resetTime?: Date }[];
    try {
      counted = await Promise.all(counters.map((c) => this.store.increment(c.key)));
    } catch (err) {
      // Redis unreachable: sign-in still works (Argon2id still slows guessing); correctness never hangs on Redis.
      this.deps.log.warn({ err }, 'sign-in limit not counted');
      return { uncount: async () => {} };
    }
    const uncount = async () => {
      await Promise.all(counters.map((c) => this.store.decrement(c.key))).catch((err: unknown) => this.deps.log.warn({ err }, 'sign-in limit not uncounted'));
    };
    const now = Date.now();
    const over = counted.filter((c, i) => c.totalHits > counters[i].max);
    if (!over.length) return { uncount };
    const resetAt = Math.max(...over.map((c) => c.resetTime?.getTime() ?? now + this.deps.config.loginRateLimit.windowMs));
    return { limited: { retryAfterMs: Math.max(1, resetAt - now) }, uncount };
  }
}

// One instance per node (per Deps): REST and Matrix sign-ins must count in the same memory store.
const instances = new WeakMap<Deps, SignInLimits>();

export function signInLimits(deps: Deps): SignInLimits {
  let limits = instances.get(deps);
  if (!limits) instances.set(deps, (limits = new SignInLimits(deps)));
  return limits;
}

/** The REST API's answer over a limit: 429 with Retry-After. */
export function tooManySignIns(retryAfterMs: number): HttpError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HttpError(429, 'rate_limited', 'Too many sign-in attempts; try again later', undefined, { 'Retry-After': String(retryAfterSeconds) }, { retryAfterSeconds });
}
