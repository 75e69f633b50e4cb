// One SQL dialect over two engines: PGlite (embedded default) and PostgreSQL
// (DATABASE_URL). Repositories see only `Queryable` and `Db`.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

export interface Queryable {
  /** One statement with $1.. parameters; returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Inside a transaction from Db.tx: runs fn once it has committed (never
   * when it rolls back). For effects outside the database that must not
   * announce what might not be kept.
   */
  afterCommit?(fn: () => void): void;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; rolls back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Runs reads side by side through a Db (its pool); in a transaction, which has one connection, one after another. */
export async function readTogether<T extends unknown[]>(q: Queryable, reads: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if ('tx' in q) return (await Promise.all(reads.map((r) => r()))) as T;
  const out: unknown[] = [];
  for (const r of reads) out.push(await r());
  return out as T;
}

// int8 and numeric come back as strings from pg by default; our ids and
// counters fit in a double, and one representation keeps both engines alike.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Every parameterised statement is a named prepared statement: PostgreSQL
 * plans it once per connection instead of on every call, which is most of the
 * cost of the short queries routing and the Matrix layer run all the time.
 */
const statementNames = new Map<string, string>();
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  if (!values.length) return { text };
  let name = statementNames.get(text);
  if (!name) {
    name = `s${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(private pool: pg.Pool) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(prepared(sql, params))).rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const committed: (() => void)[] = [];
    const q: Queryable = {
      query: async <R>(sql: string, params: unknown[] = []) => (await client.query(prepared(sql, params))).rows as R[],
      exec: async (sql: string) => {
        await client.query(sql);
      },
      afterCommit: (f) => void committed.push(f),
    };
    let result: T;
    try {
      await client.query('BEGIN');
      result = await fn(q);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    runAll(committed);
    return result;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  constructor(private pglite: PGlite) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pglite.query<T>(sql, params.map(normaliseParam))).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.pglite.exec(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const committed: (() => void)[] = [];
    const result = await this.pglite.transaction(async (t) =>
      fn({
        query: async <R>(sql: string, params: unknown[] = []) => (await t.query<R>(sql, params.map(normaliseParam))).rows,
        exec: async (sql: string) => {
          await t.exec(sql);
        },
        afterCommit: (f) => void committed.push(f),
      }),
    );
    runAll(committed);
    return result;
  }

  async close(): Promise<void> {
    await this.pglite.close();
  }
}

// After-commit effects run one by one; one that throws does not stop the rest
// nor turn a committed transaction into a failure.
function runAll(fns: (() => void)[]): void {
  for (const f of fns) {
    try {
      f();
    } catch {
      // each effect reports its own failures
    }
  }
}

// PGlite serialises a Buffer like any Uint8Array only when it is a plain one.
function normaliseParam(p: unknown): unknown {
  return Buffer.isBuffer(p) ? new Uint8Array(p) : p;
}

export async function openDb(opts: { databaseUrl?: string; dataDir: string; poolSize?: number }): Promise<Db> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    pool.on('error', () => undefined); // an idle client's error surfaces on its next query
    return new PostgresDb(pool);
  }
  if (opts.dataDir === 'memory://') return new PgliteDb(await PGlite.create('memory://'));
  const dir = path.join(opts.dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  return new PgliteDb(await PGlite.create(dir));
}
