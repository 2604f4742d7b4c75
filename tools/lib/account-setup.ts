/**
 * Benchmark accounts created the way production creates them: admin API (account + `add`
 * deposit), operator launch token, signed /wallet/authenticate. Bounded concurrency keeps 10,000
 * accounts to seconds rather than minutes, and a progress bar on stderr shows it is moving.
 */
import cliProgress from 'cli-progress';
import { forEachConcurrently } from './concurrency';
import type { ServiceApi } from './service-api';

/** Set-up requests in flight at once: enough to keep the service busy without queueing in its pool. */
export const SETUP_CONCURRENCY = 32;

export interface BenchAccount {
  login: number;
  walletToken: string;
}

export interface AccountSetupOptions {
  label: string;
  logins: readonly number[];
  currency: string;
  deposit: string;
  concurrency?: number;
}

export async function setUpAccounts(api: ServiceApi, options: AccountSetupOptions): Promise<BenchAccount[]> {
  const accounts: BenchAccount[] = new Array(options.logins.length);
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {value}/{total} accounts | {duration}s`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = Date.now();
  bar.start(options.logins.length, 0);
  try {
    await forEachConcurrently(options.logins, options.concurrency ?? SETUP_CONCURRENCY, async (login, index) => {
      await api.createAccount(login, options.currency);
      await api.deposit(login, options.deposit);
      accounts[index] = { login, walletToken: await api.walletToken(login) };
      bar.increment();
    });
  } finally {
    bar.stop();
  }
  process.stderr.write(
    `${options.label}: ${options.logins.length} accounts in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`,
  );
  return accounts;
}
