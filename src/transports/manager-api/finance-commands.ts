/**
 * The finance commands' handlers (docs/manager-api.md#finance-commands): BalanceIn/Out and
 * CreditIn/Out, DeleteBalance, each plain and Sync, and the two lookups. A plain command answers
 * once the operation is committed; a Sync command's handler only prepares its work (the order its
 * SYNC_TIMEOUT names, and the call of the core under its own command id), which
 * `SyncCommands.answer` runs. The command table is in manager-commands.ts.
 */

import { z } from 'zod';
import type { BalanceOperationResult, NamedOrder } from '../../core/balance-operations/balance-operation-types';
import { MANAGER_FINANCE_KINDS, type ManagerFinanceFamily } from '../../core/balance-operations/operation-kinds';
import { formatMinorUnits } from '../../core/money/amount';
import { LosslessNumber } from '../../shared/json';
import { unreachableOutcome } from '../../shared/outcomes';
import { decimalText, INT64_MAX, jsonInteger, login, text } from '../../shared/validation';
import {
  moneyRole,
  type CommandContext,
  type CommandResult,
  type ManagerCommandCore,
  type Permission,
} from './command-context';
import { managerRefusal } from './manager-errors';
import type { SyncWork } from './sync-commands';
import { financeRecordDataJson, tradeEventDataJson } from './trade-event-format';

/** Limits of the manager commands' fields. */
export const MANAGER_COMMENT_LENGTH_MAX = 500;
export const MANAGER_REFERENCE_ID_LENGTH_MAX = 128;
/** Records answered by one GetTransactionsByLogin. */
export const TRANSACTIONS_PER_ANSWER_MAX = 1000;
const DEFAULT_FINANCE_COMMENT = 'Finance';
/** ScaleTrade request states of a non-sync acknowledgement. */
export const STATE_OPEN_REQUEST = 10;
export const STATE_UPDATE_REQUEST = 11;
export const STATE_DELETE_REQUEST = 12;
/**
 * GetFinanceRecord of an order the service named (in a SYNC_TIMEOUT) whose command was refused
 * afterwards: this service's own state, after ScaleTrade's request states, final unless a retry
 * with the same referenceId applies the command under the order.
 */
export const STATE_REQUEST_REFUSED = 13;
/** The last second of the year 9999: open_time and close_time are unix seconds (not milliseconds). */
export const UNIX_SECONDS_MAX = 253_402_300_799n;

const unixSeconds = jsonInteger(0n, UNIX_SECONDS_MAX);
const orderNumber = jsonInteger(1n, INT64_MAX);

const financeFields = (commentRequired: boolean) =>
  z.strictObject({
    login,
    amount: decimalText,
    comment: commentRequired ? text(MANAGER_COMMENT_LENGTH_MAX).min(1) : text(MANAGER_COMMENT_LENGTH_MAX).optional(),
    order: orderNumber.optional(),
    open_time: unixSeconds.optional(),
    close_time: unixSeconds.optional(),
    referenceId: text(MANAGER_REFERENCE_ID_LENGTH_MAX).min(1).optional(),
  });

/** The data of BalanceIn/Out and CreditOut, plain and Sync. */
export const financeData = financeFields(false);
/** CreditIn requires a comment (docs/manager-api.md#finance-commands); the other finance commands default it. */
export const creditInData = financeFields(true);
/** The data of DeleteBalance and GetFinanceRecord. */
export const orderData = z.strictObject({ order: orderNumber });
export const transactionsData = z.strictObject({ login, from: unixSeconds.optional(), to: unixSeconds.optional() });

type FinanceData = z.output<typeof financeData>;
type OrderData = z.output<typeof orderData>;

/** Who may run a finance command, and the error name of its permission refusals: its family's. */
export const FINANCE_PERMISSIONS: Record<ManagerFinanceFamily | 'DeleteBalance', Permission> = {
  BalanceIn: moneyRole('ADD_BALANCE_ERROR'),
  BalanceOut: moneyRole('WITHDRAW_BALANCE_ERROR'),
  CreditIn: moneyRole('ADD_CREDIT_ERROR'),
  CreditOut: moneyRole('WITHDRAW_CREDIT_ERROR'),
  DeleteBalance: moneyRole('DELETE_BALANCE_ERROR'),
};

/** BalanceIn/Out, CreditIn/Out: acknowledged once the operation is committed. */
export function balanceOperation(family: ManagerFinanceFamily) {
  return async (body: FinanceData, context: CommandContext): Promise<CommandResult> => {
    const result = await context.core.finance.apply(balanceOperationRequest(family, body, context));
    return acknowledgement(result, result.created ? STATE_OPEN_REQUEST : STATE_UPDATE_REQUEST);
  };
}

/** BalanceInSync ...: the order its SYNC_TIMEOUT names, then the operation under its own command id. */
export function syncBalanceOperation(family: ManagerFinanceFamily) {
  return async (body: FinanceData, context: CommandContext): Promise<SyncWork> => {
    const request = balanceOperationRequest(family, body, context);
    // decided before the command runs (it resolves for ever: docs/manager-api.md#looking-up-an-order)
    const named = await context.core.finance.nameOrder(request);
    return workAnsweredByOwnEvent(context.core, named, (commandId) =>
      context.core.finance.apply({ ...request, reservedOrderNo: named.orderNo, commandId }),
    );
  };
}

/**
 * DeleteBalance (ScaleTrade): reverses a finance record with a new journal entry; the record's
 * state becomes 6 and its EV_RECORD_DELETE event is broadcast. Once only.
 */
export async function deleteBalance(body: OrderData, context: CommandContext): Promise<CommandResult> {
  return acknowledgement(await context.core.finance.delete(deleteRequest(body, context)), STATE_DELETE_REQUEST);
}

/** DeleteBalanceSync: the order its SYNC_TIMEOUT names is the record being deleted, which it resolves to. */
export async function syncDeleteBalance(body: OrderData, context: CommandContext): Promise<SyncWork> {
  const request = deleteRequest(body, context);
  const named: NamedOrder = { orderNo: body.order, command: null };
  return workAnsweredByOwnEvent(context.core, named, (commandId) =>
    context.core.finance.delete({ ...request, commandId }),
  );
}

export async function getFinanceRecord(body: OrderData, context: CommandContext): Promise<CommandResult> {
  const found = await context.core.finance.orderStatus(body.order);
  switch (found.kind) {
    case 'record':
      return { status: 200, dataJson: financeRecordDataJson(found.record) };
    case 'pending': {
      const { orderNo: order, login: account, cmd } = found;
      return { status: 200, data: { order, login: account, cmd, state: STATE_OPEN_REQUEST } };
    }
    case 'refused': {
      const refusal = managerRefusal(found.code, found.message, permissionErrorOfCmd(found.cmd)).data;
      const { orderNo: order, login: account, cmd } = found;
      return { status: 200, data: { order, login: account, cmd, state: STATE_REQUEST_REFUSED, ...refusal } };
    }
    default:
      return unreachableOutcome(found);
  }
}

export async function getTransactionsByLogin(
  body: z.output<typeof transactionsData>,
  context: CommandContext,
): Promise<CommandResult> {
  const { finance, accounts } = context.core;
  await accounts.get(body.login);
  const records = await finance.records(body.login, body.from ?? null, body.to ?? null, TRANSACTIONS_PER_ANSWER_MAX);
  const recordsJson = records.map(financeRecordDataJson).join(',');
  return { status: 200, dataJson: `{"login":${body.login},"records":[${recordsJson}]}` };
}

function balanceOperationRequest(family: ManagerFinanceFamily, body: FinanceData, context: CommandContext) {
  return {
    login: body.login,
    kind: MANAGER_FINANCE_KINDS[family],
    amount: body.amount,
    comment: body.comment ?? null,
    defaultComment: DEFAULT_FINANCE_COMMENT,
    openTime: body.open_time ?? null,
    closeTime: body.close_time ?? null,
    targetOrderNo: body.order ?? null,
    source: 'manager' as const,
    actor: `manager:${context.session!.managerLogin}`,
    referenceId: body.referenceId ?? null,
  };
}

function deleteRequest(body: OrderData, context: CommandContext) {
  return { orderNo: body.order, source: 'manager' as const, actor: `manager:${context.session!.managerLogin}` };
}

/** The permission error name of the finance command family of a cmd code. */
function permissionErrorOfCmd(cmd: number): string | undefined {
  const families = Object.keys(MANAGER_FINANCE_KINDS) as ManagerFinanceFamily[];
  const family = families.find((name) => MANAGER_FINANCE_KINDS[name].cmd === cmd);
  return family === undefined ? undefined : FINANCE_PERMISSIONS[family].refusedAs;
}

/** ScaleTrade's acknowledgement of a plain finance command: accepted, not yet the result. */
function acknowledgement(result: BalanceOperationResult, state: number): CommandResult {
  const amount = new LosslessNumber(formatMinorUnits(result.amountMinor, result.currency.scale));
  const { orderNo: order, login: account, cmd } = result;
  return { status: 200, data: { accepted: true, order, state, login: account, cmd, amount } };
}

/**
 * The work of a Sync finance command: its own command id goes into its transaction's event, which
 * answers it. A replay writes no event: it answers with the event its first application wrote. A
 * SYNC_TIMEOUT names `named.orderNo`, recorded with the command behind it, and what became of the
 * command afterwards is recorded against that order.
 */
function workAnsweredByOwnEvent(
  core: ManagerCommandCore,
  named: NamedOrder,
  apply: (commandId: string) => Promise<BalanceOperationResult>,
): SyncWork {
  return {
    channel: 'trade:event',
    order: named.orderNo,
    run: async (commandId) => {
      const result = await apply(commandId);
      if (!result.replayed) return { order: result.orderNo };
      // keys stored before events were kept per key have no event: the record as it stands
      const first = await core.finance.eventOf(result);
      const answerJson = first
        ? tradeEventDataJson(first)
        : financeRecordDataJson(await core.finance.record(result.orderNo));
      return { order: result.orderNo, answerJson };
    },
    recordTimeout: (timeout) => core.finance.recordSyncTimeout(timeout, named.command),
    recordLateOutcome: (order, outcome) => core.finance.recordLateOutcome(order, named.command, outcome),
  };
}
