import { LosslessNumber } from 'lossless-json';
import type { DecimalString, ManagerRole } from './api-types';
import { WalletServiceError } from './errors';

/**
 * The manager TCP API's data as the SDK types it (docs/manager-api.md#finance-commands). On the wire amounts
 * are JSON numbers (`250.00`): the SDK writes them from decimal strings and reads them back as
 * decimal strings, exactly; times are unix seconds.
 */

/** BalanceIn/Out and CreditIn/Out, plain and Sync. */
export interface FinanceCommand {
  login: number;
  /** Signed as the command requires: > 0 for BalanceIn and CreditIn, < 0 for BalanceOut and CreditOut. */
  amount: DecimalString;
  /** Required by CreditIn. */
  comment?: string;
  /** An existing record of the same login and cmd to update; unknown: a new record. */
  order?: number;
  openTimeS?: number;
  closeTimeS?: number;
  /** Applied at most once per referenceId: makes the command safe to retry. */
  referenceId?: string;
}

/** Names a finance record (DeleteBalance, DeleteBalanceSync, GetFinanceRecord): the `order` of its answer or event. */
export interface FinanceRecordRequest {
  order: number;
}

/** What a plain (non-Sync) finance command answers once the operation is committed. */
export interface FinanceAcknowledgement {
  accepted: true;
  order: number;
  /** 10 a new record, 11 an update, 12 a deletion. */
  state: number;
  login: number;
  cmd: number;
  amount: DecimalString;
}

/** A finance record in the shape of its trade:event (Sync answers, GetFinanceRecord, GetTransactionsByLogin). */
export interface FinanceRecord {
  order: number;
  login: number;
  /** ScaleTrade's cmd: 6 balance in, 8 balance out, 7 credit in, 9 credit out, 13 adjustment... */
  cmd: number;
  /** 3 final, 6 deleted. */
  state: number;
  /** The signed amount of the record. */
  profit: DecimalString;
  comment: string;
  openTimeS: number;
  closeTimeS: number;
  /** Wallet trades only. */
  stake?: DecimalString;
  payout?: DecimalString;
  externalTradeType?: string;
  externalTradeId?: string;
}

/** GetFinanceRecord's state of an order named in a SYNC_TIMEOUT whose command has not ended (ScaleTrade's FinanceOpenRequest). */
export const STATE_REQUEST_PENDING = 10;
/** GetFinanceRecord's state of an order named in a SYNC_TIMEOUT whose command was then refused (this service's own state). */
export const STATE_REQUEST_REFUSED = 13;

/** An order named in a SYNC_TIMEOUT whose command has not ended yet: ask again. */
export interface FinanceRequestPending {
  order: number;
  login: number;
  cmd: number;
  state: typeof STATE_REQUEST_PENDING;
}

/**
 * An order named in a SYNC_TIMEOUT whose command was refused afterwards: nothing was applied. A
 * retry with the same referenceId and content is applied under this order, which then answers its
 * record.
 */
export interface FinanceRequestRefused {
  order: number;
  login: number;
  cmd: number;
  state: typeof STATE_REQUEST_REFUSED;
  /** The refusal, as the command's own answer would have named it (ACCOUNT_BUSY, NOT_ENOUGH_MONEY...). */
  error: string;
  message: string;
}

/**
 * What GetFinanceRecord answers for an order the service named: the record (for an order whose
 * command was applied as another order, that order's record), or the named order's pending state or
 * refusal. Tell them apart with `isFinanceRecord`, or by `'error' in` and `state`.
 */
export type FinanceRecordLookup = FinanceRecord | FinanceRequestPending | FinanceRequestRefused;

/** True when the lookup is a record (state 3 or 6), not a pending or refused request. */
export function isFinanceRecord(lookup: FinanceRecordLookup): lookup is FinanceRecord {
  return 'profit' in lookup;
}

export type TradeEventType = 'EV_RECORD_ADD' | 'EV_RECORD_UPDATE' | 'EV_RECORD_DELETE';

export interface TradeEvent {
  type: TradeEventType;
  data: FinanceRecord;
}

export interface LoginResult {
  token: string;
  role: ManagerRole;
}

export interface ManagerTransactionsQuery {
  login: number;
  /** Unix seconds of close_time, both included. */
  fromS?: number;
  toS?: number;
}

/** The answer of the wire did not have the documented shape (a service of another version?). */
export class ProtocolError extends WalletServiceError {
  override name = 'ProtocolError';
}

/** The wire form of a finance command: amounts as exact JSON numbers, ScaleTrade's field names. */
export function financeCommandData(command: FinanceCommand): Record<string, unknown> {
  return withoutUndefined({
    login: command.login,
    amount: new LosslessNumber(command.amount),
    comment: command.comment,
    order: command.order,
    open_time: command.openTimeS,
    close_time: command.closeTimeS,
    referenceId: command.referenceId,
  });
}

export function transactionsQueryData(query: ManagerTransactionsQuery): Record<string, unknown> {
  return withoutUndefined({ login: query.login, from: query.fromS, to: query.toS });
}

function withoutUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

type WireObject = Record<string, unknown>;

export function decodeAcknowledgement(data: WireObject): FinanceAcknowledgement {
  return {
    accepted: true,
    order: integer(data, 'order'),
    state: integer(data, 'state'),
    login: integer(data, 'login'),
    cmd: integer(data, 'cmd'),
    amount: decimal(data, 'amount'),
  };
}

export function decodeFinanceRecord(data: WireObject): FinanceRecord {
  return {
    order: integer(data, 'order'),
    login: integer(data, 'login'),
    cmd: integer(data, 'cmd'),
    state: integer(data, 'state'),
    profit: decimal(data, 'profit'),
    comment: string(data, 'comment'),
    openTimeS: integer(data, 'open_time'),
    closeTimeS: integer(data, 'close_time'),
    ...('stake' in data ? { stake: decimal(data, 'stake') } : {}),
    ...('payout' in data ? { payout: decimal(data, 'payout') } : {}),
    ...('externalTradeType' in data ? { externalTradeType: string(data, 'externalTradeType') } : {}),
    ...('externalTradeId' in data ? { externalTradeId: string(data, 'externalTradeId') } : {}),
  };
}

export function decodeFinanceRecordLookup(data: WireObject): FinanceRecordLookup {
  if ('profit' in data) return decodeFinanceRecord(data);
  const named = { order: integer(data, 'order'), login: integer(data, 'login'), cmd: integer(data, 'cmd') };
  const state = integer(data, 'state');
  if (state === STATE_REQUEST_PENDING) return { ...named, state };
  if (state === STATE_REQUEST_REFUSED)
    return { ...named, state, error: string(data, 'error'), message: string(data, 'message') };
  throw new ProtocolError(
    `expected a finance record, or state ${STATE_REQUEST_PENDING} or ${STATE_REQUEST_REFUSED}, got state ${state}`,
  );
}

export function decodeTradeEvent(message: { type: string; data: WireObject }): TradeEvent {
  return { type: message.type as TradeEventType, data: decodeFinanceRecord(message.data) };
}

export function decodeRecords(data: WireObject): FinanceRecord[] {
  const records = data.records;
  if (!Array.isArray(records)) throw new ProtocolError('expected records to be an array');
  return records.map((record) => decodeFinanceRecord(record as WireObject));
}

export function decodeLogin(data: WireObject): LoginResult {
  return { token: string(data, 'token'), role: string(data, 'role') as ManagerRole };
}

/** An id or a time: a JSON integer within the safe range of a JS number. */
export function integer(data: WireObject, field: string): number {
  const value = data[field];
  const number = value instanceof LosslessNumber ? Number(value.toString()) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number))
    throw new ProtocolError(`expected ${field} to be a safe integer, got ${String(value)}`);
  return number;
}

/** An amount: the JSON number's own text (`250.00`), never through a double. */
function decimal(data: WireObject, field: string): DecimalString {
  const value = data[field];
  if (!(value instanceof LosslessNumber))
    throw new ProtocolError(`expected ${field} to be a number, got ${String(value)}`);
  return value.toString();
}

function string(data: WireObject, field: string): string {
  const value = data[field];
  if (typeof value !== 'string') throw new ProtocolError(`expected ${field} to be a string, got ${String(value)}`);
  return value;
}
