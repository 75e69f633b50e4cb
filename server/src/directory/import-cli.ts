// npm run import -- <file> --operator <staff id> [--kind K] [--dry-run]
// A system-wide import (no organisation scope) into the database the
// environment configures (DATABASE_URL, or PGlite under DATA_DIR). Operators
// keep its full power (any organisation, any role, passwords), but not admin
// and auditor in one person's hands; the operator is named in the change
// history and in the access log of every client row written (a person in the
// directory, or one the same file creates).
// JSON: {organisations:[], municipalities:[], teams:[], staff:[], clients:[]} or an
// array with --kind. CSV: --kind, or a file name that says it (staff.csv).
// Prints the report as JSON; exits 1 when any row is invalid (nothing is written then).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { IMPORT_KINDS, type ImportKind, type ImportReport } from '../../../shared/src/directory.ts';
import { parseConfig } from '../config.ts';
import { loadKeys } from '../crypto/keys.ts';
import { auditSigner } from '../disclosures/store.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { ImportFileError, importDirectory, kindFromFileName, readImportFile } from './import.ts';

const USAGE = `usage: npm run import -- <file.json|file.csv> --operator <staff id> [--kind ${IMPORT_KINDS.join('|')}] [--dry-run]`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { kind: { type: 'string' }, operator: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const file = args.positionals[0];
  if (args.values.help || !file || args.positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const operatorId = args.values.operator;
  if (!operatorId && !args.values['dry-run']) {
    console.error(`--operator is needed: the change history and the access log name who imported\n${USAGE}`);
    return 2;
  }
  const kindArg = args.values.kind;
  if (kindArg && !IMPORT_KINDS.includes(kindArg as ImportKind)) {
    console.error(`--kind must be one of ${IMPORT_KINDS.join(', ')}`);
    return 2;
  }
  const format = file.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
  const kind = (kindArg as ImportKind | undefined) ?? (format === 'csv' ? kindFromFileName(file) : undefined);
  const text = fs.readFileSync(file, 'utf8');

  const config = parseConfig(process.env);
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    const keys = await loadKeys(config);
    let report: ImportReport;
    try {
      report = await importDirectory(db, keys.clientIdKey, readImportFile(text, format, kind), {
        dryRun: !!args.values['dry-run'],
        scope: { kind: 'system', ...(operatorId ? { operatorId } : {}) },
        signer: auditSigner({ keys, config }),
      });
    } catch (err) {
      if (!(err instanceof ImportFileError)) throw err;
      report = { dryRun: !!args.values['dry-run'], ok: false, counts: {}, issues: err.issues };
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
