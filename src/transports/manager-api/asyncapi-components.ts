/**
 * The shapes of the AsyncAPI document's answers and events (asyncapi.ts): the `data` of each
 * success answer, the errors, and the trade:event message, from the constants the transport
 * answers with.
 */

import { MANAGER_FINANCE_KINDS, type ManagerFinanceFamily } from '../../core/balance-operations/operation-kinds';
import { TRADE_EVENT_TYPES } from '../../core/events/event-store';
import { MANAGER_ROLES } from '../../core/managers/manager-store';
import { SUBSCRIBABLE_CHANNELS } from './command-context';
import {
  STATE_DELETE_REQUEST,
  STATE_OPEN_REQUEST,
  STATE_REQUEST_REFUSED,
  STATE_UPDATE_REQUEST,
  TRANSACTIONS_PER_ANSWER_MAX,
} from './finance-commands';
import { MANAGER_COMMANDS } from './manager-commands';
import {
  MANAGER_ERROR_BY_CODE,
  MANAGER_PROTOCOL_ERRORS,
  PERMISSION_STATUS,
  SYNC_TIMEOUT_STATUS,
} from './manager-errors';
import { TCP_MESSAGE_BYTES_MAX } from './tcp-server';

export type JsonSchema = Record<string, unknown>;

export const ref = (pointer: string) => ({ $ref: pointer });
export const schemaRef = (name: string) => ref(`#/components/schemas/${name}`);

/** An answer: `{extID, status, data}`. */
export function answerSchema(status: JsonSchema, data: JsonSchema, extID: JsonSchema = { type: 'string' }): JsonSchema {
  return {
    type: 'object',
    required: ['extID', 'status', 'data'],
    additionalProperties: false,
    properties: { extID, status, data },
  };
}

const integer = (description: string, minimum?: number) => ({
  type: 'integer',
  ...(minimum === undefined ? {} : { minimum }),
  description,
});
const amount = (description: string) => ({
  type: 'number',
  description: `${description}, a JSON number with the currency's decimals (250.00)`,
});

const ERROR_NAMES = [
  ...new Set([
    ...Object.values(MANAGER_ERROR_BY_CODE).map((mapped) => mapped.error),
    ...Object.keys(MANAGER_PROTOCOL_ERRORS),
    ...Object.values(MANAGER_COMMANDS).flatMap((command) => command.permission.refusedAs ?? []),
  ]),
].sort();
const ERROR_STATUSES = [
  ...new Set([
    ...Object.values(MANAGER_ERROR_BY_CODE).map((mapped) => mapped.status),
    ...Object.values(MANAGER_PROTOCOL_ERRORS),
    PERMISSION_STATUS,
  ]),
].sort((a, b) => a - b);

const FINANCE_CMDS = (Object.keys(MANAGER_FINANCE_KINDS) as ManagerFinanceFamily[])
  .map((family) => `${MANAGER_FINANCE_KINDS[family].cmd} ${family}`)
  .join(', ');

const TRADE_EVENT_DATA: JsonSchema = {
  type: 'object',
  description: 'A finance record or a wallet trade as this event (or the record as it stands) has it.',
  required: ['order', 'login', 'cmd', 'state', 'profit', 'comment', 'open_time', 'close_time'],
  additionalProperties: false,
  properties: {
    order: integer('the order number', 1),
    login: integer('the account', 1),
    cmd: integer(`0 wallet trade, ${FINANCE_CMDS}`, 0),
    state: integer('3 final, 6 deleted (ScaleTrade states)', 0),
    stake: amount('a wallet trade: its stake'),
    payout: amount('a closed wallet trade: what it paid'),
    profit: amount('the signed amount'),
    comment: { type: 'string' },
    externalTradeType: { type: 'string', description: 'a wallet trade: its key' },
    externalTradeId: { type: 'string', description: 'a wallet trade: its key' },
    open_time: integer('unix seconds', 0),
    close_time: integer('unix seconds', 0),
  },
};

/** The order a GetFinanceRecord of a named order asks for, and its command. */
const NAMED_ORDER = {
  order: integer('the order asked for', 1),
  login: integer('the account of its command', 1),
  cmd: integer('the finance command', 0),
};

const FINANCE_REQUEST_PENDING: JsonSchema = {
  type: 'object',
  description:
    'GetFinanceRecord of an order named in a SYNC_TIMEOUT whose command has not ended yet: no record has it, ' +
    'and none may until it ends.',
  required: ['order', 'login', 'cmd', 'state'],
  additionalProperties: false,
  properties: {
    ...NAMED_ORDER,
    state: {
      const: STATE_OPEN_REQUEST,
      description: `${STATE_OPEN_REQUEST} (ScaleTrade's FinanceOpenRequest): pending`,
    },
  },
};

const FINANCE_REQUEST_REFUSED: JsonSchema = {
  type: 'object',
  description:
    'GetFinanceRecord of an order named in a SYNC_TIMEOUT whose command was refused after that answer ' +
    "(ACCOUNT_BUSY when its account's lock did not come, NOT_ENOUGH_MONEY, ...): nothing was applied. " +
    'A retry with the same referenceId and content is applied under this order, which then answers its record.',
  required: ['order', 'login', 'cmd', 'state', 'error', 'message'],
  additionalProperties: false,
  properties: {
    ...NAMED_ORDER,
    state: {
      const: STATE_REQUEST_REFUSED,
      description: `${STATE_REQUEST_REFUSED}: refused (this service's state, after ScaleTrade's request states)`,
    },
    error: { enum: ERROR_NAMES, description: "the command's refusal, as its own answer would have named it" },
    message: { type: 'string' },
  },
};

const ACKNOWLEDGEMENT: JsonSchema = {
  type: 'object',
  description: 'A plain (not Sync) finance command was accepted and is durable.',
  required: ['accepted', 'order', 'state', 'login', 'cmd', 'amount'],
  additionalProperties: false,
  properties: {
    accepted: { const: true },
    order: integer('the record created or updated', 1),
    state: {
      enum: [STATE_OPEN_REQUEST, STATE_UPDATE_REQUEST, STATE_DELETE_REQUEST],
      description: `${STATE_OPEN_REQUEST} new record, ${STATE_UPDATE_REQUEST} update, ${STATE_DELETE_REQUEST} deletion`,
    },
    login: integer('the account', 1),
    cmd: integer('the finance command', 0),
    amount: amount('the amount applied'),
  },
};

/** The `data` of each success answer, and of the refusals. */
export const SCHEMAS: Record<string, JsonSchema> = {
  TradeEventData: TRADE_EVENT_DATA,
  FinanceRequestPending: FINANCE_REQUEST_PENDING,
  FinanceRequestRefused: FINANCE_REQUEST_REFUSED,
  Acknowledgement: ACKNOWLEDGEMENT,
  LoginResult: {
    type: 'object',
    required: ['token', 'role'],
    additionalProperties: false,
    properties: {
      token: { type: 'string', description: 'send as __token on any request' },
      role: { enum: [...MANAGER_ROLES] },
    },
  },
  Pong: {
    type: 'object',
    required: ['pong', 'time'],
    additionalProperties: false,
    properties: { pong: { const: true }, time: integer('server time, unix seconds', 0) },
  },
  Transactions: {
    type: 'object',
    required: ['login', 'records'],
    additionalProperties: false,
    properties: {
      login: integer('the account', 1),
      records: { type: 'array', maxItems: TRANSACTIONS_PER_ANSWER_MAX, items: schemaRef('TradeEventData') },
    },
  },
  Subscribed: {
    type: 'object',
    required: ['subscribed'],
    additionalProperties: false,
    properties: {
      subscribed: {
        type: 'array',
        items: { enum: [...SUBSCRIBABLE_CHANNELS] },
        description: "every channel of the connection's subscription",
      },
    },
  },
  Error: {
    type: 'object',
    required: ['error', 'message'],
    additionalProperties: false,
    properties: {
      error: {
        enum: ERROR_NAMES,
        description:
          "finance commands refuse a missing permission or an unknown account alike with their family's name " +
          "(ADD_BALANCE_ERROR ...) and the message 'Invalid login or insufficient permissions'",
      },
      message: { type: 'string' },
    },
  },
};

const SYNC_TIMEOUT_DATA: JsonSchema = {
  type: 'object',
  required: ['error', 'kind', 'order'],
  additionalProperties: false,
  properties: { error: { const: 'SYNC_TIMEOUT' }, kind: { const: 'trade' }, order: integer('the order to look up', 1) },
};

/** The messages that are no command's request nor success answer: the event, the refusal, the 504. */
export const EVENT_AND_REFUSAL_MESSAGES: Record<string, JsonSchema> = {
  TradeEvent: {
    name: 'trade:event',
    title: 'A trade event',
    summary: 'A committed change of a finance record or a wallet trade, to subscribers of trade:event.',
    payload: {
      type: 'object',
      required: ['event', 'type', 'data'],
      additionalProperties: false,
      properties: {
        event: { const: 'trade:event' },
        type: { enum: [...TRADE_EVENT_TYPES] },
        data: schemaRef('TradeEventData'),
      },
    },
  },
  ErrorAnswer: {
    name: 'ErrorAnswer',
    title: 'A refusal',
    summary:
      'The command was refused; nothing was applied unless said otherwise. extID is null when a line could ' +
      `not be read as a message (not a JSON object, or over ${TCP_MESSAGE_BYTES_MAX} bytes): ` +
      'the connection then closes.',
    payload: answerSchema({ enum: ERROR_STATUSES }, schemaRef('Error'), { type: ['string', 'null'] }),
    correlationId: ref('#/components/correlationIds/extID'),
  },
  SyncTimeoutAnswer: {
    name: 'SyncTimeoutAnswer',
    title: 'A Sync command whose event did not come in time',
    summary: 'The operation may still complete: GetFinanceRecord with the order resolves it.',
    payload: answerSchema({ const: SYNC_TIMEOUT_STATUS }, SYNC_TIMEOUT_DATA),
    correlationId: ref('#/components/correlationIds/extID'),
  },
};
