// One set of SQL migrations for both engines, applied in file-name order at start.
// Several nodes may start at once: an advisory lock lets one of them migrate.
// With two roles (DATABASE_OWNER_URL), migrations run as the owner, and the
// application role of DATABASE_URL gets its grants after every run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { openDb, type Db } from './db.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const MIGRATION_LOCK = 72_110_001;

export interface MigrateOptions {
  /** The application role to grant what it needs (rinki_grant_application_role); none with one role. */
  applicationRole?: string;
}

export async function migrate(db: Db, opts: MigrateOptions = {}): Promise<string[]> {
  const files = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Created only when missing: an application role that may not create tables can still check.
    const [{ exists }] = await q.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists");
    if (!exists) await q.exec('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await q.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      await q.exec(fs.readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8'));
      await q.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
    }
    if (opts.applicationRole) await q.query('SELECT rinki_grant_application_role($1)', [opts.applicationRole]);
    return applied;
  });
}

/** The role name in a postgres:// URL. */
export function roleOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).username);
}

/**
 * The database Rinki runs on, migrated: with DATABASE_OWNER_URL, migrations
 * run as the owner (which then grants the application role its rights) and
 * Rinki connects as the application role of DATABASE_URL; without it, one
 * role does both.
 */
export async function openMigratedDb(config: Pick<Config, 'databaseUrl' | 'databaseOwnerUrl' | 'dataDir'>): Promise<{ db: Db; applied: string[] }> {
  if (config.databaseOwnerUrl && config.databaseUrl) {
    const owner = await openDb({ databaseUrl: config.databaseOwnerUrl, dataDir: config.dataDir, poolSize: 1 });
    let applied: string[];
    try {
      const appRole = roleOf(config.databaseUrl);
      applied = await migrate(owner, { applicationRole: appRole === roleOf(config.databaseOwnerUrl) ? undefined : appRole });
    } finally {
      await owner.close();
    }
    return { db: await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }), applied };
  }
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return { db, applied: await migrate(db) };
  } catch (err) {
    await db.close();
    throw err;
  }
}
