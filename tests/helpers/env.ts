// Test infrastructure: the real PostgreSQL and Redis this machine runs, fresh
// databases per suite, Rinki started in-process or as separate node processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Bus } from '../../server/src/bus/bus.ts';
import { parseConfig } from '../../server/src/config.ts';
import { startRinki, type Rinki, type StartOptions } from '../../server/src/rinki.ts';
import { openDb, type Db } from '../../server/src/store/db.ts';
import { migrate } from '../../server/src/store/migrate.ts';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export type StoreKind = 'pglite' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['pglite', 'postgres'];

/** A new, empty PostgreSQL database; drop() removes it. */
export async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rinki_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TwoRolePgDatabase {
  /** The database's owner role: migrations run as it (DATABASE_OWNER_URL). */
  ownerUrl: string;
  /** The application role, with only the grants migrations give it (DATABASE_URL). */
  appUrl: string;
  /** The superuser on the same database: an attacker with database admin rights. */
  adminUrl: string;
  appRole: string;
  drop(): Promise<void>;
}

/**
 * A new, empty PostgreSQL database owned by a new owner role, plus a new
 * application role that owns nothing: Rinki's two-role setup (README).
 * Both roles log in over 127.0.0.1 with the test server's trust auth.
 */
export async function freshPgTwoRoles(): Promise<TwoRolePgDatabase> {
  const suffix = randomBytes(6).toString('hex');
  const [name, owner, app] = [`rinki_t_${suffix}`, `rinki_owner_${suffix}`, `rinki_app_${suffix}`];
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${owner} LOGIN`);
    await admin.query(`CREATE ROLE ${app} LOGIN`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${owner}`);
  } finally {
    await admin.end();
  }
  const urlAs = (user?: string) => {
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    if (user) url.username = user;
    return url.toString();
  };
  return {
    ownerUrl: urlAs(owner),
    appUrl: urlAs(app),
    adminUrl: urlAs(),
    appRole: app,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${app}`);
        await c.query(`DROP ROLE IF EXISTS ${owner}`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Closes one of a Redis bus's connections from Redis's side, as a network cut
 * or a Redis restart would: the subscriber, or the node's own connection that
 * publishes.
 */
export async function cutRedisConnection(bus: Bus, which: 'subscriber' | 'publisher' = 'subscriber'): Promise<void> {
  const connection = which === 'subscriber' ? (bus as unknown as { subscriber: Redis }).subscriber : bus.redis!;
  const port = (connection as unknown as { stream: { localPort: number } }).stream.localPort;
  const admin = new Redis(TEST_REDIS_URL);
  try {
    if ((await admin.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${port}`, 'SKIPME', 'yes')) !== 1) throw new Error(`no such ${which} connection`);
  } finally {
    admin.disconnect();
  }
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function tempDir(prefix = 'rinki-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A migrated database of either kind, for repository-level tests. */
export async function testDb(kind: StoreKind): Promise<{ db: Db; cleanup(): Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    return { db, cleanup: () => db.close() };
  }
  const fresh = await freshPgDatabase();
  const db = await openDb({ databaseUrl: fresh.url, dataDir: tempDir() });
  await migrate(db);
  return {
    db,
    async cleanup() {
      await db.close();
      await fresh.drop();
    },
  };
}

export interface TestRinkiOptions extends StartOptions {
  store?: StoreKind;
  redis?: boolean;
  /** With store 'postgres': an owner role migrates, Rinki connects as an application role (freshPgTwoRoles). */
  twoRoles?: boolean;
  /** Extra environment (config names), e.g. { DEMO_DATA: 'true' }. */
  env?: Record<string, string>;
}

export type TestRinki = Rinki & { cleanup(): Promise<void> };

/** Rinki in this process on a random port, with its own data and database. */
export async function startTestRinki(opts: TestRinkiOptions = {}): Promise<TestRinki> {
  const dataDir = tempDir();
  const twoRoles = opts.store === 'postgres' && opts.twoRoles ? await freshPgTwoRoles() : undefined;
  const fresh = opts.store === 'postgres' && !twoRoles ? await freshPgDatabase() : undefined;
  const config = parseConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DEMO_DATA: 'false',
    REDIS_PREFIX: `rinki-t-${randomBytes(4).toString('hex')}:`,
    ...(fresh ? { DATABASE_URL: fresh.url } : {}),
    ...(twoRoles ? { DATABASE_URL: twoRoles.appUrl, DATABASE_OWNER_URL: twoRoles.ownerUrl } : {}),
    ...(opts.redis ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...opts.env,
  });
  const rinki = await startRinki(config, opts);
  return Object.assign(rinki, {
    async cleanup() {
      await rinki.close();
      await fresh?.drop();
      await twoRoles?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Rinki as a separate process (`npm start` without npm), for multi-node tests. */
export async function spawnRinkiNode(env: Record<string, string>): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', DEMO_DATA: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)".*Rinki listening/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}:\n${out}`));
    });
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    url,
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A bearer API token for a person already in the directory (tests skip the sign-in flow). */
export async function apiTokenFor(rinki: Rinki, staffId: string): Promise<string> {
  const { issueToken } = await import('../../server/src/auth/tokens.ts');
  return (await issueToken(rinki.deps.db, { staffId, kind: 'api' })).token;
}
