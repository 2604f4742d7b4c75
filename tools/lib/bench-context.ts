/**
 * What bench.ts hands every scenario: options, the running service and database, and the shared
 * account set-up (done once, on first use, and timed for the report).
 */
import { setUpAccounts, type BenchAccount } from './account-setup';
import { BENCH_MANAGER_PASSWORD, MANAGER_LOGINS, type BenchManager, type ManagerRole } from './manager-connections';
import type { BenchContext, BenchOptions } from './scenario';
import { BENCH_CURRENCY, HOT_DEPOSIT, HOT_LOGIN, SPREAD_DEPOSIT, SPREAD_FIRST_LOGIN } from './trade-load';

/** Resolves once; every later call gets the same promise (set-up shared between scenarios). */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

export function createBenchContext(
  options: BenchOptions,
  base: Pick<
    BenchContext,
    'databaseUrl' | 'service' | 'credentials' | 'api' | 'window' | 'cleanup' | 'launchSibling' | 'measured'
  >,
  setupMs: Record<string, number>,
): BenchContext {
  const timed = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    const startedAt = Date.now();
    const value = await run();
    setupMs[label] = Date.now() - startedAt;
    return value;
  };
  const managers = new Map<ManagerRole, () => Promise<BenchManager>>();
  const spreadLogins = Array.from({ length: options.accounts }, (_, index) => SPREAD_FIRST_LOGIN + index);
  return {
    options,
    ...base,
    spreadAccounts: once(() =>
      timed('spreadAccounts', () =>
        setUpAccounts(base.api, {
          label: 'set-up spread',
          logins: spreadLogins,
          currency: BENCH_CURRENCY,
          deposit: SPREAD_DEPOSIT,
        }),
      ),
    ),
    hotAccount: once(async (): Promise<BenchAccount> => {
      const [account] = await timed('hotAccount', () =>
        setUpAccounts(base.api, {
          label: 'set-up hot',
          logins: [HOT_LOGIN],
          currency: BENCH_CURRENCY,
          deposit: HOT_DEPOSIT,
        }),
      );
      return account!;
    }),
    manager: (role) => {
      let make = managers.get(role);
      if (make === undefined) {
        make = once(async () => {
          const manager = { login: MANAGER_LOGINS[role], password: BENCH_MANAGER_PASSWORD, role };
          await timed(`manager ${role}`, () => base.api.createManager(manager.login, manager.password, role));
          return manager;
        });
        managers.set(role, make);
      }
      return make();
    },
  };
}
