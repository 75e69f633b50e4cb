// npm run db:migrate
// Applies the migrations and nothing else, with Rinki's settings: as the
// owner role of DATABASE_OWNER_URL (which then grants the application role of
// DATABASE_URL its rights), or as the one role of DATABASE_URL / DATA_DIR.
// A release step, so the nodes can run without the owner's credentials.
import { parseConfig } from '../config.ts';
import { openMigratedDb } from './migrate.ts';

async function main(): Promise<number> {
  const { db, applied } = await openMigratedDb(parseConfig(process.env));
  await db.close();
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
