import { AccountLanes } from '../../../src/core/accounts/account-lanes';
import type { AccountService } from '../../../src/core/accounts/account-service';
import { BalanceOperationService } from '../../../src/core/balance-operations/balance-operation-service';
import type { BalanceOperationRequest } from '../../../src/core/balance-operations/balance-operation-types';
import type {
  ApplyParams,
  BalanceOperationStore,
  OperationResult,
} from '../../../src/core/balance-operations/balance-operation-store';
import { ADMIN_OPERATIONS } from '../../../src/core/balance-operations/operation-kinds';
import type { SyncTimeoutStore } from '../../../src/core/balance-operations/sync-timeout-store';
import type { EventStore } from '../../../src/core/events/event-store';

/**
 * The order of one account's operations when the first meets the account locked (a rule of the
 * service, with an in-memory store): the operations queued behind it must not overtake it in the
 * next batch once the lock is free.
 */
const OK: OperationResult = { outcome: 'OK', orderNo: 1n, eventType: 'EV_RECORD_ADD', eventId: 1n, bucketMinor: 0n };
const BUSY: OperationResult = {
  outcome: 'ACCOUNT_BUSY',
  orderNo: null,
  eventType: null,
  eventId: null,
  bucketMinor: null,
};

/** The first batch waits for `releaseFirstBatch` and finds the account locked; after it the lock is free. */
class LockedOnceStore {
  readonly applied: bigint[] = [];
  batches = 0;
  releaseFirstBatch: () => void = () => undefined;

  applyBatch(batch: ApplyParams[]): Promise<OperationResult[]> {
    this.batches += 1;
    if (this.batches === 1)
      return new Promise((resolve) => (this.releaseFirstBatch = () => resolve(batch.map(() => BUSY))));
    for (const params of batch) this.applied.push(params.amountMinor);
    return Promise.resolve(batch.map(() => OK));
  }

  async apply(params: ApplyParams): Promise<OperationResult> {
    await new Promise((resolve) => setImmediate(resolve)); // a round trip to the database
    this.applied.push(params.amountMinor);
    return OK;
  }
}

const deposit = (amount: string): BalanceOperationRequest => ({
  login: 5n,
  kind: ADMIN_OPERATIONS.add,
  amount,
  comment: null,
  openTime: null,
  closeTime: null,
  targetOrderNo: null,
  source: 'admin',
  actor: 'test',
  referenceId: null,
});

it('runs the operations queued behind one that met its account locked after it, in their order', async () => {
  const store = new LockedOnceStore();
  const accounts = { currencyOf: async () => 'USD' } as unknown as AccountService;
  const service = new BalanceOperationService(
    store as unknown as BalanceOperationStore,
    new AccountLanes(async () => []),
    {} as EventStore,
    accounts,
    {} as SyncTimeoutStore,
    { lanes: 1, batchSizeMax: 256 },
  );
  const first = service.apply(deposit('1.00'));
  await new Promise((resolve) => setImmediate(resolve));
  const later = [service.apply(deposit('2.00')), service.apply(deposit('3.00'))];
  await new Promise((resolve) => setImmediate(resolve));
  store.releaseFirstBatch();
  await Promise.all([first, ...later]);
  expect(store.applied).toEqual([100n, 200n, 300n]);
  expect(store.batches).toBe(1);
});
