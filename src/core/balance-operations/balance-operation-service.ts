import { createHash } from 'node:crypto';
import type { EventStore, StoredEvent } from '../events/event-store';
import type { MoneyBatching } from '../../config';
import { executeUnclaimed, LaneBatcher } from '../../shared/lane-batcher';
import {
  AccountBusyError,
  AccountNotFoundError,
  AppError,
  IdempotencyMismatchError,
  InsufficientFundsError,
  RecordNotFoundError,
  UnavailableError,
  ValidationError,
} from '../../shared/errors';
import type { AccountLanes } from '../accounts/account-lanes';
import { unreachableOutcome } from '../../shared/outcomes';
import type { AccountService } from '../accounts/account-service';
import { parseMinorUnits } from '../money/amount';
import { requireCurrency, type Currency } from '../money/currency';
import type { NamedCommand, SyncTimeout, SyncTimeoutStore } from './sync-timeout-store';
import type { ApplyParams, BalanceOperationStore, FinanceRecord, OperationResult } from './balance-operation-store';
import { signedAmount } from './operation-kinds';
import type {
  BalanceOperationRequest,
  BalanceOperationResult,
  DeleteRecordRequest,
  LateOutcome,
  NamedOrder,
  OrderStatus,
} from './balance-operation-types';

/** Order numbers reserved per round trip for Sync commands. */
export const ORDER_NUMBER_BLOCK = 100;

/** The answer of an operation that must wait for its account's lock: run it alone, in the account's lane. */
const ACCOUNT_BUSY: OperationResult = {
  outcome: 'ACCOUNT_BUSY',
  orderNo: null,
  eventType: null,
  eventId: null,
  bucketMinor: null,
};

/** Operations waiting in one lane, at most; beyond, an operation is refused as transient (503). */
export const BALANCE_LANE_QUEUE_MAX = 4096;

/** The largest single finance operation, in minor units (MetaTrader caps one operation too). */
export const BALANCE_OPERATION_MINOR_MAX = 10n ** 17n;

/**
 * Balance operations on the buckets, shared by the admin API and the manager API: one record per
 * order, an update posts only the difference, a deletion reverses the record, a withdrawal never
 * takes more than its bucket holds.
 *
 * Concurrent operations are coalesced into few transactions, as the wallet's requests are: spread
 * over `batching.lanes` lanes by account (one account's operations share a lane, in arrival order),
 * each lane running one batch at a time (balance_operation_apply_batch), every operation keeping
 * its own outcome, idempotency and error (a batch that fails runs again one operation at a time).
 * An operation whose account someone else holds locked comes back ACCOUNT_BUSY with nothing done and
 * queues in the account's lane (AccountLanes, shared with the wallet), which waits for the lock, in
 * the application, not in the connection pool; while it waits, that account's later operations
 * queue behind it (their order).
 */
export class BalanceOperationService {
  private readonly reservedOrders: bigint[] = [];
  private refill: Promise<void> | undefined;
  private readonly lanes: LaneBatcher<ApplyParams, OperationResult>;
  /** Accounts with operations waiting in their account lane, and how many. */
  private readonly waitingLogins = new Map<bigint, number>();

  constructor(
    private readonly store: BalanceOperationStore,
    private readonly accountLanes: Pick<AccountLanes<unknown, unknown>, 'run'>,
    private readonly events: EventStore,
    private readonly accounts: AccountService,
    private readonly syncTimeouts: SyncTimeoutStore,
    batching: MoneyBatching,
    onBatch: (size: number) => void = () => undefined,
  ) {
    const lanes = BigInt(batching.lanes);
    this.lanes = new LaneBatcher({
      // an account with operations waiting for its lock takes the later ones behind them (their order)
      execute: (batch) =>
        executeUnclaimed(
          batch,
          (params) => this.claimedByWaiting(params),
          (free) => store.applyBatch(free),
        ),
      laneOf: (params) => params.login % lanes,
      batchSizeMax: batching.batchSizeMax,
      queueLengthMax: BALANCE_LANE_QUEUE_MAX,
      overloaded: () => new UnavailableError('balance operations are overloaded, retry later'),
      // another operation's fault must not become this one's answer: only the database being away is shared
      onFailure: (error) => (error instanceof UnavailableError ? 'reject-batch' : 'split'),
      onBatch,
    });
  }

  /**
   * An order number for a Sync command, taken from a block reserved in advance: one round trip per
   * ORDER_NUMBER_BLOCK commands instead of one each. Numbers stay unique; across instances they
   * are not in time order, and a number reserved but not used leaves a gap (as nextval always may).
   */
  async reserveOrderNo(): Promise<bigint> {
    while (this.reservedOrders.length === 0) {
      this.refill ??= this.store.reserveOrderNumbers(ORDER_NUMBER_BLOCK).then(
        (orders) => {
          this.reservedOrders.push(...orders);
          this.refill = undefined;
        },
        (error: unknown) => {
          this.refill = undefined;
          throw error;
        },
      );
      await this.refill;
    }
    return this.reservedOrders.shift()!;
  }

  /**
   * Applies a balance operation: the amount is read exactly in the account's currency and signed by
   * the operation's rule (the same for every transport), then applied in the account's lane.
   */
  async apply(request: BalanceOperationRequest): Promise<BalanceOperationResult> {
    const { currency, amountMinor } = await this.amountOf(request);
    const result = await this.submit({
      login: request.login,
      newOrderNo: request.reservedOrderNo ?? null,
      targetOrderNo: request.targetOrderNo,
      cmd: request.kind.cmd,
      operation: request.kind.name,
      bucket: request.kind.bucket,
      systemBook: request.kind.systemBook,
      amountMinor,
      comment: request.comment,
      defaultComment: request.defaultComment ?? null,
      openTime: request.openTime,
      closeTime: request.closeTime,
      source: request.source,
      actor: request.actor,
      idempotencyKey: request.referenceId,
      requestDigest: requestDigest(request, amountMinor),
      commandId: request.commandId ?? null,
    });
    const context = {
      login: request.login,
      orderNo: request.targetOrderNo,
      referenceId: request.referenceId,
      bucket: `the ${request.kind.bucket} bucket`,
    };
    return { ...toResult(result, context), login: request.login, cmd: request.kind.cmd, currency, amountMinor };
  }

  /** The request's amount, read exactly in the account's currency and signed by the operation's rule. */
  private async amountOf(request: BalanceOperationRequest): Promise<{ currency: Currency; amountMinor: bigint }> {
    const currency = requireCurrency(await this.accounts.currencyOf(request.login));
    const amountMinor = signedAmount(request.kind, parseMinorUnits(request.amount, currency.scale));
    if (amountMinor === 0n) throw new ValidationError('amount must not be zero');
    const magnitude = amountMinor < 0n ? -amountMinor : amountMinor;
    if (magnitude > BALANCE_OPERATION_MINOR_MAX)
      throw new ValidationError('amount is above the limit of one operation');
    return { currency, amountMinor };
  }

  /**
   * The order a Sync finance command names in its SYNC_TIMEOUT, so that the order resolves for
   * ever (docs/manager-api.md#looking-up-an-order), decided before the command runs: with a
   * once-only key already applied, the order it was applied under (the command will answer it);
   * with `order` of an existing record of its login and cmd, that record; with a once-only key
   * whose earlier command of the same content was answered SYNC_TIMEOUT, the order that one named
   * (a retry takes it: balance_operation_apply); otherwise a new order, the one its new record will
   * take. Pass `orderNo` as the request's `reservedOrderNo`.
   */
  async nameOrder(request: BalanceOperationRequest): Promise<NamedOrder> {
    const { amountMinor } = await this.amountOf(request);
    const command: NamedCommand = {
      login: request.login,
      cmd: request.kind.cmd,
      scope: request.source,
      referenceId: request.referenceId,
      requestDigest: requestDigest(request, amountMinor),
    };
    const ofKey =
      command.referenceId === null
        ? undefined
        : await this.syncTimeouts.ordersOfKey({ ...command, referenceId: command.referenceId });
    if (ofKey?.appliedOrderNo !== undefined) return { orderNo: ofKey.appliedOrderNo, command };
    if (request.targetOrderNo !== null) {
      const [target] = await this.store.records({ orderNo: request.targetOrderNo });
      if (target !== undefined && target.login === request.login && target.cmd === request.kind.cmd)
        return { orderNo: target.orderNo, command };
    }
    return { orderNo: ofKey?.namedOrderNo ?? (await this.reserveOrderNo()), command };
  }

  /** A Sync command answered SYNC_TIMEOUT: kept for the finance team's review (reconciliation lists it) and for its order's lookups. */
  recordSyncTimeout(timeout: SyncTimeout, command: NamedCommand | null): Promise<void> {
    return this.syncTimeouts.insert(timeout, command);
  }

  /**
   * What became of a command after its SYNC_TIMEOUT named `orderNo`: nothing to keep when it was
   * applied under that order (the record answers); otherwise the other order it was applied as, or
   * its refusal. A failure that is no refusal of the finance core (a fault of ours) keeps nothing:
   * the order stays pending, and a retry with the same referenceId applies it.
   */
  async recordLateOutcome(orderNo: bigint, command: NamedCommand | null, outcome: LateOutcome): Promise<void> {
    if (command === null) return;
    if ('orderNo' in outcome) {
      if (outcome.orderNo !== orderNo)
        await this.syncTimeouts.resolve(orderNo, command, { appliedOrderNo: outcome.orderNo });
      return;
    }
    if (outcome.error instanceof AppError)
      await this.syncTimeouts.resolve(orderNo, command, { code: outcome.error.code, message: outcome.error.message });
  }

  /** What an order resolves to: see OrderStatus. */
  async orderStatus(orderNo: bigint): Promise<OrderStatus> {
    const [record] = await this.store.records({ orderNo });
    if (record !== undefined) return { kind: 'record', record };
    const trace = await this.syncTimeouts.trace(orderNo);
    if (trace === undefined) throw recordNotFound(orderNo);
    if (trace.kind === 'applied-as') return { kind: 'record', record: await this.record(trace.appliedOrderNo) };
    return { ...trace, orderNo };
  }

  /** ACCOUNT_BUSY for an operation whose account has operations waiting for its lock: it waits behind them. */
  private claimedByWaiting(params: ApplyParams): OperationResult | undefined {
    return this.waitingLogins.has(params.login) ? ACCOUNT_BUSY : undefined;
  }

  private async submit(params: ApplyParams): Promise<OperationResult> {
    const result = this.claimedByWaiting(params) ?? (await this.lanes.submit(params));
    return result.outcome === 'ACCOUNT_BUSY' ? this.waitForAccount(params) : result;
  }

  /** Runs the operation alone in its account's lane, which waits for the lock someone else holds. */
  private async waitForAccount(params: ApplyParams): Promise<OperationResult> {
    this.waitingLogins.set(params.login, (this.waitingLogins.get(params.login) ?? 0) + 1);
    try {
      return await this.accountLanes.run(params.login, () => this.store.apply(params));
    } finally {
      const left = this.waitingLogins.get(params.login)! - 1;
      if (left === 0) this.waitingLogins.delete(params.login);
      else this.waitingLogins.set(params.login, left);
    }
  }

  /** Reverses a finance record (DeleteBalance): once only; a repeat answers the first deletion. */
  async delete(request: DeleteRecordRequest): Promise<BalanceOperationResult> {
    const login = await this.store.loginOfRecord(request.orderNo);
    if (login === undefined) throw recordNotFound(request.orderNo);
    const result = await this.accountLanes.run(login, () =>
      this.store.delete({
        login,
        orderNo: request.orderNo,
        source: request.source,
        actor: request.actor,
        commandId: request.commandId ?? null,
      }),
    );
    const outcome = toResult(result, {
      login,
      orderNo: request.orderNo,
      referenceId: null,
      bucket: "the record's bucket",
    });
    const record = await this.record(request.orderNo);
    return {
      ...outcome,
      login,
      cmd: record.cmd,
      currency: requireCurrency(record.currency),
      amountMinor: record.amountMinor,
    };
  }

  async record(orderNo: bigint): Promise<FinanceRecord> {
    const [record] = await this.store.records({ orderNo });
    if (record === undefined) throw recordNotFound(orderNo);
    return record;
  }

  /** A login's records, oldest first, within [fromS, toS] of their close time. */
  records(login: bigint, fromS: bigint | null, toS: bigint | null, limit: number): Promise<FinanceRecord[]> {
    return this.store.records({ login, fromS, toS, limit });
  }

  /** The event an operation wrote (for a replay: its first application's), when it is known. */
  async eventOf(result: BalanceOperationResult): Promise<StoredEvent | undefined> {
    return result.eventId === null ? undefined : this.events.byId(result.eventId);
  }
}

function recordNotFound(orderNo: bigint): RecordNotFoundError {
  return new RecordNotFoundError(`order ${orderNo} does not exist`, { order: orderNo.toString() });
}

/** The engine's outcome as a result, or as the domain error the transports understand. */
type Outcome = Pick<BalanceOperationResult, 'orderNo' | 'eventType' | 'eventId' | 'created' | 'replayed'>;

function toResult(
  result: OperationResult,
  request: { login: bigint; orderNo: bigint | null; referenceId: string | null; bucket: string },
): Outcome {
  switch (result.outcome) {
    case 'OK':
    case 'REPLAY':
      return {
        orderNo: result.orderNo!,
        eventType: result.eventType!,
        eventId: result.eventId,
        created: result.eventType === 'EV_RECORD_ADD',
        replayed: result.outcome === 'REPLAY',
      };
    case 'ACCOUNT_NOT_FOUND':
      throw new AccountNotFoundError(request.login);
    case 'RECORD_NOT_FOUND':
      throw recordNotFound(request.orderNo!);
    case 'INSUFFICIENT_FUNDS':
      throw new InsufficientFundsError(`${request.bucket} does not cover the amount`, {
        bucketMinor: result.bucketMinor,
      });
    case 'IDEMPOTENCY_MISMATCH':
      throw new IdempotencyMismatchError(`referenceId ${request.referenceId} was already used with different content`, {
        order: result.orderNo?.toString(),
      });
    case 'ORDER_MISMATCH':
      throw new ValidationError(`order ${request.orderNo} belongs to another login or command`);
    case 'RECORD_DELETED':
      throw new ValidationError(`order ${request.orderNo} was deleted and cannot be updated`);
    case 'CLOSE_BEFORE_OPEN':
      throw new ValidationError('close_time must not be before open_time');
    case 'ACCOUNT_BUSY':
      throw new AccountBusyError('the account is locked by another transaction; nothing was applied, retry later');
    default:
      return unreachableOutcome(result.outcome);
  }
}

/** What makes two requests with one referenceId "the same": every field that changes the outcome. */
function requestDigest(request: BalanceOperationRequest, amountMinor: bigint): Buffer {
  const content = [
    request.login,
    request.kind.name,
    amountMinor,
    request.comment,
    request.openTime,
    request.closeTime,
    request.targetOrderNo,
  ].map((value) => (value === null ? null : String(value)));
  return createHash('sha256').update(JSON.stringify(content)).digest();
}
