import { z } from 'zod';
import type { AccountService } from '../accounts/account-service';
import type { BalanceOperationService } from '../balance-operations/balance-operation-service';
import { MANAGER_FINANCE_KINDS, type ManagerFinanceFamily } from '../balance-operations/operation-kinds';
import type { Deferral } from '../events/deferred-responses';
import { formatMinorUnits, parseMinorUnits } from '../money/amount';
import { requireCurrency } from '../money/currency';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../shared/errors';
import { LosslessNumber } from '../shared/json';
import { decimalText, INT64_MAX, jsonInteger, login, parseWith, text } from '../shared/validation';
import { canMoveMoney, type ManagerAuthService } from './manager-auth-service';
import type { ManagerAnswer } from './manager-errors';
import type { ManagerSession } from './manager-store';

/** Limits of the manager commands' fields. */
export const MANAGER_COMMENT_LENGTH_MAX = 500;
export const MANAGER_REFERENCE_ID_LENGTH_MAX = 128;
/** Records answered by one GetTransactionsByLogin. */
export const TRANSACTIONS_PER_ANSWER_MAX = 1000;
const DEFAULT_FINANCE_COMMENT = 'Finance';
/** ScaleTrade request states of a non-sync acknowledgement. */
const STATE_OPEN_REQUEST = 10;
const STATE_UPDATE_REQUEST = 11;

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
  /** Error name of permission refusals (finance commands name their family, seed 001). */
  permissionError?: string;
}

export interface ManagerCommandDeps {
  auth: ManagerAuthService;
  accounts: AccountService;
  balanceOperations: BalanceOperationService;
}

const unixSeconds = jsonInteger(0n, INT64_MAX);
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

const FAMILY_ERRORS: Record<ManagerFinanceFamily, string> = {
  BalanceIn: 'ADD_BALANCE_ERROR',
  BalanceOut: 'WITHDRAW_BALANCE_ERROR',
  CreditIn: 'ADD_CREDIT_ERROR',
  CreditOut: 'WITHDRAW_CREDIT_ERROR',
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
  return commands;
}

const loginData = z.strictObject({ login, password: z.string().min(1).max(256) });

async function loginCommand(deps: ManagerCommandDeps, data: unknown, context: CommandContext): Promise<CommandResult> {
  const body = parseWith(loginData, data);
  const { token, session } = await deps.auth.login(body.login, body.password, context.address);
  return { status: 200, data: { token, role: session.role }, adoptSession: session };
}

function requireSession(context: CommandContext): ManagerSession {
  if (!context.session) throw new UnauthenticatedError('Login first, or send __token');
  return context.session;
}

const orderData = z.strictObject({ order: orderNumber });

async function getFinanceRecord(deps: ManagerCommandDeps, data: unknown, context: CommandContext): Promise<CommandResult> {
  requireSession(context);
  const { order } = parseWith(orderData, data);
  return { status: 200, dataJson: await deps.balanceOperations.recordEventData(order) };
}

const transactionsData = z.strictObject({ login, from: unixSeconds.optional(), to: unixSeconds.optional() });

async function getTransactionsByLogin(deps: ManagerCommandDeps, data: unknown, context: CommandContext): Promise<CommandResult> {
  requireSession(context);
  const body = parseWith(transactionsData, data);
  await deps.accounts.get(body.login);
  const records = await deps.balanceOperations.listRecordEventData(body.login, body.from ?? null, body.to ?? null, TRANSACTIONS_PER_ANSWER_MAX);
  return { status: 200, dataJson: `{"login":${body.login},"records":[${records.join(',')}]}` };
}

/**
 * BalanceIn/Out and CreditIn/Out, plain and Sync (seeds 000-002). A plain command answers once the
 * operation is committed; a Sync command reserves the order, defers its answer to the record's
 * trade:event, and only then moves the money.
 */
function financeCommand(deps: ManagerCommandDeps, family: ManagerFinanceFamily, sync: boolean): CommandHandler {
  const kind = MANAGER_FINANCE_KINDS[family];
  const schema = financeData(family === 'CreditIn');
  const handler: CommandHandler = async (data, context) => {
    if (!canMoveMoney(context.session)) throw new ForbiddenError('insufficient permissions');
    const body = parseWith(schema, data);
    const scale = requireCurrency(await deps.accounts.currencyOf(body.login)).scale;
    const amountMinor = parseMinorUnits(body.amount, scale);
    if (kind.direction === 1 ? amountMinor <= 0n : amountMinor >= 0n) {
      throw new ValidationError(`amount must be ${kind.direction === 1 ? 'positive' : 'negative'} for ${family}`);
    }
    const request = {
      login: body.login,
      kind,
      amountMinor,
      comment: body.comment ?? DEFAULT_FINANCE_COMMENT,
      openTime: body.open_time ?? null,
      closeTime: body.close_time ?? null,
      targetOrderNo: body.order ?? null,
      source: 'manager' as const,
      actor: `manager:${context.session!.managerLogin}`,
      referenceId: body.referenceId ?? null,
    };

    if (!sync) {
      const result = await deps.balanceOperations.apply(request);
      return {
        status: 200,
        data: {
          accepted: true,
          order: result.orderNo,
          state: result.created ? STATE_OPEN_REQUEST : STATE_UPDATE_REQUEST,
          login: body.login,
          cmd: kind.cmd,
          amount: new LosslessNumber(formatMinorUnits(amountMinor, scale)),
        },
      };
    }

    const existing = request.targetOrderNo === null ? undefined : await deps.balanceOperations.findRecord(request.targetOrderNo);
    const updates = existing !== undefined && existing.login === request.login && existing.cmd === kind.cmd;
    const order = updates ? existing.orderNo : await deps.balanceOperations.reserveOrderNo();
    const key = { event: 'trade:event', type: updates ? 'EV_RECORD_UPDATE' : 'EV_RECORD_ADD', order };
    return {
      status: 200,
      data: { order, __deferred: { event: key.event, type: key.type, order } },
      deferral: {
        key,
        run: async () => {
          const result = await deps.balanceOperations.apply({ ...request, reservedOrderNo: order });
          // A replayed referenceId (or an order that changed hands meanwhile) writes no event to wait
          // for: answer with the record as it stands.
          if (result.replayed || result.orderNo !== key.order || result.eventType !== key.type) {
            return deps.balanceOperations.recordEventData(result.orderNo);
          }
          return undefined;
        },
      },
    };
  };
  handler.permissionError = FAMILY_ERRORS[family];
  return handler;
}
