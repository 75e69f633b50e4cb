// npm run audit:purge -- --days <N>
// Purges access and disclosure log entries older than N days, in whole
// prefixes ending at a signed checkpoint (see retention.ts); N may not be
// below the database's audit_min_retention_days() (two years). Uses the same
// settings as Rinki (DATABASE_URL and DATABASE_OWNER_URL, or the PGlite data
// directory DATA_DIR).
import { parseArgs } from 'node:util';
import { parseConfig } from '../config.ts';
import { openMigratedDb } from '../store/migrate.ts';
import { purgeLog } from './retention.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { days: { type: 'string' } } });
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1) {
    console.error('usage: npm run audit:purge -- --days <whole number of days, at least 1>');
    return 2;
  }
  const config = parseConfig(process.env);
  const { db } = await openMigratedDb(config);
  try {
    for (const log of ['access', 'disclosure'] as const) {
      const r = await purgeLog(db, log, days);
      console.log(r.purgedThrough ? `${log}: purged ${r.entries} entries through seq ${r.purgedThrough}` : `${log}: nothing older than ${days} days up to a signed checkpoint`);
    }
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
