import { bindings, type Database } from '../../db/database';
import { callDatabase } from '../../db/transient';
import type { TradeEventType } from '../events/event-store';
import { minorFromDb } from '../money/amount';
import { knownOutcome } from '../../shared/outcomes';
import type { Bucket } from './operation-kinds';

/** Outcomes of balance_operation_apply and balance_operation_delete (balance-operations.sql). */
export const BALANCE_OPERATION_OUTCOMES = [
  'OK',
  'REPLAY',
  'ACCOUNT_NOT_FOUND',
  'RECORD_NOT_FOUND',
  'INSUFFICIENT_FUNDS',
  'IDEMPOTENCY_MISMATCH',
  'ORDER_MISMATCH',
  'RECORD_DELETED',
  'CLOSE_BEFORE_OPEN',
  /** Only in a batch: the account was locked by someone else; nothing was done, run it again alone. */
  'ACCOUNT_BUSY',
] as const;
export type BalanceOperationOutcome = (typeof BALANCE_OPERATION_OUTCOMES)[number];

export interface ApplyParams {
  login: bigint;
  newOrderNo: bigint | null;
  targetOrderNo: bigint | null;
  cmd: number;
  operation: string;
  bucket: Bucket;
  systemBook: string;
  amountMinor: bigint;
  comment: string | null;
  /** The comment of a new record sent without one (an update without one keeps the record's). */
  defaultComment: string | null;
  openTime: bigint | null;
  closeTime: bigint | null;
  source: 'admin' | 'manager';
  actor: string;
  idempotencyKey: string | null;
  requestDigest: Buffer;
  commandId: string | null;
}

export interface DeleteParams {
  login: bigint;
  orderNo: bigint;
  source: 'admin' | 'manager';
  actor: string;
  commandId: string | null;
}

export interface OperationResult {
  outcome: BalanceOperationOutcome;
  orderNo: bigint | null;
  eventType: TradeEventType | null;
  /** The event this operation wrote, or for a replay the one its first application wrote. */
  eventId: bigint | null;
  /** The bucket's value after the operation (before it, when refused). */
  bucketMinor: bigint | null;
}

export interface FinanceRecord {
  orderNo: bigint;
  login: bigint;
  currency: string;
  cmd: number;
  operation: string;
  bucket: Bucket;
  amountMinor: bigint;
  state: number;
  comment: string | null;
  openTime: bigint;
  closeTime: bigint;
  source: 'admin' | 'manager';
  actor: string;
  referenceId: string | null;
}

interface FinanceRecordRow {
  order_no: string;
  login: string;
  currency: string;
  cmd: number;
  operation: string;
  bucket: Bucket;
  amount_minor: string;
  state: number;
  comment: string | null;
  open_time: string;
  close_time: string;
  source: 'admin' | 'manager';
  actor: string;
  reference_id: string | null;
}

interface OperationRow {
  outcome: string;
  order_no: string | null;
  event_type: TradeEventType | null;
  event_id: string | null;
  bucket_minor: string | null;
}

export class BalanceOperationStore {
  constructor(
    private readonly db: Database,
    private readonly onRetry: () => void = () => undefined,
    /** Called after a commit that may have written events (wakes the event relay). */
    private readonly onEventsCommitted: () => void = () => undefined,
  ) {}

  /** Takes `count` order numbers from the sequence in one round trip. */
  async reserveOrderNumbers(count: number): Promise<bigint[]> {
    const { rows } = await this.db.raw<{ rows: { order_no: string }[] }>(
      `SELECT nextval('order_numbers') AS order_no FROM generate_series(1, ?)`,
      [count],
    );
    return rows.map((row) => BigInt(row.order_no));
  }

  apply(params: ApplyParams): Promise<OperationResult> {
    return this.call(
      `SELECT * FROM balance_operation_apply(?, coalesce(?::bigint, nextval('order_numbers')), ?, ?::smallint, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::uuid)`,
      [
        params.login,
        params.newOrderNo,
        params.targetOrderNo,
        params.cmd,
        params.operation,
        params.bucket,
        params.systemBook,
        params.amountMinor,
        params.comment,
        params.defaultComment,
        params.openTime,
        params.closeTime,
        params.source,
        params.actor,
        params.idempotencyKey,
        params.requestDigest,
        params.commandId,
      ],
    );
  }

  /**
   * Applies operations in one transaction; one result per operation, in order. An operation on an
   * account locked by someone else is answered ACCOUNT_BUSY (nothing done): run it again with apply,
   * which waits for the lock.
   */
  async applyBatch(batch: readonly ApplyParams[]): Promise<OperationResult[]> {
    const requests = JSON.stringify(
      batch.map((params) => ({ ...params, requestDigest: params.requestDigest.toString('hex') })),
      (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    );
    const { rows } = await callDatabase(
      () => this.db.raw<{ rows: OperationRow[] }>(`SELECT * FROM balance_operation_apply_batch(?::jsonb)`, [requests]),
      this.onRetry,
    );
    if (rows.length !== batch.length)
      throw new Error(`balance_operation_apply_batch answered ${rows.length} results for ${batch.length} operations`);
    const results = rows.map(toOperationResult);
    if (results.some((result) => result.outcome === 'OK')) this.onEventsCommitted();
    return results;
  }

  delete(params: DeleteParams): Promise<OperationResult> {
    return this.call(`SELECT * FROM balance_operation_delete(?, ?, ?, ?, ?::uuid)`, [
      params.login,
      params.orderNo,
      params.source,
      params.actor,
      params.commandId,
    ]);
  }

  private async call(sql: string, values: unknown[]): Promise<OperationResult> {
    const { rows } = await callDatabase(
      () => this.db.raw<{ rows: OperationRow[] }>(sql, bindings(values)),
      this.onRetry,
    );
    const result = toOperationResult(rows[0]!);
    if (result.outcome === 'OK') this.onEventsCommitted();
    return result;
  }

  /** The login a record belongs to (it never changes), or undefined when there is no such record. */
  async loginOfRecord(orderNo: bigint): Promise<bigint | undefined> {
    const row = await this.db('finance_records')
      .where('order_no', orderNo.toString())
      .first<{ login: string } | undefined>('login');
    return row === undefined ? undefined : BigInt(row.login);
  }

  /** Records of one order, or of one login within [fromS, toS] of their close_time, oldest first. */
  async records(
    filter: { orderNo: bigint } | { login: bigint; fromS: bigint | null; toS: bigint | null; limit: number },
  ): Promise<FinanceRecord[]> {
    const query = this.db<FinanceRecordRow>('finance_records as r')
      .join('accounts as a', 'a.login', 'r.login')
      .select('r.*', 'a.currency')
      .orderBy('r.order_no');
    if ('orderNo' in filter) {
      query.where('r.order_no', filter.orderNo.toString());
    } else {
      query.where('r.login', filter.login.toString()).limit(filter.limit);
      if (filter.fromS !== null) query.where('r.close_time', '>=', filter.fromS.toString());
      if (filter.toS !== null) query.where('r.close_time', '<=', filter.toS.toString());
    }
    return (await query).map(toRecord);
  }
}

function toOperationResult(row: OperationRow): OperationResult {
  return {
    outcome: knownOutcome(BALANCE_OPERATION_OUTCOMES, row.outcome, 'balance operations'),
    orderNo: row.order_no === null ? null : BigInt(row.order_no),
    eventType: row.event_type,
    eventId: row.event_id === null ? null : BigInt(row.event_id),
    bucketMinor: row.bucket_minor === null ? null : minorFromDb(row.bucket_minor),
  };
}

function toRecord(row: FinanceRecordRow): FinanceRecord {
  return {
    orderNo: BigInt(row.order_no),
    login: BigInt(row.login),
    currency: row.currency,
    cmd: row.cmd,
    operation: row.operation,
    bucket: row.bucket,
    amountMinor: minorFromDb(row.amount_minor),
    state: row.state,
    comment: row.comment,
    openTime: BigInt(row.open_time),
    closeTime: BigInt(row.close_time),
    source: row.source,
    actor: row.actor,
    referenceId: row.reference_id,
  };
}
