import { ValidationError } from '../../shared/errors';

/**
 * The typed balance operations of the admin API (TradrAPI style:
 * docs/admin-api.md#balance-operations) and the finance commands of the manager API (ScaleTrade cmd
 * codes), each with the bucket it moves, the direction of the move and the system book that takes
 * the other side in the ledger.
 */
export type Bucket = 'balance' | 'credit';

export interface OperationKind {
  /** Name written on journal entries and finance records. */
  name: string;
  /** ScaleTrade/MT4 cmd code of the finance record. */
  cmd: number;
  bucket: Bucket;
  /** +1 increases the bucket by |amount|, -1 decreases it, 0 applies the signed amount. */
  direction: 1 | -1 | 0;
  /**
   * What a sent amount's sign means: the admin API uses its absolute value (docs/admin-api.md#balance-operations);
   * a manager command's amount carries the command's own sign (docs/manager-api.md#finance-commands:
   * BalanceOut sends -150).
   */
  sign: 'absolute' | 'must-match';
  systemBook: string;
}

export const ADMIN_OPERATIONS = {
  add: { name: 'add', cmd: 6, bucket: 'balance', direction: 1, sign: 'absolute', systemBook: 'cash' },
  sub: { name: 'sub', cmd: 8, bucket: 'balance', direction: -1, sign: 'absolute', systemBook: 'cash' },
  credit: { name: 'credit', cmd: 7, bucket: 'credit', direction: 1, sign: 'absolute', systemBook: 'bonus' },
  debit: { name: 'debit', cmd: 6, bucket: 'balance', direction: 1, sign: 'absolute', systemBook: 'debit' },
  adjustment: {
    name: 'adjustment',
    cmd: 13,
    bucket: 'balance',
    direction: 0,
    sign: 'absolute',
    systemBook: 'adjustment',
  },
  commission: {
    name: 'commission',
    cmd: 15,
    bucket: 'balance',
    direction: -1,
    sign: 'absolute',
    systemBook: 'commission',
  },
  swap: { name: 'swap', cmd: 18, bucket: 'balance', direction: -1, sign: 'absolute', systemBook: 'swap' },
} as const satisfies Record<string, OperationKind>;

export type AdminOperation = keyof typeof ADMIN_OPERATIONS;
export const ADMIN_OPERATION_NAMES = Object.keys(ADMIN_OPERATIONS) as [AdminOperation, ...AdminOperation[]];

export const MANAGER_FINANCE_KINDS = {
  BalanceIn: { name: 'balance_in', cmd: 6, bucket: 'balance', direction: 1, sign: 'must-match', systemBook: 'cash' },
  CreditIn: { name: 'credit_in', cmd: 7, bucket: 'credit', direction: 1, sign: 'must-match', systemBook: 'bonus' },
  BalanceOut: { name: 'balance_out', cmd: 8, bucket: 'balance', direction: -1, sign: 'must-match', systemBook: 'cash' },
  CreditOut: { name: 'credit_out', cmd: 9, bucket: 'credit', direction: -1, sign: 'must-match', systemBook: 'bonus' },
} as const satisfies Record<string, OperationKind>;

export type ManagerFinanceFamily = keyof typeof MANAGER_FINANCE_KINDS;

/** The signed amount an operation applies to its bucket, from the amount the client sent. */
export function signedAmount(kind: OperationKind, amountMinor: bigint): bigint {
  if (kind.direction === 0) return amountMinor;
  const magnitude = amountMinor < 0n ? -amountMinor : amountMinor;
  if (kind.sign === 'must-match' && amountMinor !== 0n && amountMinor > 0n !== (kind.direction === 1)) {
    throw new ValidationError(`amount must be ${kind.direction === 1 ? 'positive' : 'negative'} for ${kind.name}`);
  }
  return kind.direction === 1 ? magnitude : -magnitude;
}
