/**
 * The typed balance operations of the admin API (TradrAPI, seed 003) and the finance commands of
 * the manager API (ScaleTrade cmd codes), each with the bucket it moves, the direction of the move
 * and the system book that takes the other side in the ledger.
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
  systemBook: string;
}

export const ADMIN_OPERATIONS = {
  add: { name: 'add', cmd: 6, bucket: 'balance', direction: 1, systemBook: 'cash' },
  sub: { name: 'sub', cmd: 8, bucket: 'balance', direction: -1, systemBook: 'cash' },
  credit: { name: 'credit', cmd: 7, bucket: 'credit', direction: 1, systemBook: 'bonus' },
  debit: { name: 'debit', cmd: 6, bucket: 'balance', direction: 1, systemBook: 'debit' },
  adjustment: { name: 'adjustment', cmd: 13, bucket: 'balance', direction: 0, systemBook: 'adjustment' },
  commission: { name: 'commission', cmd: 15, bucket: 'balance', direction: -1, systemBook: 'commission' },
  swap: { name: 'swap', cmd: 18, bucket: 'balance', direction: -1, systemBook: 'swap' },
} as const satisfies Record<string, OperationKind>;

export type AdminOperation = keyof typeof ADMIN_OPERATIONS;
export const ADMIN_OPERATION_NAMES = Object.keys(ADMIN_OPERATIONS) as [AdminOperation, ...AdminOperation[]];

export const MANAGER_FINANCE_KINDS = {
  BalanceIn: { name: 'balance_in', cmd: 6, bucket: 'balance', direction: 1, systemBook: 'cash' },
  CreditIn: { name: 'credit_in', cmd: 7, bucket: 'credit', direction: 1, systemBook: 'bonus' },
  BalanceOut: { name: 'balance_out', cmd: 8, bucket: 'balance', direction: -1, systemBook: 'cash' },
  CreditOut: { name: 'credit_out', cmd: 9, bucket: 'credit', direction: -1, systemBook: 'bonus' },
} as const satisfies Record<string, OperationKind>;

export type ManagerFinanceFamily = keyof typeof MANAGER_FINANCE_KINDS;

/** The signed amount an operation applies to its bucket, from the amount the client sent. */
export function signedAmount(kind: OperationKind, amountMinor: bigint): bigint {
  const magnitude = amountMinor < 0n ? -amountMinor : amountMinor;
  if (kind.direction === 0) return amountMinor;
  return kind.direction === 1 ? magnitude : -magnitude;
}
