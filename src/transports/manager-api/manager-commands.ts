import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { BalanceOperationResult, NamedOrder } from '../../core/balance-operations/balance-operation-service';
import type { Core } from '../../core/core';
import { MANAGER_FINANCE_KINDS, type ManagerFinanceFamily } from '../../core/balance-operations/operation-kinds';
import { formatMinorUnits } from '../../core/money/amount';
import { ForbiddenError, UnauthenticatedError } from '../../shared/errors';
import { LosslessNumber } from '../../shared/json';
import { unreachableOutcome } from '../../shared/outcomes';
import { decimalText, INT64_MAX, jsonInteger, login, parseWith, text } from '../../shared/validation';
import { canMoveMoney } from '../../core/managers/manager-auth-service';
import { managerRefusal, type ManagerAnswer } from './manager-errors';
import type { ManagerSession } from '../../core/managers/manager-store';
import type { Deferral } from './sync-commands';
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

export interface CommandContext {
  /** The session of `__token`, or of the connection's Login. */
  session: ManagerSession | null;
  address: string;
}

export interface CommandResult extends ManagerAnswer {
  /** Login adopts this session for the rest of the connection. */
  adoptSession?: ManagerSession;
  /** Defers the answer until an event (the generic Sync flow). */
  deferral?: Deferral;
}

export interface CommandHandler {
  (data: unknown, context: CommandContext): Promise<CommandResult>;
  /** Error name of permission refusals (finance commands name their family: docs/manager-api.md#permissions). */
  permissionError?: string;
}

/** The part of the core's front door the manager API uses. */
export type ManagerCommandDeps = Pick<Core, 'accounts' | 'finance' | 'managers'>;

const unixSeconds = jsonInteger(0n, UNIX_SECONDS_MAX);
const orderNumber = jsonInteger(1n, INT64_MAX);

const financeData = (commentRequired: boolean) =>
  z.strictObject({
    login,
    amount: decimalText,
    comment: commentRequired ? text(MANAGER_COMMENT_LENGTH_MAX).min(1) : text(MANAGER_COMMENT_LENGTH_MAX).optional(),
    order: orderNumber.optional(),
    open_time: unixSeconds.optional(),
    close_time: unixSeconds.optional(),
    referenceId: text(MANAGER_REFERENCE_ID_LENGTH_MAX).min(1).optional(),
  });

const loginData = z.strictObject({ login, password: z.string().min(1).max(256) });
const orderData = z.strictObject({ order: orderNumber });
const transactionsData = z.strictObject({ login, from: unixSeconds.optional(), to: unixSeconds.optional() });
/** CreditIn requires a comment (docs/manager-api.md#finance-commands); the other finance commands default it. */
const financeCommandData = financeData(false);
const creditInData = financeData(true);

/**
 * The schema that validates the `data` of each command that reads any (Ping ignores its data, and
 * Subscribe belongs to the connection): the handlers parse with them, and the AsyncAPI document is
 * generated from them.
 */
export const MANAGER_COMMAND_DATA = {
  Login: loginData,
  GetFinanceRecord: orderData,
  GetTransactionsByLogin: transactionsData,
  BalanceIn: financeCommandData,
  BalanceInSync: financeCommandData,
  BalanceOut: financeCommandData,
  BalanceOutSync: financeCommandData,
  CreditIn: creditInData,
  CreditInSync: creditInData,
  CreditOut: financeCommandData,
  CreditOutSync: financeCommandData,
  DeleteBalance: orderData,
  DeleteBalanceSync: orderData,
} as const satisfies Record<string, z.ZodType>;

/** The error name of a finance command's permission refusals: its family's (docs/manager-api.md#permissions). */
export const MANAGER_PERMISSION_ERRORS: Record<ManagerFinanceFamily | 'DeleteBalance', string> = {
  BalanceIn: 'ADD_BALANCE_ERROR',
  BalanceOut: 'WITHDRAW_BALANCE_ERROR',
  CreditIn: 'ADD_CREDIT_ERROR',
  CreditOut: 'WITHDRAW_CREDIT_ERROR',
  DeleteBalance: 'DELETE_BALANCE_ERROR',
};

/** Every command of the manager API except Subscribe, which belongs to the connection. */
export function managerCommands(deps: ManagerCommandDeps): ReadonlyMap<string, CommandHandler> {
  const commands = new Map<string, CommandHandler>([
    ['Ping', async () => ({ status: 200, data: { pong: true, time: Math.floor(Date.now() / 1000) } })],
    ['Login', (data, context) => loginCommand(deps, data, context)],
    ['GetFinanceRecord', (data, context) => getFinanceRecord(deps, data, context)],
    ['GetTransactionsByLogin', (data, context) => getTransactionsByLogin(deps, data, context)],
  ]);
  for (const family of Object.keys(MANAGER_FINANCE_KINDS) as ManagerFinanceFamily[]) {
    commands.set(family, financeCommand(deps, family, false));
    commands.set(`${family}Sync`, financeCommand(deps, family, true));
  }
  commands.set('DeleteBalance', deleteCommand(deps, false));
  commands.set('DeleteBalanceSync', deleteCommand(deps, true));
  return commands;
}

async function loginCommand(deps: ManagerCommandDeps, data: unknown, context: CommandContext): Promise<CommandResult> {
  const body = parseWith(loginData, data);
  const { token, session } = await deps.managers.login(body.login, body.password, context.address);
  return { status: 200, data: { token, role: session.role }, adoptSession: session };
}

function requireSession(context: CommandContext): ManagerSession {
  if (!context.session) throw new UnauthenticatedError('Login first, or send __token');
  return context.session;
}

async function getFinanceRecord(deps: ManagerCommandDeps, data: unknown, context: CommandContext): Promise<CommandResult> {
  requireSession(context);
  const { order } = parseWith(orderData, data);
  const found = await deps.finance.orderStatus(order);
  switch (found.kind) {
    case 'record':
      return { status: 200, dataJson: financeRecordDataJson(found.record) };
    case 'pending':
      return { status: 200, data: { order: found.orderNo, login: found.login, cmd: found.cmd, state: STATE_OPEN_REQUEST } };
    case 'refused': {
      const refusal = managerRefusal(found.code, found.message, permissionErrorOfCmd(found.cmd)).data;
      return { status: 200, data: { order: found.orderNo, login: found.login, cmd: found.cmd, state: STATE_REQUEST_REFUSED, ...refusal } };
    }
    default:
      return unreachableOutcome(found);
  }
}

/** The permission error name of the finance command family of a cmd code. */
function permissionErrorOfCmd(cmd: number): string | undefined {
  const family = (Object.keys(MANAGER_FINANCE_KINDS) as ManagerFinanceFamily[]).find((name) => MANAGER_FINANCE_KINDS[name].cmd === cmd);
  return family === undefined ? undefined : MANAGER_PERMISSION_ERRORS[family];
}

async function getTransactionsByLogin(deps: ManagerCommandDeps, data: unknown, context: CommandContext): Promise<CommandResult> {
  requireSession(context);
  const body = parseWith(transactionsData, data);
  await deps.accounts.get(body.login);
  const records = await deps.finance.records(body.login, body.from ?? null, body.to ?? null, TRANSACTIONS_PER_ANSWER_MAX);
  return { status: 200, dataJson: `{"login":${body.login},"records":[${records.map(financeRecordDataJson).join(',')}]}` };
}

/**
 * BalanceIn/Out and CreditIn/Out, plain and Sync (docs/manager-api.md#finance-commands). A plain
 * command answers once the operation is committed. A Sync command defers its answer to the event
 * that its own transaction writes (identified by a command id the event carries), so it is never
 * answered with another command's event, even when several update one order at once.
 */
function financeCommand(deps: ManagerCommandDeps, family: ManagerFinanceFamily, sync: boolean): CommandHandler {
  const kind = MANAGER_FINANCE_KINDS[family];
  const schema = MANAGER_COMMAND_DATA[sync ? (`${family}Sync` as const) : family];
  const handler: CommandHandler = async (data, context) => {
    if (!canMoveMoney(context.session)) throw new ForbiddenError('insufficient permissions');
    const body = parseWith(schema, data);
    const request = {
      login: body.login,
      kind,
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
    if (!sync) {
      const result = await deps.finance.apply(request);
      return acknowledgement(result, result.created ? STATE_OPEN_REQUEST : STATE_UPDATE_REQUEST);
    }

    // the order a timeout names, decided before the command runs (it resolves for ever:
    // docs/manager-api.md#looking-up-an-order)
    const named = await deps.finance.nameOrder(request);
    return deferred(deps, named, (commandId) =>
      deps.finance.apply({ ...request, reservedOrderNo: named.orderNo, commandId }),
    );
  };
  handler.permissionError = MANAGER_PERMISSION_ERRORS[family];
  return handler;
}

/**
 * DeleteBalance and DeleteBalanceSync (ScaleTrade): reverse a finance record with a new journal
 * entry; the record's state becomes 6 and its EV_RECORD_DELETE event is broadcast. Once only.
 */
function deleteCommand(deps: ManagerCommandDeps, sync: boolean): CommandHandler {
  const handler: CommandHandler = async (data, context) => {
    if (!canMoveMoney(context.session)) throw new ForbiddenError('insufficient permissions');
    const { order } = parseWith(orderData, data);
    const request = { orderNo: order, source: 'manager' as const, actor: `manager:${context.session!.managerLogin}` };
    if (!sync) return acknowledgement(await deps.finance.delete(request), STATE_DELETE_REQUEST);
    // the order a timeout names is the record being deleted: it resolves to that record
    return deferred(deps, { orderNo: order, command: null }, (commandId) => deps.finance.delete({ ...request, commandId }));
  };
  handler.permissionError = MANAGER_PERMISSION_ERRORS.DeleteBalance;
  return handler;
}

/** ScaleTrade's acknowledgement of a plain finance command: accepted, not yet the result. */
function acknowledgement(result: BalanceOperationResult, state: number): CommandResult {
  const amount = new LosslessNumber(formatMinorUnits(result.amountMinor, result.currency.scale));
  return { status: 200, data: { accepted: true, order: result.orderNo, state, login: result.login, cmd: result.cmd, amount } };
}

/**
 * The Sync flow of a finance command: its own command id goes into its transaction's event, which
 * answers it. A replay writes no event: it answers with the event its first application wrote. A
 * SYNC_TIMEOUT names `named.orderNo`, recorded with the command behind it, and what became of the
 * command afterwards is recorded against that order.
 */
function deferred(deps: ManagerCommandDeps, named: NamedOrder, apply: (commandId: string) => Promise<BalanceOperationResult>): CommandResult {
  const commandId = randomUUID();
  return {
    status: 200,
    deferral: {
      key: { event: 'trade:event', commandId, order: named.orderNo },
      run: async () => {
        const result = await apply(commandId);
        if (!result.replayed) return { order: result.orderNo };
        // keys stored before events were kept per key have no event: the record as it stands
        const first = await deps.finance.eventOf(result);
        return { order: result.orderNo, answerJson: first ? tradeEventDataJson(first) : financeRecordDataJson(await deps.finance.record(result.orderNo)) };
      },
      timedOut: (timeout) => deps.finance.recordSyncTimeout(timeout, named.command),
      endedLate: (order, outcome) => deps.finance.recordLateOutcome(order, named.command, outcome),
    },
  };
}
