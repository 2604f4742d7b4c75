import { z } from 'zod';
import { canMoveMoney } from '../../core/managers/manager-auth-service';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../../shared/errors';
import { login as loginField, parseWith } from '../../shared/validation';
import {
  ANY_SESSION,
  ANYONE,
  SUBSCRIBABLE_CHANNELS,
  type CommandContext,
  type CommandResult,
  type Permission,
} from './command-context';
import {
  balanceOperation,
  creditInData,
  deleteBalance,
  FINANCE_PERMISSIONS,
  financeData,
  getFinanceRecord,
  getTransactionsByLogin,
  orderData,
  syncBalanceOperation,
  syncDeleteBalance,
  transactionsData,
} from './finance-commands';
import type { SyncWork } from './sync-commands';

/**
 * The manager API's commands (docs/manager-api.md), one row each: the schema of its `data`, who
 * may run it, and its handler. `run` checks the permission, parses the data and calls the handler;
 * a Sync row's handler prepares its work, which the connection's `answerWithOwnEvent` answers
 * (sync-commands.ts: docs/architecture.md#the-manager-sync-route). The TCP server looks commands
 * up here, and the AsyncAPI document is generated from these schemas.
 */
export interface ManagerCommand {
  /** The schema of its `data`; null when its data is not read (Ping). */
  readonly data: z.ZodType | null;
  readonly permission: Permission;
  /** Answered by the trade:event its own transaction writes, or SYNC_TIMEOUT. */
  readonly sync: boolean;
  run(data: unknown, context: CommandContext): Promise<CommandResult>;
}

const loginData = z.strictObject({ login: loginField, password: z.string().min(1).max(256) });
const channelList = () => z.array(z.enum(SUBSCRIBABLE_CHANNELS)).min(1).max(16).optional();
/** The data of Subscribe; `chanels` is accepted too (docs/manager-api.md#subscribe). */
export const subscribeData = z
  .strictObject({ channels: channelList(), chanels: channelList() })
  .refine((value) => (value.channels ?? value.chanels) !== undefined, 'channels is required');

export const MANAGER_COMMANDS = {
  Ping: command(null, ANYONE, ping),
  Login: command(loginData, ANYONE, login),
  BalanceIn: command(financeData, FINANCE_PERMISSIONS.BalanceIn, balanceOperation('BalanceIn')),
  BalanceInSync: syncCommand(financeData, FINANCE_PERMISSIONS.BalanceIn, syncBalanceOperation('BalanceIn')),
  CreditIn: command(creditInData, FINANCE_PERMISSIONS.CreditIn, balanceOperation('CreditIn')),
  CreditInSync: syncCommand(creditInData, FINANCE_PERMISSIONS.CreditIn, syncBalanceOperation('CreditIn')),
  BalanceOut: command(financeData, FINANCE_PERMISSIONS.BalanceOut, balanceOperation('BalanceOut')),
  BalanceOutSync: syncCommand(financeData, FINANCE_PERMISSIONS.BalanceOut, syncBalanceOperation('BalanceOut')),
  CreditOut: command(financeData, FINANCE_PERMISSIONS.CreditOut, balanceOperation('CreditOut')),
  CreditOutSync: syncCommand(financeData, FINANCE_PERMISSIONS.CreditOut, syncBalanceOperation('CreditOut')),
  DeleteBalance: command(orderData, FINANCE_PERMISSIONS.DeleteBalance, deleteBalance),
  DeleteBalanceSync: syncCommand(orderData, FINANCE_PERMISSIONS.DeleteBalance, syncDeleteBalance),
  GetFinanceRecord: command(orderData, ANY_SESSION, getFinanceRecord),
  GetTransactionsByLogin: command(transactionsData, ANY_SESSION, getTransactionsByLogin),
  Subscribe: command(subscribeData, ANY_SESSION, subscribe),
} as const satisfies Record<string, ManagerCommand>;

export type ManagerCommandName = keyof typeof MANAGER_COMMANDS;

const COMMANDS_BY_NAME: ReadonlyMap<string, ManagerCommand> = new Map(Object.entries(MANAGER_COMMANDS));

/** The command of this name (a Map: a name such as `constructor` is no command). */
export function managerCommand(name: string): ManagerCommand | undefined {
  return COMMANDS_BY_NAME.get(name);
}

type DataOf<S extends z.ZodType | null> = S extends z.ZodType ? z.output<S> : unknown;

/** A command answered by its handler. */
function command<S extends z.ZodType | null>(
  data: S,
  permission: Permission,
  handler: (body: DataOf<S>, context: CommandContext) => Promise<CommandResult>,
): ManagerCommand {
  return {
    data,
    permission,
    sync: false,
    run: async (raw, context) => {
      requirePermission(permission, context);
      return handler(parseData(data, raw), context);
    },
  };
}

/** A Sync command: its handler prepares the work, answered by the event its own transaction writes. */
function syncCommand<S extends z.ZodType>(
  data: S,
  permission: Permission,
  prepare: (body: DataOf<S>, context: CommandContext) => Promise<SyncWork>,
): ManagerCommand {
  const answered = command(data, permission, async (body, context) =>
    context.answerWithOwnEvent(await prepare(body, context)),
  );
  return { ...answered, sync: true };
}

function requirePermission(permission: Permission, context: CommandContext): void {
  if (permission.needs === 'a session' && !context.session) {
    throw new UnauthenticatedError('Login first, or send __token');
  }
  if (permission.needs === 'a money role' && !canMoveMoney(context.session)) {
    throw new ForbiddenError('insufficient permissions');
  }
}

function parseData<S extends z.ZodType | null>(schema: S, data: unknown): DataOf<S> {
  // a command without a schema does not read its data: it is handed on unread
  return (schema === null ? data : parseWith(schema, data)) as DataOf<S>;
}

async function ping(): Promise<CommandResult> {
  return { status: 200, data: { pong: true, time: Math.floor(Date.now() / 1000) } };
}

async function login(body: z.output<typeof loginData>, context: CommandContext): Promise<CommandResult> {
  const { token, session } = await context.core.managers.login(body.login, body.password, context.address);
  return { status: 200, data: { token, role: session.role }, adoptSession: session };
}

async function subscribe(body: z.output<typeof subscribeData>, context: CommandContext): Promise<CommandResult> {
  const channels = body.channels ?? body.chanels ?? [];
  if (channels.length === 0) throw new ValidationError('channels is required');
  return { status: 200, data: { subscribed: await context.subscribe(channels) } };
}
