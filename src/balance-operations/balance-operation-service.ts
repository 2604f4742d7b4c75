import { createHash } from 'node:crypto';
import {
  AccountNotFoundError,
  IdempotencyMismatchError,
  InsufficientFundsError,
  RecordNotFoundError,
  ValidationError,
} from '../shared/errors';
import type { ApplyResult, BalanceOperationStore, FinanceRecord } from './balance-operation-store';
import type { OperationKind } from './operation-kinds';

/** One balance operation, from the admin API or a manager finance command. */
export interface BalanceOperationRequest {
  login: bigint;
  kind: OperationKind;
  /** The signed amount the record applies to its bucket (see `signedAmount`). */
  amountMinor: bigint;
  comment: string | null;
  openTime: bigint | null;
  closeTime: bigint | null;
  /** An existing record to update; when it does not exist a new record is created. */
  targetOrderNo: bigint | null;
  source: 'admin' | 'manager';
  actor: string;
  /** Once-only key: a repeat with the same content is answered from the first outcome. */
  referenceId: string | null;
  /** Order number reserved beforehand (the Sync flow waits on it before the money moves). */
  reservedOrderNo?: bigint | null;
}

export interface BalanceOperationResult {
  orderNo: bigint;
  /** The event this operation wrote (or, for a replay, the one its first application wrote). */
  eventType: 'EV_RECORD_ADD' | 'EV_RECORD_UPDATE';
  /** True when a new record was created (false: an existing order was updated). */
  created: boolean;
  /** True when the referenceId was already applied: nothing moved this time. */
  replayed: boolean;
}

/** Order numbers reserved per round trip for Sync commands. */
export const ORDER_NUMBER_BLOCK = 100;

/** The largest single finance operation, in minor units (MetaTrader caps one operation too). */
export const BALANCE_OPERATION_MINOR_MAX = 10n ** 17n;

/**
 * Balance operations on the buckets, shared by the admin API and the manager API: one record per
 * order, an update posts only the difference, a withdrawal never takes more than its bucket holds.
 */
export class BalanceOperationService {
  private readonly reservedOrders: bigint[] = [];
  private refill: Promise<void> | undefined;

  constructor(private readonly store: BalanceOperationStore) {}

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

  async apply(request: BalanceOperationRequest): Promise<BalanceOperationResult> {
    if (request.amountMinor === 0n) throw new ValidationError('amount must not be zero');
    const magnitude = request.amountMinor < 0n ? -request.amountMinor : request.amountMinor;
    if (magnitude > BALANCE_OPERATION_MINOR_MAX) throw new ValidationError('amount is above the limit of one operation');
    const result = await this.store.apply({
      login: request.login,
      newOrderNo: request.reservedOrderNo ?? null,
      targetOrderNo: request.targetOrderNo,
      cmd: request.kind.cmd,
      operation: request.kind.name,
      bucket: request.kind.bucket,
      systemBook: request.kind.systemBook,
      amountMinor: request.amountMinor,
      comment: request.comment,
      openTime: request.openTime,
      closeTime: request.closeTime,
      source: request.source,
      actor: request.actor,
      idempotencyScope: request.source,
      idempotencyKey: request.referenceId,
      requestDigest: requestDigest(request),
    });
    return this.toResult(request, result);
  }

  findRecord(orderNo: bigint): Promise<FinanceRecord | undefined> {
    return this.store.findRecord(orderNo);
  }

  /** A record as its event data (JSON text), as Sync commands answer it. */
  async recordEventData(orderNo: bigint): Promise<string> {
    const [data] = await this.store.recordEventData({ orderNo });
    if (data === undefined) throw new RecordNotFoundError(`order ${orderNo} does not exist`, { order: orderNo.toString() });
    return data;
  }

  /** A login's records as event data, oldest first, within [fromS, toS] of their close time. */
  listRecordEventData(login: bigint, fromS: bigint | null, toS: bigint | null, limit: number): Promise<string[]> {
    return this.store.recordEventData({ login, fromS, toS, limit });
  }

  private toResult(request: BalanceOperationRequest, result: ApplyResult): BalanceOperationResult {
    switch (result.outcome) {
      case 'OK':
      case 'REPLAY':
        return {
          orderNo: result.orderNo!,
          eventType: result.eventType!,
          created: result.eventType === 'EV_RECORD_ADD',
          replayed: result.outcome === 'REPLAY',
        };
      case 'ACCOUNT_NOT_FOUND':
        throw new AccountNotFoundError(request.login);
      case 'INSUFFICIENT_FUNDS':
        throw new InsufficientFundsError(`the ${request.kind.bucket} bucket does not cover the amount`, {
          bucket: request.kind.bucket,
          bucketMinor: result.bucketMinor,
        });
      case 'IDEMPOTENCY_MISMATCH':
        throw new IdempotencyMismatchError(`referenceId ${request.referenceId} was already used with different content`, {
          order: result.orderNo?.toString(),
        });
      case 'ORDER_MISMATCH':
        throw new ValidationError(`order ${request.targetOrderNo} belongs to another login or command`);
    }
  }
}

/** What makes two requests with one referenceId "the same": every field that changes the outcome. */
function requestDigest(request: BalanceOperationRequest): Buffer {
  const content = [
    request.login,
    request.kind.name,
    request.amountMinor,
    request.comment,
    request.openTime,
    request.closeTime,
    request.targetOrderNo,
  ].map((value) => (value === null ? null : String(value)));
  return createHash('sha256').update(JSON.stringify(content)).digest();
}
