/**
 * The ceiling for the wallet scenarios: the database work of one wallet request, with nothing
 * else. Each call is the statement WalletStore.execute sends (`wallet_execute` with one-element
 * arrays, the nonce consumed inside it; waiting for the account's lock, as a plain client would),
 * from a plain pg.Pool, without HTTP, signatures, JSON or knex. The service's throughput divided by
 * this one says how much the service layer costs.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { hashToken, newToken } from '../../src/shared/tokens';
import type { BenchAccount } from './account-setup';
import { runClosedLoop, type LoadMeter, type Verdict } from './load';
import type { BenchContext, Scenario, ScenarioMeasurement } from './scenario';
import { BENCH_CURRENCY, pickIndex, pickPayoutMinor, STAKE_MINOR, tradeId } from './trade-load';

/** The SQL of WalletStore.execute (knex turns its `?` into these `$n`), in its waiting mode. */
const WALLET_EXECUTE_SQL =
  'SELECT * FROM wallet_execute($1::text[], $2::text[], $3::bytea[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::jsonb[], true)';
const TRADE_TYPE = 'bench-db';
/** Wallet tokens inserted per statement when preparing the baseline. */
const TOKEN_INSERT_CHUNK = 5_000;
/** Lifetime of the baseline's tokens, in seconds: far beyond any run. */
const TOKEN_TTL_S = 86_400;
const NONCE_BYTES = 16;

interface ExecuteRow {
  r_outcome: string;
}

export function dbDirectScenario(spec: {
  name: string;
  description: string;
  /** The TPC-B baseline it is compared with, like the HTTP scenario it is the ceiling of. */
  baseline: string;
  accounts: (context: BenchContext) => Promise<BenchAccount[]>;
}): Scenario {
  return {
    name: spec.name,
    description: spec.description,
    transport: 'db',
    baseline: spec.baseline,
    run: async (context) => runDirectPairs(spec.name, await spec.accounts(context), context),
  };
}

async function runDirectPairs(
  name: string,
  accounts: BenchAccount[],
  context: BenchContext,
): Promise<ScenarioMeasurement> {
  const { options } = context;
  const pool = new pg.Pool({
    connectionString: context.databaseUrl,
    max: options.connections,
    application_name: 'wallet-bench-direct',
  });
  pool.on('error', () => undefined); // an idle connection ended by the server is replaced on next use
  try {
    const tokenHashes = await insertWalletTokens(
      pool,
      accounts.map((account) => account.login),
    );
    await openAllConnections(pool, options.connections);
    const result = await runClosedLoop(
      {
        workers: options.connections,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        window: context.window,
      },
      ({ worker, iteration, meter }) =>
        directPair(pool, tokenHashes[pickIndex(tokenHashes.length)]!, tradeId(name, worker, iteration), meter),
    );
    return { ...result, accounts: accounts.length };
  } finally {
    await pool.end();
  }
}

/** The service's pool is warm by the time it is measured; so must this one be (64 logins cost CPU). */
async function openAllConnections(pool: pg.Pool, count: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  for (const client of clients) client.release();
}

/** Fresh tokens for the accounts, stored the way wallet_authenticate stores them (SHA-256 of the token). */
async function insertWalletTokens(pool: pg.Pool, logins: readonly number[]): Promise<Buffer[]> {
  const hashes = logins.map(() => hashToken(newToken()));
  for (let start = 0; start < logins.length; start += TOKEN_INSERT_CHUNK) {
    await pool.query(
      `INSERT INTO wallet_tokens (token_hash, login, expires_at)
       SELECT t.hash, t.login, now() + make_interval(secs => $3)
         FROM unnest($1::bytea[], $2::bigint[]) AS t (hash, login)`,
      [hashes.slice(start, start + TOKEN_INSERT_CHUNK), logins.slice(start, start + TOKEN_INSERT_CHUNK), TOKEN_TTL_S],
    );
  }
  return hashes;
}

async function directPair(pool: pg.Pool, tokenHash: Buffer, id: string, meter: LoadMeter): Promise<void> {
  const startedAt = performance.now();
  const opened = await meter.measure(() => execute(pool, 'open', tokenHash, STAKE_MINOR, id), outcomeVerdict);
  if (opened !== 'OK') return;
  const closed = await meter.measure(() => execute(pool, 'close', tokenHash, pickPayoutMinor(), id), outcomeVerdict);
  if (closed === 'OK') meter.completePair(startedAt);
}

/** One wallet request's database round trip, with the arguments WalletStore.execute builds. */
async function execute(
  pool: pg.Pool,
  kind: 'open' | 'close',
  tokenHash: Buffer,
  amountMinor: bigint,
  id: string,
): Promise<string> {
  const nonce = randomBytes(NONCE_BYTES).toString('hex');
  const { rows } = await pool.query<ExecuteRow>(WALLET_EXECUTE_SQL, [
    [kind],
    [nonce],
    [tokenHash],
    [BENCH_CURRENCY],
    [amountMinor],
    [TRADE_TYPE],
    [id],
    [null],
  ]);
  return rows[0]?.r_outcome ?? 'NO_ROW';
}

function outcomeVerdict(outcome: string): Verdict {
  if (outcome === 'OK') return 'ok';
  if (outcome === 'INSUFFICIENT_FUNDS') return 'insufficient';
  return { error: `outcome ${outcome}` };
}
