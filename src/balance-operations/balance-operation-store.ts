import { bindings, type Database } from '../db/database';
import { callDatabase } from '../db/transient';
import { minorFromDb } from '../money/amount';
import type { Bucket } from './operation-kinds';

export type ApplyOutcome =
  | 'OK'
  | 'REPLAY'
  | 'ACCOUNT_NOT_FOUND'
  | 'INSUFFICIENT_FUNDS'
  | 'IDEMPOTENCY_MISMATCH'
  | 'ORDER_MISMATCH';

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
  openTime: bigint | null;
  closeTime: bigint | null;
  source: 'admin' | 'manager';
  actor: string;
  idempotencyScope: string;
  idempotencyKey: string | null;
  requestDigest: Buffer;
}

export interface ApplyResult {
  outcome: ApplyOutcome;
  orderNo: bigint | null;
  eventType: 'EV_RECORD_ADD' | 'EV_RECORD_UPDATE' | null;
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
  createdAt: Date;
  updatedAt: Date;
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
  created_at: Date;
  updated_at: Date;
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

  async apply(params: ApplyParams): Promise<ApplyResult> {
    const { rows } = await callDatabase(
      () =>
        this.db.raw<{ rows: { outcome: ApplyOutcome; order_no: string | null; event_type: ApplyResult['eventType']; bucket_minor: string | null }[] }>(
          `SELECT * FROM balance_operation_apply(?, coalesce(?::bigint, nextval('order_numbers')), ?, ?::smallint, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          bindings([
            params.login,
            params.newOrderNo,
            params.targetOrderNo,
            params.cmd,
            params.operation,
            params.bucket,
            params.systemBook,
            params.amountMinor,
            params.comment,
            params.openTime,
            params.closeTime,
            params.source,
            params.actor,
            params.idempotencyScope,
            params.idempotencyKey,
            params.requestDigest,
          ]),
        ),
      this.onRetry,
    );
    const row = rows[0]!;
    if (row.outcome === 'OK') this.onEventsCommitted();
    return {
      outcome: row.outcome,
      orderNo: row.order_no === null ? null : BigInt(row.order_no),
      eventType: row.event_type,
      bucketMinor: row.bucket_minor === null ? null : minorFromDb(row.bucket_minor),
    };
  }

  async findRecord(orderNo: bigint): Promise<FinanceRecord | undefined> {
    const row = await this.recordQuery().where('r.order_no', orderNo.toString()).first();
    return row ? toRecord(row) : undefined;
  }

  /**
   * Records as their trade:event data (exact JSON text, the shape Sync commands answer with), of one
   * order or of one login within [fromS, toS] of their close_time, oldest first.
   */
  async recordEventData(filter: { orderNo: bigint } | { login: bigint; fromS: bigint | null; toS: bigint | null; limit: number }): Promise<string[]> {
    const query = this.db('finance_records as r')
      .join('accounts as a', 'a.login', 'r.login')
      .join('currencies as c', 'c.code', 'a.currency')
      .select(this.db.raw('finance_record_event_data(r.order_no, c.scale)::text AS data'))
      .orderBy('r.order_no');
    if ('orderNo' in filter) {
      query.where('r.order_no', filter.orderNo.toString());
    } else {
      query.where('r.login', filter.login.toString()).limit(filter.limit);
      if (filter.fromS !== null) query.where('r.close_time', '>=', filter.fromS.toString());
      if (filter.toS !== null) query.where('r.close_time', '<=', filter.toS.toString());
    }
    return (await query).map((row: { data: string }) => row.data);
  }

  private recordQuery() {
    return this.db<FinanceRecordRow>('finance_records as r')
      .join('accounts as a', 'a.login', 'r.login')
      .select('r.*', 'a.currency');
  }
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
