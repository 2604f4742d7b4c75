import { z } from 'zod';
import { MANAGER_FINANCE_KINDS, type ManagerFinanceFamily } from '../../core/balance-operations/operation-kinds';
import {
  answerSchema,
  EVENT_AND_REFUSAL_MESSAGES,
  ref,
  SCHEMAS,
  schemaRef,
  type JsonSchema,
} from './asyncapi-components';
import {
  STATE_DELETE_REQUEST,
  STATE_OPEN_REQUEST,
  STATE_REQUEST_REFUSED,
  STATE_UPDATE_REQUEST,
  TRANSACTIONS_PER_ANSWER_MAX,
} from './finance-commands';
import { MANAGER_COMMANDS, type ManagerCommandName } from './manager-commands';
import { PERMISSION_STATUS, SYNC_TIMEOUT_STATUS } from './manager-errors';
import { envelopeSchema, IDLE_TIMEOUT_MS, TCP_MESSAGE_BYTES_MAX, UNAUTHENTICATED_IDLE_TIMEOUT_MS } from './tcp-server';

/**
 * The AsyncAPI 3.0 document of the manager TCP API, served at /asyncapi.json. Each command's message
 * is generated from the command table (manager-commands.ts): the zod schemas that validate it (the
 * envelope's and the command's data), its permission refusals, and whether it is Sync; what it
 * answers is described here, and the answers' shapes in asyncapi-components.ts. A test validates
 * it with @asyncapi/parser and checks real traffic against it.
 */

/** What the document says about one command, beyond its row of the command table. */
interface CommandDoc {
  summary: string;
  description: string;
  /** The component schema of the `data` of its success answer. */
  answer: string;
  /** Other shapes a success answer may have (component schemas). */
  otherAnswers?: string[];
}

const FAMILY_DOCS: Record<ManagerFinanceFamily, string> = {
  BalanceIn: 'Deposit to the balance bucket, amount > 0',
  BalanceOut: 'Withdrawal from the balance bucket, amount < 0 (NOT_ENOUGH_MONEY beyond it)',
  CreditIn: 'Bonus credit to the credit bucket (tradable, never withdrawable), amount > 0, comment required',
  CreditOut: 'Credit taken back from the credit bucket, amount < 0 (NOT_ENOUGH_MONEY beyond it)',
};

const FINANCE_RULES =
  'Allowed for SESSION_MANAGER, SESSION_ADMIN and SESSION_DEALER. A new finance record gets a new order; ' +
  'with `order` of an existing record (same login and cmd) the difference is posted and the record updated. ' +
  '`referenceId` applies the command at most once (a repeat answers the first outcome; other content: DUPLICATE).';

function financeCommandDoc(family: ManagerFinanceFamily): CommandDoc {
  return {
    summary: `${FAMILY_DOCS[family]} (cmd ${MANAGER_FINANCE_KINDS[family].cmd})`,
    description:
      `${FINANCE_RULES} Answers once the operation is durable with an acknowledgement ` +
      `(state ${STATE_OPEN_REQUEST} for a new record, ${STATE_UPDATE_REQUEST} for an update).`,
    answer: 'Acknowledgement',
  };
}

function syncFinanceCommandDoc(family: ManagerFinanceFamily): CommandDoc {
  return {
    summary: `${FAMILY_DOCS[family]} (cmd ${MANAGER_FINANCE_KINDS[family].cmd}), answered with its own trade:event`,
    description:
      `${FINANCE_RULES} Answers when the trade:event that this command's own transaction wrote is broadcast, ` +
      "with that event's data (never another command's event); " +
      `SYNC_TIMEOUT (${SYNC_TIMEOUT_STATUS}) when it does not come within MANAGER_SYNC_TIMEOUT_MS, ` +
      'naming the order the command takes (the operation is not undone: GetFinanceRecord with that order ' +
      'answers its record, its pending state or its refusal, for ever; ' +
      'a retry with the same referenceId is applied under that order).',
    answer: 'TradeEventData',
  };
}

const LOGIN_DOC =
  'Answers a session token and the role; the connection keeps the session, and the token may be sent as ' +
  `__token on any request of any connection. A connection must log in (or send a valid __token) within ` +
  `${UNAUTHENTICATED_IDLE_TIMEOUT_MS / 1000} s of connecting. ` +
  'Failed logins are slowed down and limited per login and per address (TOO_MANY_REQUESTS).';

const DELETE_BALANCE_DOC =
  "A new journal entry with the opposite amounts on the same books; the record's state becomes 6 and " +
  'EV_RECORD_DELETE is broadcast. Once only (a repeat answers the first outcome); refused with nothing moved ' +
  `if a bucket would go negative. Acknowledged with state ${STATE_DELETE_REQUEST}.`;

const GET_FINANCE_RECORD_DOC =
  'Needs a session. Every order the service has named (in an acknowledgement, a Sync answer or a SYNC_TIMEOUT) ' +
  'resolves for ever: the record (TradeEventData, state 3 or 6; for an order whose command was applied as ' +
  "another order, because its referenceId had been applied there, that order's record); " +
  `while the command of a SYNC_TIMEOUT's order has not ended, state ${STATE_OPEN_REQUEST} ` +
  '(FinanceRequestPending: ask again); when it was refused after its answer, ' +
  `state ${STATE_REQUEST_REFUSED} with the refusal's error and message (FinanceRequestRefused: nothing was ` +
  'applied; a retry with the same referenceId applies it under this order, which then answers the record). ' +
  'NOT_FOUND only for an order the service never named.';

const SUBSCRIBE_DOC =
  'Needs a session (any role). The connection then receives every event of those channels ' +
  '(the tradeEvent operation) from every instance, in commit order per account, none lost while it stays open. ' +
  'The spelling `chanels` is accepted too (docs/manager-api.md#subscribe). A subscribed connection is not ' +
  `closed for idling (others are after ${IDLE_TIMEOUT_MS / 60_000} minutes of silence).`;

/** Every command of the command table, in the document's order. */
const COMMANDS: Record<ManagerCommandName, CommandDoc> = {
  Ping: { summary: 'Liveness', description: 'Needs no session; its data is ignored.', answer: 'Pong' },
  Login: { summary: 'Authenticates the connection', description: LOGIN_DOC, answer: 'LoginResult' },
  BalanceIn: financeCommandDoc('BalanceIn'),
  BalanceInSync: syncFinanceCommandDoc('BalanceIn'),
  CreditIn: financeCommandDoc('CreditIn'),
  CreditInSync: syncFinanceCommandDoc('CreditIn'),
  BalanceOut: financeCommandDoc('BalanceOut'),
  BalanceOutSync: syncFinanceCommandDoc('BalanceOut'),
  CreditOut: financeCommandDoc('CreditOut'),
  CreditOutSync: syncFinanceCommandDoc('CreditOut'),
  DeleteBalance: { summary: 'Reverses a finance record', description: DELETE_BALANCE_DOC, answer: 'Acknowledgement' },
  DeleteBalanceSync: {
    summary: 'Reverses a finance record, answered with its own EV_RECORD_DELETE event',
    description: 'As DeleteBalance, answered with the data of the event its own transaction wrote, or SYNC_TIMEOUT.',
    answer: 'TradeEventData',
  },
  GetFinanceRecord: {
    summary:
      'A finance record as it stands, or what became of an order the service named (to resolve an uncertain outcome)',
    description: GET_FINANCE_RECORD_DOC,
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
    description: SUBSCRIBE_DOC,
    answer: 'Subscribed',
  },
};
const COMMAND_NAMES = Object.keys(COMMANDS) as ManagerCommandName[];

/** The JSON Schema of what a zod schema accepts, in the AsyncAPI Schema dialect (a superset of draft 07). */
function payloadSchema(schema: z.ZodType): JsonSchema {
  const options = { io: 'input', unrepresentable: 'any', target: 'draft-7' } as const;
  const { $schema: _dialect, ...generated } = z.toJSONSchema(schema, options) as JsonSchema;
  return generated;
}

/** A request message: the envelope with this command's name and data. */
function requestPayload(name: ManagerCommandName): JsonSchema {
  const { data } = MANAGER_COMMANDS[name];
  // Ping's data is the envelope's own: any object, optional, ignored
  return payloadSchema(envelopeSchema.extend({ command: z.literal(name), ...(data ? { data } : {}) }));
}

const successAnswers = (name: ManagerCommandName) => [COMMANDS[name].answer, ...(COMMANDS[name].otherAnswers ?? [])];

const MESSAGES: Record<string, JsonSchema> = { ...EVENT_AND_REFUSAL_MESSAGES };
for (const answer of new Set(COMMAND_NAMES.flatMap(successAnswers))) {
  MESSAGES[`${answer}Answer`] = {
    name: `${answer}Answer`,
    title: `A successful answer: ${answer}`,
    payload: answerSchema({ const: 200 }, schemaRef(answer)),
    correlationId: ref('#/components/correlationIds/extID'),
  };
}
for (const name of COMMAND_NAMES) {
  MESSAGES[`${name}Request`] = {
    name,
    title: name,
    summary: COMMANDS[name].summary,
    payload: requestPayload(name),
    correlationId: ref('#/components/correlationIds/extID'),
  };
}

const messagesOf = (names: string[]) =>
  Object.fromEntries(names.map((name) => [name, ref(`#/components/messages/${name}`)]));
const requestNames = COMMAND_NAMES.map((name) => `${name}Request`);
const answerNames = Object.keys(MESSAGES).filter((name) => name.endsWith('Answer'));

/** The operation of one command: its request, and its answers (SYNC_TIMEOUT for a Sync command). */
function commandOperation(name: ManagerCommandName): JsonSchema {
  const { permission, sync } = MANAGER_COMMANDS[name];
  const { summary, description } = COMMANDS[name];
  const refusals = permission.refusedAs
    ? ` Permission refusals and unknown accounts: status ${PERMISSION_STATUS}, error ${permission.refusedAs}.`
    : '';
  const answers = successAnswers(name)
    .map((answer) => `${answer}Answer`)
    .concat('ErrorAnswer', ...(sync ? ['SyncTimeoutAnswer'] : []));
  return {
    action: 'receive',
    channel: ref('#/channels/commands'),
    title: name,
    summary,
    description: `${description}${refusals}`,
    messages: [ref(`#/channels/commands/messages/${name}Request`)],
    reply: {
      channel: ref('#/channels/answers'),
      messages: answers.map((answer) => ref(`#/channels/answers/messages/${answer}`)),
    },
  };
}

const OPERATIONS: Record<string, JsonSchema> = Object.fromEntries(
  COMMAND_NAMES.map((name) => [name, commandOperation(name)]),
);
OPERATIONS.tradeEvent = {
  action: 'send',
  channel: ref('#/channels/tradeEvents'),
  title: 'trade:event',
  summary: 'Every committed trade event, to each connection subscribed to trade:event (see Subscribe)',
  messages: [ref('#/channels/tradeEvents/messages/TradeEvent')],
};

const API_DESCRIPTION = [
  'The back office API of the wallet service (ScaleTrade style): managers deposit, withdraw, grant and take back ' +
    'credit, reverse records, look records up and follow the trade:event stream.',
  'Framing: each message is one JSON object followed by \\r\\n (a bare \\n is accepted on input), ' +
    `at most ${TCP_MESSAGE_BYTES_MAX} bytes. A request is {command, extID, data, __token?}; ` +
    'its answer is {extID, status, data} with the same extID and an HTTP-like status. ' +
    'Answers to different requests on one connection may come in any order. ' +
    'Two requests in flight on one connection with the same extID are not both run (DUPLICATE_EXTID).',
  "Amounts are JSON numbers, read exactly by their decimal text, with at most the currency's decimals.",
].join('\n\n');

const MANAGER_SERVER = {
  host: '{host}:{port}',
  protocol: 'tcp',
  title: 'The manager port',
  description:
    'TLS when MANAGER_TLS_CERT_FILE and MANAGER_TLS_KEY_FILE are set (NODE_ENV=production requires it unless ' +
    'MANAGER_PLAINTEXT_ALLOWED=true), plain TCP otherwise. Not to be exposed beyond the back office network.',
  variables: {
    host: { default: '127.0.0.1', description: 'HOST' },
    port: { default: '8093', description: 'MANAGER_PORT' },
  },
  security: [ref('#/components/securitySchemes/managerLogin')],
};

export const ASYNCAPI_DOCUMENT: JsonSchema = {
  asyncapi: '3.0.0',
  info: {
    title: 'Wallet service manager TCP API',
    version: '0.1.0',
    description: API_DESCRIPTION,
    license: { name: 'UNLICENSED (proprietary)' },
  },
  defaultContentType: 'application/json',
  servers: { manager: MANAGER_SERVER },
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
    correlationIds: {
      extID: { description: "The request's extID, repeated by its answer.", location: '$message.payload#/extID' },
    },
    securitySchemes: {
      managerLogin: {
        type: 'userPassword',
        description:
          'Login {login, password} authenticates the connection and answers a token, ' +
          'which any request on any connection may carry as __token.',
      },
    },
  },
};
