// Every setting Rinki reads, from the environment, validated once at start.
// With nothing set, Rinki runs on the embedded defaults: PGlite under ./data,
// no Redis, keys generated on first start and kept in DATA_DIR.
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const oidcProvider = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'id: lowercase letters, digits and dashes'),
  name: z.string().min(1),
  issuer: z.url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Staff signing in through this provider belong to this organisation. */
  organisationId: z.string().min(1),
});
export type OidcProviderConfig = z.infer<typeof oidcProvider>;

const base64Key = (bytes: number) =>
  z
    .string()
    .refine((s) => Buffer.from(s, 'base64').length === bytes, `must be ${bytes} bytes, base64-encoded`)
    .optional();

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** With two roles: the owner role migrations run as; Rinki itself connects with DATABASE_URL as the application role. */
  DATABASE_OWNER_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^/@]+@/, 'must be a postgres:// URL naming its user')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  /** Prefix for every Redis key and channel, so deployments (and test runs) can share a Redis. */
  REDIS_PREFIX: z.string().regex(/^[\w:.-]{1,40}$/).default('rinki:'),
  /** A Redis command unanswered for this long fails, so a hung Redis is noticed (subscriptions, which wait by nature, excepted). */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO_DATA: z.enum(['auto', 'true', 'false']).default('auto'),
  /** JSON array of OpenID Connect providers, one per organisation. */
  OIDC_PROVIDERS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return [];
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
        return z.NEVER;
      }
    })
    .pipe(z.array(oidcProvider)),
  /** Keyed hash key for client identifiers (32 bytes). Several nodes must share it. */
  CLIENT_ID_KEY: base64Key(32),
  /** Ed25519 secret key (64 bytes) that signs log checkpoints. */
  AUDIT_SIGNING_KEY: base64Key(64),
  /** Secret for CSRF tokens and signed cookies (32 bytes). */
  COOKIE_SECRET: base64Key(32),
  TRUST_PROXY: bool.default(false),
  SECURE_COOKIES: bool.optional(),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_000_000),
  IMPORT_LIMIT_BYTES: z.coerce.number().int().positive().default(50_000_000),
  MEDIA_MAX_BYTES: z.coerce.number().int().positive().default(50_000_000),
  LOGIN_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  LOGIN_RATE_WINDOW_S: z.coerce.number().int().positive().default(900),
  /** Failed sign-ins from one address across accounts: high enough for an office behind one address. */
  LOGIN_IP_RATE_LIMIT: z.coerce.number().int().positive().default(100),
  SEND_RATE_LIMIT: z.coerce.number().int().positive().default(60),
  SEND_RATE_WINDOW_S: z.coerce.number().int().positive().default(60),
  /** Lifetime of a Matrix access token (refresh tokens renew it); at most a day. */
  MATRIX_ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Matrix server name in user and room ids (default: PUBLIC_URL's host). Never change it once rooms exist. */
  MATRIX_SERVER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,230}(:[0-9]{1,5})?$/, 'a host name, optionally with :port')
    .optional(),
  /** Name under which this node reports itself (logs, health). */
  NODE_NAME: z.string().default('node-1'),
  /** A routing request, callback or urgent item keeps its people's read access to the client this many days after it ended. */
  ACCESS_AFTER_REQUEST_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** Access and disclosure logs: sign a checkpoint every N entries, or after T seconds with unsigned entries. */
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().positive().default(1000),
  AUDIT_CHECKPOINT_SECONDS: z.coerce.number().positive().default(60),
  /** Where every new signed checkpoint is also written (the latest per log), outside the database. */
  AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
});

export type Config = ReturnType<typeof parseConfig>;

export class ConfigError extends Error {}

export function parseConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.DATABASE_OWNER_URL && !/^postgres(ql)?:\/\/[^/@]+@/.test(e.DATABASE_URL ?? '')) {
    throw new ConfigError('Invalid configuration:\n  DATABASE_URL: with DATABASE_OWNER_URL, a postgres:// URL naming the application role');
  }
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    databaseOwnerUrl: e.DATABASE_OWNER_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    demoData: e.DEMO_DATA === 'true' || (e.DEMO_DATA === 'auto' && !e.DATABASE_URL),
    oidcProviders: e.OIDC_PROVIDERS,
    keys: {
      clientIdKey: e.CLIENT_ID_KEY,
      auditSigningKey: e.AUDIT_SIGNING_KEY,
      cookieSecret: e.COOKIE_SECRET,
    },
    trustProxy: e.TRUST_PROXY,
    secureCookies: e.SECURE_COOKIES ?? publicUrl.startsWith('https://'),
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    importLimitBytes: e.IMPORT_LIMIT_BYTES,
    mediaMaxBytes: e.MEDIA_MAX_BYTES,
    loginRateLimit: { max: e.LOGIN_RATE_LIMIT, ipMax: e.LOGIN_IP_RATE_LIMIT, windowMs: e.LOGIN_RATE_WINDOW_S * 1000 },
    sendRateLimit: { max: e.SEND_RATE_LIMIT, windowMs: e.SEND_RATE_WINDOW_S * 1000 },
    matrixAccessTokenTtlMs: e.MATRIX_ACCESS_TOKEN_TTL_S * 1000,
    nodeName: e.NODE_NAME,
    accessAfterRequestMs: e.ACCESS_AFTER_REQUEST_DAYS * 86_400_000,
    audit: {
      checkpointEvery: e.AUDIT_CHECKPOINT_EVERY,
      checkpointSeconds: e.AUDIT_CHECKPOINT_SECONDS,
      checkpointFile: path.resolve(e.AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit-checkpoint.json')),
    },
    matrixServerName: e.MATRIX_SERVER_NAME ?? new URL(publicUrl).host,
  };
}
