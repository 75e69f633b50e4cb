// Password guessing is slowed per (IP address, username): after
// config.loginRateLimit.max failed attempts in the window, the pair gets 429
// until the window ends. With Redis the counts are shared by every node.
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type AugmentedRequest } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Deps } from '../deps.ts';

function usernameKey(req: Request): string {
  const body = req.body as { username?: unknown } | undefined;
  const username = typeof body?.username === 'string' ? body.username.trim().toLowerCase() : '';
  // Hashed: no usernames in Redis keys.
  return createHash('sha256').update(username).digest('base64url').slice(0, 22);
}

export function loginRateLimiter(deps: Deps): RequestHandler {
  const { config, bus } = deps;
  const redis = bus.redis;
  return rateLimit({
    windowMs: config.loginRateLimit.windowMs,
    limit: config.loginRateLimit.max,
    // Only failed attempts count: people who sign in often are not locked out.
    skipSuccessfulRequests: true,
    // Redis unreachable: sign-in still works (Argon2id still slows guessing); correctness never hangs on Redis.
    passOnStoreError: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? 'unknown')}|${usernameKey(req)}`,
    ...(redis
      ? {
          store: new RedisStore({
            prefix: `${config.redisPrefix}rl:login:`,
            sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
          }),
        }
      : {}),
    handler: (req, res) => {
      const reset = (req as AugmentedRequest).rateLimit?.resetTime?.getTime();
      const retryAfterSeconds = Math.max(1, Math.ceil(((reset ?? Date.now() + config.loginRateLimit.windowMs) - Date.now()) / 1000));
      res.setHeader('Retry-After', String(retryAfterSeconds));
      res.status(429).json({ error: 'rate_limited', message: 'Too many sign-in attempts; try again later', retryAfterSeconds });
    },
  });
}
