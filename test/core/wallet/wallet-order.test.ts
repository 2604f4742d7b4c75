import { AccountLanes } from '../../../src/core/accounts/account-lanes';
import { WalletService } from '../../../src/core/wallet/wallet-service';
import type { WalletOperation, WalletOperationResult, WalletStore } from '../../../src/core/wallet/wallet-store';

/**
 * The order of one user's money requests when the first meets the account locked (a rule of the
 * service, with an in-memory store): the requests queued behind it must not overtake it in the
 * next batch once the lock is free.
 */
const LOGIN = 5n;
const ok = (): WalletOperationResult => ({ outcome: 'OK', login: LOGIN, currency: 'USD', availableMinor: 0n });
const busy = (): WalletOperationResult => ({
  outcome: 'ACCOUNT_BUSY',
  login: LOGIN,
  currency: null,
  availableMinor: null,
});

/** The first batch waits for `releaseFirstBatch` and finds the account locked; after it the lock is free. */
class LockedOnceStore {
  readonly applied: string[] = [];
  batches = 0;
  releaseFirstBatch: () => void = () => undefined;

  async execute(operations: readonly WalletOperation[], wait: boolean): Promise<WalletOperationResult[]> {
    if (wait) {
      await new Promise((resolve) => setImmediate(resolve)); // a round trip to the database
    } else {
      this.batches += 1;
      if (this.batches === 1)
        return new Promise((resolve) => (this.releaseFirstBatch = () => resolve(operations.map(busy))));
    }
    for (const operation of operations) this.applied.push(operation.tradeId!);
    return operations.map(ok);
  }
}

const open = (tradeId: string) => ({
  token: 'player-token',
  currency: 'USD',
  amount: '1.00',
  externalTradeType: 'options',
  externalTradeId: tradeId,
  dataJson: null,
});

it('runs the money requests queued behind one that met its account locked after it, in their order', async () => {
  const store = new LockedOnceStore();
  const service = new WalletService(
    store as unknown as WalletStore,
    new AccountLanes((operations: WalletOperation[]) => store.execute(operations, true)),
    { walletTokenTtlS: 60, batching: { lanes: 1, batchSizeMax: 256 } },
  );
  const first = service.openTrade(open('t1'), null);
  await new Promise((resolve) => setImmediate(resolve));
  const later = [service.openTrade(open('t2'), null), service.closeTrade(open('t3'), null)];
  await new Promise((resolve) => setImmediate(resolve));
  store.releaseFirstBatch();
  await Promise.all([first, ...later]);
  expect(store.applied).toEqual(['t1', 't2', 't3']);
  expect(store.batches).toBe(1);
});
