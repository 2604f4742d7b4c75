import type { TradeEventType } from '../events/event-store';
import type { ErrorCode } from '../../shared/errors';
import type { Currency } from '../money/currency';
import type { NamedCommand } from './sync-timeout-store';
import type { FinanceRecord } from './balance-operation-store';
import type { OperationKind } from './operation-kinds';

// What the finance core's balance operations take and answer (BalanceOperationService).

/** One balance operation, from the admin API or a manager finance command. */
export interface BalanceOperationRequest {
  login: bigint;
  kind: OperationKind;
  /** The amount as sent (decimal text, in the account's currency); its sign is read by `kind.sign`. */
  amount: string;
  comment: string | null;
  /** The comment of a new record sent without one (an update without one keeps the record's). */
  defaultComment?: string | null;
  openTime: bigint | null;
  closeTime: bigint | null;
  /** An existing record to update; when it does not exist a new record is created. */
  targetOrderNo: bigint | null;
  source: 'admin' | 'manager';
  actor: string;
  /** Once-only key: a repeat with the same content is answered from the first outcome. */
  referenceId: string | null;
  /** Order number reserved beforehand (a Sync command names it in its 504). */
  reservedOrderNo?: bigint | null;
  /** Written on the operation's event, so that a Sync command can wait for exactly its own event. */
  commandId?: string | null;
}

/** A deletion (reversal) of a finance record, from the manager API. */
export interface DeleteRecordRequest {
  orderNo: bigint;
  source: 'admin' | 'manager';
  actor: string;
  commandId?: string | null;
}

export interface BalanceOperationResult {
  orderNo: bigint;
  login: bigint;
  cmd: number;
  currency: Currency;
  /** The signed amount of this operation (for a deletion: the amount of the record it reversed). */
  amountMinor: bigint;
  /** The event this operation wrote (or, for a replay, the one its first application wrote). */
  eventType: TradeEventType;
  /** That event's id (null for a replay of a key stored before events were kept per key). */
  eventId: bigint | null;
  /** True when a new record was created (false: an existing order was updated or deleted). */
  created: boolean;
  /** True when the operation had already been applied: nothing moved this time. */
  replayed: boolean;
}

/**
 * The order a Sync finance command names should its answer time out, and the command behind it
 * (null for a deletion, whose named order is the record it deletes): what the 504's row and the
 * command's later outcome are recorded with.
 */
export interface NamedOrder {
  readonly orderNo: bigint;
  readonly command: NamedCommand | null;
}

/** How a command that was answered SYNC_TIMEOUT ended: applied under an order, or refused. */
export type LateOutcome = { orderNo: bigint } | { error: unknown };

/**
 * What an order number resolves to (GetFinanceRecord): its record (or, for a named order whose
 * command was applied as another order, that order's record), its command still pending, or its
 * command's refusal. An order the service never named is RECORD_NOT_FOUND.
 */
export type OrderStatus =
  | { kind: 'record'; record: FinanceRecord }
  | { kind: 'pending'; orderNo: bigint; login: bigint; cmd: number }
  | { kind: 'refused'; orderNo: bigint; login: bigint; cmd: number; code: ErrorCode; message: string };
