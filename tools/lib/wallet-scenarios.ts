/**
 * Wallet scenarios over HTTP: signed (v2) opentrade + closetrade pairs, the way a trading platform
 * calls the service, from `connections` concurrent workers.
 */
import type { HttpJsonResponse } from '@wallet-service/client';
import { WalletClient } from '@wallet-service/client';
import type { BenchAccount } from './account-setup';
import { performance } from 'node:perf_hooks';
import { runClosedLoop, type LoadMeter, type Verdict } from './load';
import type { BenchContext, Scenario, ScenarioMeasurement } from './scenario';
import { BENCH_CURRENCY, pickIndex, pickPayoutMinor, STAKE, tradeId, usdText } from './trade-load';

const TRADE_TYPE = 'bench';

export function walletPairScenario(spec: {
  name: string;
  description: string;
  baseline: string;
  ceiling: string;
  accounts: (context: BenchContext) => Promise<BenchAccount[]>;
}): Scenario {
  return {
    name: spec.name,
    description: spec.description,
    transport: 'http',
    baseline: spec.baseline,
    ceiling: spec.ceiling,
    run: async (context) => runWalletPairs(spec.name, await spec.accounts(context), context),
  };
}

async function runWalletPairs(
  name: string,
  accounts: BenchAccount[],
  context: BenchContext,
): Promise<ScenarioMeasurement> {
  const { options } = context;
  const wallet = new WalletClient(context.service.baseUrl, context.credentials.walletSecret, {
    maxSockets: options.connections,
  });
  try {
    const result = await runClosedLoop(
      {
        workers: options.connections,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        window: context.window,
      },
      ({ worker, iteration, meter }) =>
        tradePair(wallet, accounts[pickIndex(accounts.length)]!, tradeId(name, worker, iteration), meter),
    );
    return { ...result, accounts: accounts.length };
  } finally {
    wallet.close();
  }
}

/** opentrade, then (when it was accepted) closetrade of the same trade; their latencies are also kept apart by kind. */
export async function tradePair(
  wallet: WalletClient,
  account: BenchAccount,
  id: string,
  meter: LoadMeter,
): Promise<void> {
  const trade = {
    token: account.walletToken,
    currency: BENCH_CURRENCY,
    externalTradeType: TRADE_TYPE,
    externalTradeId: id,
  };
  const startedAt = performance.now();
  const opened = await meter.measure(
    () => wallet.send('opentrade', { ...trade, amount: STAKE }),
    walletVerdict,
    'opentrade',
  );
  if (opened === undefined || walletStatus(opened) !== 'Ok') return; // refused: nothing to close
  const closed = await meter.measure(
    () => wallet.send('closetrade', { ...trade, amount: usdText(pickPayoutMinor()) }),
    walletVerdict,
    'closetrade',
  );
  if (closed !== undefined && walletStatus(closed) === 'Ok') meter.completePair(startedAt);
}

/** getbalance of the account (an Ok answer is the only correct one). */
export async function getBalance(wallet: WalletClient, account: BenchAccount, meter: LoadMeter): Promise<void> {
  await meter.measure(
    () => wallet.send('getbalance', { token: account.walletToken, currency: BENCH_CURRENCY }),
    (response) => {
      const verdict = walletVerdict(response);
      return verdict === 'insufficient' ? { error: 'status InsufficientFunds' } : verdict;
    },
    'getbalance',
  );
}

/** Ok and InsufficientFunds are correct answers; any other status, and any HTTP error, is an error. */
export function walletVerdict(response: HttpJsonResponse): Verdict {
  if (response.status !== 200) return { error: `HTTP ${response.status}` };
  const status = walletStatus(response);
  if (status === 'Ok') return 'ok';
  if (status === 'InsufficientFunds') return 'insufficient';
  return { error: `status ${status}` };
}

function walletStatus(response: HttpJsonResponse): string {
  const body = response.body as { status?: unknown } | null;
  return typeof body?.status === 'string' ? body.status : 'unreadable';
}
