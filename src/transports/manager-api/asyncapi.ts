import { z } from 'zod';
import { MANAGER_FINANCE_KINDS, type ManagerFinanceFamily } from '../../core/balance-operations/operation-kinds';
import { TRADE_EVENT_TYPES } from '../../core/events/event-store';
import { MANAGER_ROLES } from '../../core/managers/manager-store';
import {
  MANAGER_COMMAND_DATA,
  MANAGER_PERMISSION_ERRORS,
  STATE_DELETE_REQUEST,
  STATE_OPEN_REQUEST,
  STATE_REQUEST_REFUSED,
  STATE_UPDATE_REQUEST,
  TRANSACTIONS_PER_ANSWER_MAX,
} from './manager-commands';
import { MANAGER_ERROR_BY_CODE, MANAGER_PROTOCOL_ERRORS, PERMISSION_STATUS, SYNC_TIMEOUT_STATUS } from './manager-errors';
import { envelopeSchema, IDLE_TIMEOUT_MS, SUBSCRIBABLE_CHANNELS, subscribeSchema, TCP_MESSAGE_BYTES_MAX, UNAUTHENTICATED_IDLE_TIMEOUT_MS } from './tcp-server';

/**
 * The AsyncAPI 3.0 document of the manager TCP API, served at /asyncapi.json. Each command's message
 * is generated from the zod schemas that validate it (the envelope's and the command's data); the
 * answers, the error shapes and the trade:event message are described here, from the constants the
 * transport answers with. A test validates it with @asyncapi/parser and checks real traffic against it.
 */

type JsonSchema = Record<string, unknown>;

/** What the document says about one command; its data schema comes from the transport by name. */
interface CommandDoc {
  summary: string;
  description: string;
  /** The component schema of the `data` of its success answer. */
  answer: string;
  /** Other shapes a success answer may have (component schemas). */
  otherAnswers?: string[];
  /** Finance commands name their family in permission refusals (docs/manager-api.md#permissions). */
  permissionError?: string;
  /** A Sync command: may answer SYNC_TIMEOUT. */
  sync?: boolean;
}

const FAMILY_DOCS: Record<ManagerFinanceFamily, string> = {
  BalanceIn: 'Deposit to the balance bucket, amount > 0',
  BalanceOut: 'Withdrawal from the balance bucket, amount < 0 (NOT_ENOUGH_MONEY beyond it)',
  CreditIn: 'Bonus credit to the credit bucket (tradable, never withdrawable), amount > 0, comment required',
  CreditOut: 'Credit taken back from the credit bucket, amount < 0 (NOT_ENOUGH_MONEY beyond it)',
};

const FINANCE_RULES =
  'Allowed for SESSION_MANAGER, SESSION_ADMIN and SESSION_DEALER. A new finance record gets a new order; with `order` of an existing record (same login and cmd) the difference is posted and the record updated. `referenceId` applies the command at most once (a repeat answers the first outcome; other content: DUPLICATE).';

function financeCommandDocs(family: ManagerFinanceFamily): Record<string, CommandDoc> {
  const { cmd } = MANAGER_FINANCE_KINDS[family];
  const permissionError = MANAGER_PERMISSION_ERRORS[family];
  return {
    [family]: {
      summary: `${FAMILY_DOCS[family]} (cmd ${cmd})`,
      description: `${FINANCE_RULES} Answers once the operation is durable with an acknowledgement (state ${STATE_OPEN_REQUEST} for a new record, ${STATE_UPDATE_REQUEST} for an update).`,
      answer: 'Acknowledgement',
      permissionError,
    },
    [`${family}Sync`]: {
      summary: `${FAMILY_DOCS[family]} (cmd ${cmd}), answered with its own trade:event`,
      description: `${FINANCE_RULES} Answers when the trade:event that this command's own transaction wrote is broadcast, with that event's data (never another command's event); SYNC_TIMEOUT (${SYNC_TIMEOUT_STATUS}) when it does not come within MANAGER_SYNC_TIMEOUT_MS, naming the order the command takes (the operation is not undone: GetFinanceRecord with that order answers its record, its pending state or its refusal, for ever; a retry with the same referenceId is applied under that order).`,
      answer: 'TradeEventData',
      permissionError,
      sync: true,
    },
  };
}

/** Every command, Subscribe included. */
const COMMANDS: Record<string, CommandDoc> = {
  Ping: { summary: 'Liveness', description: 'Needs no session; its data is ignored.', answer: 'Pong' },
  Login: {
    summary: 'Authenticates the connection',
    description: `Answers a session token and the role; the connection keeps the session, and the token may be sent as __token on any request of any connection. A connection must log in (or send a valid __token) within ${UNAUTHENTICATED_IDLE_TIMEOUT_MS / 1000} s of connecting. Failed logins are slowed down and limited per login and per address (TOO_MANY_REQUESTS).`,
    answer: 'LoginResult',
  },
  ...(Object.keys(MANAGER_FINANCE_KINDS) as ManagerFinanceFamily[]).reduce((docs, family) => ({ ...docs, ...financeCommandDocs(family) }), {}),
  DeleteBalance: {
    summary: 'Reverses a finance record',
    description: `A new journal entry with the opposite amounts on the same books; the record's state becomes 6 and EV_RECORD_DELETE is broadcast. Once only (a repeat answers the first outcome); refused with nothing moved if a bucket would go negative. Acknowledged with state ${STATE_DELETE_REQUEST}.`,
    answer: 'Acknowledgement',
    permissionError: MANAGER_PERMISSION_ERRORS.DeleteBalance,
  },
  DeleteBalanceSync: {
    summary: 'Reverses a finance record, answered with its own EV_RECORD_DELETE event',
    description: 'As DeleteBalance, answered with the data of the event its own transaction wrote, or SYNC_TIMEOUT.',
    answer: 'TradeEventData',
    permissionError: MANAGER_PERMISSION_ERRORS.DeleteBalance,
    sync: true,
  },
  GetFinanceRecord: {
    summary: 'A finance record as it stands, or what became of an order the service named (to resolve an uncertain outcome)',
    description: `Needs a session. Every order the service has named (in an acknowledgement, a Sync answer or a SYNC_TIMEOUT) resolves for ever: the record (TradeEventData, state 3 or 6; for an order whose command was applied as another order, because its referenceId had been applied there, that order's record); while the command of a SYNC_TIMEOUT's order has not ended, state ${STATE_OPEN_REQUEST} (FinanceRequestPending: ask again); when it was refused after its answer, state ${STATE_REQUEST_REFUSED} with the refusal's error and message (FinanceRequestRefused: nothing was applied; a retry with the same referenceId applies it under this order, which then answers the record). NOT_FOUND only for an order the service never named.`,
    answer: 'TradeEventData',
    otherAnswers: ['FinanceRequestPending', 'FinanceRequestRefused'],
  },
  GetTransactionsByLogin: {
    summary: "A login's finance records, optionally between unix seconds",
    description: `Needs a session. At most ${TRANSACTIONS_PER_ANSWER_MAX} records.`,
    answer: 'Transactions',
  },
  Subscribe: {
    summary: 'Subscribes the connection to event channels',
    description: `Needs a session (any role). The connection then receives every event of those channels (the tradeEvent operation) from every instance, in commit order per account, none lost while it stays open. The spelling \`chanels\` is accepted too (docs/manager-api.md#subscribe). A subscribed connection is not closed for idling (others are after ${IDLE_TIMEOUT_MS / 60_000} minutes of silence).`,
    answer: 'Subscribed',
  },
};

/** The JSON Schema of what a zod schema accepts, in the AsyncAPI Schema dialect (a superset of draft 07). */
function payloadSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...generated } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as JsonSchema;
  return generated;
}

/** A request message: the envelope with this command's name and data. */
function requestPayload(name: string): JsonSchema {
  const data = name === 'Subscribe' ? subscribeSchema : MANAGER_COMMAND_DATA[name as keyof typeof MANAGER_COMMAND_DATA];
  // Ping's data is the envelope's own: any object, optional, ignored
  return payloadSchema(envelopeSchema.extend({ command: z.literal(name), ...(data ? { data } : {}) }));
}

const ref = (pointer: string) => ({ $ref: pointer });
const schemaRef = (name: string) => ref(`#/components/schemas/${name}`);

/** An answer: `{extID, status, data}`. */
function answerSchema(status: JsonSchema, data: JsonSchema, extID: JsonSchema = { type: 'string' }): JsonSchema {
  return { type: 'object', required: ['extID', 'status', 'data'], additionalProperties: false, properties: { extID, status, data } };
}

const integer = (description: string, minimum?: number) => ({ type: 'integer', ...(minimum === undefined ? {} : { minimum }), description });
const amount = (description: string) => ({ type: 'number', description: `${description}, a JSON number with the currency's decimals (250.00)` });

const ERROR_NAMES = [
  ...new Set([
    ...Object.values(MANAGER_ERROR_BY_CODE).map((mapped) => mapped.error),
    ...Object.keys(MANAGER_PROTOCOL_ERRORS),
    ...Object.values(MANAGER_PERMISSION_ERRORS),
  ]),
].sort();
const ERROR_STATUSES = [
  ...new Set([...Object.values(MANAGER_ERROR_BY_CODE).map((mapped) => mapped.status), ...Object.values(MANAGER_PROTOCOL_ERRORS), PERMISSION_STATUS]),
].sort((a, b) => a - b);

const SCHEMAS: Record<string, JsonSchema> = {
  TradeEventData: {
    type: 'object',
    description: 'A finance record or a wallet trade as this event (or the record as it stands) has it.',
    required: ['order', 'login', 'cmd', 'state', 'profit', 'comment', 'open_time', 'close_time'],
    additionalProperties: false,
    properties: {
      order: integer('the order number', 1),
      login: integer('the account', 1),
      cmd: integer(
        `0 wallet trade, ${(Object.keys(MANAGER_FINANCE_KINDS) as ManagerFinanceFamily[]).map((family) => `${MANAGER_FINANCE_KINDS[family].cmd} ${family}`).join(', ')}`,
        0,
      ),
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
  },
  FinanceRequestPending: {
    type: 'object',
    description: 'GetFinanceRecord of an order named in a SYNC_TIMEOUT whose command has not ended yet: no record has it, and none may until it ends.',
    required: ['order', 'login', 'cmd', 'state'],
    additionalProperties: false,
    properties: {
      order: integer('the order asked for', 1),
      login: integer('the account of its command', 1),
      cmd: integer('the finance command', 0),
      state: { const: STATE_OPEN_REQUEST, description: `${STATE_OPEN_REQUEST} (ScaleTrade's FinanceOpenRequest): pending` },
    },
  },
  FinanceRequestRefused: {
    type: 'object',
    description:
      'GetFinanceRecord of an order named in a SYNC_TIMEOUT whose command was refused after that answer (ACCOUNT_BUSY when its account\'s lock did not come, NOT_ENOUGH_MONEY, ...): nothing was applied. A retry with the same referenceId and content is applied under this order, which then answers its record.',
    required: ['order', 'login', 'cmd', 'state', 'error', 'message'],
    additionalProperties: false,
    properties: {
      order: integer('the order asked for', 1),
      login: integer('the account of its command', 1),
      cmd: integer('the finance command', 0),
      state: { const: STATE_REQUEST_REFUSED, description: `${STATE_REQUEST_REFUSED}: refused (this service's state, after ScaleTrade's request states)` },
      error: { enum: ERROR_NAMES, description: "the command's refusal, as its own answer would have named it" },
      message: { type: 'string' },
    },
  },
  Acknowledgement: {
    type: 'object',
    description: 'A plain (not Sync) finance command was accepted and is durable.',
    required: ['accepted', 'order', 'state', 'login', 'cmd', 'amount'],
    additionalProperties: false,
    properties: {
      accepted: { const: true },
      order: integer('the record created or updated', 1),
      state: { enum: [STATE_OPEN_REQUEST, STATE_UPDATE_REQUEST, STATE_DELETE_REQUEST], description: `${STATE_OPEN_REQUEST} new record, ${STATE_UPDATE_REQUEST} update, ${STATE_DELETE_REQUEST} deletion` },
      login: integer('the account', 1),
      cmd: integer('the finance command', 0),
      amount: amount('the amount applied'),
    },
  },
  LoginResult: {
    type: 'object',
    required: ['token', 'role'],
    additionalProperties: false,
    properties: { token: { type: 'string', description: 'send as __token on any request' }, role: { enum: [...MANAGER_ROLES] } },
  },
  Pong: { type: 'object', required: ['pong', 'time'], additionalProperties: false, properties: { pong: { const: true }, time: integer('server time, unix seconds', 0) } },
  Transactions: {
    type: 'object',
    required: ['login', 'records'],
    additionalProperties: false,
    properties: { login: integer('the account', 1), records: { type: 'array', maxItems: TRANSACTIONS_PER_ANSWER_MAX, items: schemaRef('TradeEventData') } },
  },
  Subscribed: {
    type: 'object',
    required: ['subscribed'],
    additionalProperties: false,
    properties: { subscribed: { type: 'array', items: { enum: [...SUBSCRIBABLE_CHANNELS] }, description: "every channel of the connection's subscription" } },
  },
  Error: {
    type: 'object',
    required: ['error', 'message'],
    additionalProperties: false,
    properties: {
      error: { enum: ERROR_NAMES, description: "finance commands refuse a missing permission or an unknown account alike with their family's name (ADD_BALANCE_ERROR ...) and the message 'Invalid login or insufficient permissions'" },
      message: { type: 'string' },
    },
  },
};

const MESSAGES: Record<string, JsonSchema> = {
  TradeEvent: {
    name: 'trade:event',
    title: 'A trade event',
    summary: 'A committed change of a finance record or a wallet trade, to subscribers of trade:event.',
    payload: {
      type: 'object',
      required: ['event', 'type', 'data'],
      additionalProperties: false,
      properties: { event: { const: 'trade:event' }, type: { enum: [...TRADE_EVENT_TYPES] }, data: schemaRef('TradeEventData') },
    },
  },
  ErrorAnswer: {
    name: 'ErrorAnswer',
    title: 'A refusal',
    summary: `The command was refused; nothing was applied unless said otherwise. extID is null when a line could not be read as a message (not a JSON object, or over ${TCP_MESSAGE_BYTES_MAX} bytes): the connection then closes.`,
    payload: answerSchema({ enum: ERROR_STATUSES }, schemaRef('Error'), { type: ['string', 'null'] }),
    correlationId: ref('#/components/correlationIds/extID'),
  },
  SyncTimeoutAnswer: {
    name: 'SyncTimeoutAnswer',
    title: 'A Sync command whose event did not come in time',
    summary: 'The operation may still complete: GetFinanceRecord with the order resolves it.',
    payload: answerSchema(
      { const: SYNC_TIMEOUT_STATUS },
      { type: 'object', required: ['error', 'kind', 'order'], additionalProperties: false, properties: { error: { const: 'SYNC_TIMEOUT' }, kind: { const: 'trade' }, order: integer('the order to look up', 1) } },
    ),
    correlationId: ref('#/components/correlationIds/extID'),
  },
};

for (const answer of new Set(Object.values(COMMANDS).flatMap((command) => [command.answer, ...(command.otherAnswers ?? [])]))) {
  MESSAGES[`${answer}Answer`] = {
    name: `${answer}Answer`,
    title: `A successful answer: ${answer}`,
    payload: answerSchema({ const: 200 }, schemaRef(answer)),
    correlationId: ref('#/components/correlationIds/extID'),
  };
}
for (const [name, command] of Object.entries(COMMANDS)) {
  MESSAGES[`${name}Request`] = { name, title: name, summary: command.summary, payload: requestPayload(name), correlationId: ref('#/components/correlationIds/extID') };
}

const messagesOf = (names: string[]) => Object.fromEntries(names.map((name) => [name, ref(`#/components/messages/${name}`)]));
const requestNames = Object.keys(COMMANDS).map((name) => `${name}Request`);
const answerNames = Object.keys(MESSAGES).filter((name) => name.endsWith('Answer'));

const OPERATIONS: Record<string, JsonSchema> = Object.fromEntries(
  Object.entries(COMMANDS).map(([name, command]) => [
    name,
    {
      action: 'receive',
      channel: ref('#/channels/commands'),
      title: name,
      summary: command.summary,
      description: command.permissionError
        ? `${command.description} Permission refusals and unknown accounts: status ${PERMISSION_STATUS}, error ${command.permissionError}.`
        : command.description,
      messages: [ref(`#/channels/commands/messages/${name}Request`)],
      reply: {
        channel: ref('#/channels/answers'),
        messages: [command.answer, ...(command.otherAnswers ?? [])]
          .map((answer) => `${answer}Answer`)
          .concat('ErrorAnswer', ...(command.sync ? ['SyncTimeoutAnswer'] : []))
          .map((answer) => ref(`#/channels/answers/messages/${answer}`)),
      },
    },
  ]),
);
OPERATIONS.tradeEvent = {
  action: 'send',
  channel: ref('#/channels/tradeEvents'),
  title: 'trade:event',
  summary: 'Every committed trade event, to each connection subscribed to trade:event (see Subscribe)',
  messages: [ref('#/channels/tradeEvents/messages/TradeEvent')],
};

export const ASYNCAPI_DOCUMENT: JsonSchema = {
  asyncapi: '3.0.0',
  info: {
    title: 'Wallet service manager TCP API',
    version: '0.1.0',
    description: [
      'The back office API of the wallet service (ScaleTrade style): managers deposit, withdraw, grant and take back credit, reverse records, look records up and follow the trade:event stream.',
      `Framing: each message is one JSON object followed by \\r\\n (a bare \\n is accepted on input), at most ${TCP_MESSAGE_BYTES_MAX} bytes. A request is {command, extID, data, __token?}; its answer is {extID, status, data} with the same extID and an HTTP-like status. Answers to different requests on one connection may come in any order. Two requests in flight on one connection with the same extID are not both run (DUPLICATE_EXTID).`,
      'Amounts are JSON numbers, read exactly by their decimal text, with at most the currency\'s decimals.',
    ].join('\n\n'),
    license: { name: 'UNLICENSED (proprietary)' },
  },
  defaultContentType: 'application/json',
  servers: {
    manager: {
      host: '{host}:{port}',
      protocol: 'tcp',
      title: 'The manager port',
      description:
        'TLS when MANAGER_TLS_CERT_FILE and MANAGER_TLS_KEY_FILE are set (NODE_ENV=production requires it unless MANAGER_PLAINTEXT_ALLOWED=true), plain TCP otherwise. Not to be exposed beyond the back office network.',
      variables: { host: { default: '127.0.0.1', description: 'HOST' }, port: { default: '8093', description: 'MANAGER_PORT' } },
      security: [ref('#/components/securitySchemes/managerLogin')],
    },
  },
  channels: {
    commands: {
      address: null,
      title: 'Requests',
      description: 'What a client sends on its connection.',
      messages: messagesOf(requestNames),
    },
    answers: {
      address: null,
      title: 'Answers',
      description: 'The answer of each request, on the connection that sent it, correlated by extID.',
      messages: messagesOf(answerNames),
    },
    tradeEvents: {
      address: 'trade:event',
      title: 'trade:event',
      description: 'Events on the connections that subscribed to trade:event, in commit order per account.',
      messages: messagesOf(['TradeEvent']),
    },
  },
  operations: OPERATIONS,
  components: {
    schemas: SCHEMAS,
    messages: MESSAGES,
    correlationIds: { extID: { description: "The request's extID, repeated by its answer.", location: '$message.payload#/extID' } },
    securitySchemes: {
      managerLogin: {
        type: 'userPassword',
        description: 'Login {login, password} authenticates the connection and answers a token, which any request on any connection may carry as __token.',
      },
    },
  },
};
