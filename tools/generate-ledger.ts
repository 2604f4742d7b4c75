/**
 * Fills a database with a large, consistent ledger for reconciliation and growth measurements:
 *   npx tsx tools/generate-ledger.ts --entries 1000000 --accounts 10000
 * The SQL lives in tools/lib/ledger-generator.ts (shared with the bench's `growth` scenario).
 * Uses DATABASE_URL, or the embedded PostgreSQL under DATA_DIR.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createDatabase } from '../src/db/database';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { migrateToLatest } from '../src/db/migrator';
import { generateLedger } from './lib/ledger-generator';

const FIRST_LOGIN_DEFAULT = 5_000_000;

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

const options = new Command('generate-ledger')
  .option('--entries <n>', 'journal entries to add', positiveInteger, 1_000_000)
  .option('--accounts <n>', 'accounts to spread them over', positiveInteger, 10_000)
  .option('--first-login <n>', 'first login of the generated accounts', positiveInteger, FIRST_LOGIN_DEFAULT)
  .parse()
  .opts<{ entries: number; accounts: number; firstLogin: number }>();

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: process.env.DATA_DIR ?? './.data', database: 'wallet' });
  const db = createDatabase(process.env.DATABASE_URL ?? embedded!.url, {
    poolMax: 2,
    applicationName: 'generate-ledger',
    statementTimeoutMs: 0,
  });
  const started = Date.now();
  try {
    await migrateToLatest(db);
    let reported = -1;
    const generated = await generateLedger(db, {
      ...options,
      onProgress: ({ step, entriesDone, entriesTotal }) => {
        if (entriesDone === reported) return;
        reported = entriesDone;
        console.log(
          `${entriesDone}/${entriesTotal} entries (${((Date.now() - started) / 1000).toFixed(0)} s, next: ${step})`,
        );
      },
    });
    const steps = Object.entries(generated.stepMs)
      .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
      .join(', ');
    console.log(
      `generated ${generated.entries} entries over ${generated.accounts} accounts in ${(generated.totalMs / 1000).toFixed(1)} s (${steps})`,
    );
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
