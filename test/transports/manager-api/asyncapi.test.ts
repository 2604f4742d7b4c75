import net from 'node:net';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import Ajv, { type ValidateFunction } from 'ajv';
import { ManagerClient, type ManagerAnswer, type ManagerEvent } from '@wallet-service/client';
import { MANAGER_COMMANDS } from '../../../src/transports/manager-api/manager-commands';
import { TestApi } from '../../support/api';
import { eventually, managerClient, MANAGER_PASSWORD } from '../../support/manager';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * The AsyncAPI document of the manager TCP API, as served at /asyncapi.json: @asyncapi/parser (a
 * pinned devDependency) finds no error and no warning in it, and real traffic conforms to it: over
 * real connections every command is sent (successes and refusals), each request and each answer is
 * validated against its operation's messages, and every trade:event a subscriber receives against
 * the event message.
 */

/** Diagnostics below warning that the document keeps, each with its reason. */
const ACCEPTED_INFORMATION: Record<string, string> = {
  // the issue asks for AsyncAPI 3.0, the version that integrators' tools read today; 3.1 is a
  // compatible minor release that adds nothing this API uses
  'asyncapi-latest-version': 'the document is AsyncAPI 3.0.0 on purpose',
};
/** The Sync wait of this file's service, and an account lock wait longer than it (to provoke SYNC_TIMEOUT). */
const SYNC_TIMEOUT_MS = 2000;
const ACCOUNT_LOCK_TIMEOUT_MS = 8000;
const DOC_ID = 'asyncapi.json';

interface Reference {
  $ref: string;
}
interface AsyncApiDocument {
  asyncapi: string;
  channels: Record<string, { messages: Record<string, Reference> }>;
  operations: Record<
    string,
    { action: string; channel: Reference; messages: Reference[]; reply?: { channel: Reference; messages: Reference[] } }
  >;
  components: { messages: Record<string, { payload: { properties: { command?: { const: string } } } }> };
}

let target: TestService;
let api: TestApi;
let served: string;
let doc: AsyncApiDocument;
let ajv: Ajv;
const validators = new Map<string, ValidateFunction>();
/** operation → the answer messages that real answers matched. */
const exercised = new Map<string, Set<string>>();
const clients: ManagerClient[] = [];

beforeAll(async () => {
  target = await startTestService({
    MANAGER_SYNC_TIMEOUT_MS: String(SYNC_TIMEOUT_MS),
    ACCOUNT_LOCK_TIMEOUT_MS: String(ACCOUNT_LOCK_TIMEOUT_MS),
  });
  api = new TestApi(target);
  const response = await api.http.request('GET', '/asyncapi.json', null);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  served = response.text;
  doc = response.body as AsyncApiDocument;
  // AsyncAPI 3.0 payloads are AsyncAPI Schema, a superset of JSON Schema draft 07 (ajv's default)
  ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema(doc as object, DOC_ID);
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  api.close();
  await target.stop();
});

/** The component message a channel's message reference names: `#/channels/c/messages/M` → `M`. */
function messageName(reference: Reference): string {
  const [, channel, , message] = reference.$ref.replace(/^#\//, '').split('/');
  return doc.channels[channel!]!.messages[message!]!.$ref.replace('#/components/messages/', '');
}

function payloadValidator(message: string): ValidateFunction {
  let validate = validators.get(message);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOC_ID}#/components/messages/${message}/payload` });
    validators.set(message, validate);
  }
  return validate;
}

/** Which reply message of `operation` the answer matches; fails the test with every mismatch if none. */
function expectReply(operation: string, answer: unknown): string {
  const replies = doc.operations[operation]!.reply!.messages.map(messageName);
  const matched = replies.find((message) => payloadValidator(message)(answer));
  if (!matched) {
    const problems = replies.map((message) => `${message}: ${ajv.errorsText(payloadValidator(message).errors)}`);
    throw new Error(
      `${operation} answered ${JSON.stringify(answer)}, which matches none of its replies:\n${problems.join('\n')}`,
    );
  }
  const seen = exercised.get(operation) ?? new Set<string>();
  exercised.set(operation, seen.add(matched));
  return matched;
}

/** The receive operation of a command (its request message names the command). */
function operationOf(command: string): string {
  const found = Object.entries(doc.operations).find(
    ([, operation]) =>
      operation.action === 'receive' &&
      operation.messages.some(
        (message) => doc.components.messages[messageName(message)]!.payload.properties.command?.const === command,
      ),
  );
  if (!found) throw new Error(`the document has no operation for ${command}`);
  return found[0];
}

let nextExtId = 1;

/**
 * Sends a command and checks its real answer. The request is checked against the document first:
 * it must conform, unless `malformed` (then the document must refuse it too).
 */
async function exchange(
  client: ManagerClient,
  command: string,
  data: Record<string, unknown>,
  expected: { status: number; message: string; malformed?: boolean },
): Promise<ManagerAnswer> {
  const operation = operationOf(command);
  const extID = `x${nextExtId++}`;
  const request = payloadValidator(messageName(doc.operations[operation]!.messages[0]!));
  const conforms = request({ command, extID, data });
  expect({ command, data, conforms, errors: conforms ? null : ajv.errorsText(request.errors) }).toEqual({
    command,
    data,
    conforms: !expected.malformed,
    errors: expected.malformed ? expect.any(String) : null,
  });
  const answer = await client.command(command, data, { extID });
  expect(answer.status).toBe(expected.status);
  const matched = expectReply(operation, answer);
  expect(matched).toBe(expected.message);
  return answer;
}

async function connect(): Promise<ManagerClient> {
  const client = await ManagerClient.connect(target.service.managerPort);
  clients.push(client);
  return client;
}

/** A connection logged in through a checked Login, as a new manager of this role. */
async function loggedIn(role = 'SESSION_MANAGER'): Promise<ManagerClient> {
  const { client, login } = await managerClient(api, target.service.managerPort, role);
  clients.push(client);
  const connection = await connect();
  await exchange(
    connection,
    'Login',
    { login, password: MANAGER_PASSWORD },
    { status: 200, message: 'LoginResultAnswer' },
  );
  return connection;
}

it('passes @asyncapi/parser with no error and no warning', async () => {
  const diagnostics = await new Parser().validate(served);
  const listed = diagnostics.map(
    (diagnostic) =>
      `${DiagnosticSeverity[diagnostic.severity]} ${diagnostic.code}: ${diagnostic.message} at ${diagnostic.path.join('/')}`,
  );
  expect(listed.filter((line) => /^(Error|Warning) /.test(line))).toEqual([]);
  expect(
    diagnostics.map((diagnostic) => String(diagnostic.code)).filter((code) => !(code in ACCEPTED_INFORMATION)),
  ).toEqual([]);
  expect(doc.asyncapi).toBe('3.0.0');
});

it('documents every command the server runs, and Subscribe', () => {
  const documented = Object.values(doc.operations)
    .filter((operation) => operation.action === 'receive')
    .map(
      (operation) => doc.components.messages[messageName(operation.messages[0]!)]!.payload.properties.command!.const,
    );
  // the command table, Subscribe included: what the TCP server looks commands up in
  const run = Object.keys(MANAGER_COMMANDS);
  expect(documented.sort()).toEqual(run.sort());
});

it('describes the real answer to every command, the refusals and every trade:event a subscriber receives', async () => {
  const anonymous = await connect();
  await exchange(anonymous, 'Ping', {}, { status: 200, message: 'PongAnswer' });
  await exchange(
    anonymous,
    'Login',
    { login: 999_999, password: 'wrong-password' },
    { status: 401, message: 'ErrorAnswer' },
  );
  await exchange(anonymous, 'Subscribe', { channels: ['trade:event'] }, { status: 401, message: 'ErrorAnswer' });
  await exchange(anonymous, 'GetFinanceRecord', { order: 1 }, { status: 401, message: 'ErrorAnswer' });
  await exchange(anonymous, 'BalanceIn', { login: 1, amount: 1 }, { status: 401, message: 'ErrorAnswer' });

  const subscriber = await loggedIn('SESSION_VIEWER');
  await exchange(subscriber, 'Subscribe', { channels: ['trade:event'] }, { status: 200, message: 'SubscribedAnswer' });
  await exchange(subscriber, 'Subscribe', { chanels: ['trade:event'] }, { status: 200, message: 'SubscribedAnswer' });
  const events: ManagerEvent[] = [];
  subscriber.on('event', (event: ManagerEvent) => events.push(event));
  await exchange(
    subscriber,
    'CreditInSync',
    { login: 1, amount: 1, comment: 'viewer' },
    { status: 401, message: 'ErrorAnswer' },
  );

  const manager = await loggedIn();
  const login = await api.createAccount();
  const deposit = await exchange(
    manager,
    'BalanceIn',
    { login, amount: 100 },
    { status: 200, message: 'AcknowledgementAnswer' },
  );
  await exchange(
    manager,
    'BalanceIn',
    { login, amount: 105, order: deposit.data.order },
    { status: 200, message: 'AcknowledgementAnswer' },
  );
  await exchange(
    manager,
    'BalanceInSync',
    { login, amount: '50.25', comment: 'sync', referenceId: `ref-${login}` },
    { status: 200, message: 'TradeEventDataAnswer' },
  );
  await exchange(
    manager,
    'BalanceInSync',
    { login, amount: '50.25', comment: 'sync', referenceId: `ref-${login}` },
    { status: 200, message: 'TradeEventDataAnswer' },
  );
  await exchange(manager, 'BalanceIn', { login, amount: -1 }, { status: 400, message: 'ErrorAnswer' });
  await exchange(
    manager,
    'BalanceIn',
    { login: login + 1_000_000, amount: 1 },
    { status: 401, message: 'ErrorAnswer' },
  );
  const withdrawal = await exchange(
    manager,
    'BalanceOut',
    { login, amount: -10 },
    { status: 200, message: 'AcknowledgementAnswer' },
  );
  await exchange(manager, 'BalanceOutSync', { login, amount: -10.5 }, { status: 200, message: 'TradeEventDataAnswer' });
  await exchange(manager, 'BalanceOutSync', { login, amount: -1_000_000 }, { status: 400, message: 'ErrorAnswer' });
  await exchange(manager, 'CreditIn', { login, amount: 20 }, { status: 400, message: 'ErrorAnswer', malformed: true });
  const credit = await exchange(
    manager,
    'CreditIn',
    { login, amount: 20, comment: 'bonus' },
    { status: 200, message: 'AcknowledgementAnswer' },
  );
  const creditSync = await exchange(
    manager,
    'CreditInSync',
    { login, amount: 30, comment: 'bonus', open_time: 1_700_000_000 },
    { status: 200, message: 'TradeEventDataAnswer' },
  );
  await exchange(manager, 'CreditOut', { login, amount: -5 }, { status: 200, message: 'AcknowledgementAnswer' });
  await exchange(manager, 'CreditOutSync', { login, amount: -5 }, { status: 200, message: 'TradeEventDataAnswer' });
  await exchange(manager, 'CreditOut', { login, amount: -1_000 }, { status: 400, message: 'ErrorAnswer' });
  await exchange(
    manager,
    'DeleteBalance',
    { order: credit.data.order },
    { status: 200, message: 'AcknowledgementAnswer' },
  );
  await exchange(
    manager,
    'DeleteBalanceSync',
    { order: withdrawal.data.order },
    { status: 200, message: 'TradeEventDataAnswer' },
  );
  await exchange(
    manager,
    'DeleteBalanceSync',
    { order: creditSync.data.order },
    { status: 400, message: 'ErrorAnswer' },
  );
  await exchange(
    manager,
    'DeleteBalanceSync',
    { order: 'one' },
    { status: 400, message: 'ErrorAnswer', malformed: true },
  );
  await exchange(
    manager,
    'GetFinanceRecord',
    { order: deposit.data.order },
    { status: 200, message: 'TradeEventDataAnswer' },
  );
  await exchange(manager, 'GetFinanceRecord', { order: 999_999_999 }, { status: 404, message: 'ErrorAnswer' });
  await exchange(manager, 'GetTransactionsByLogin', { login }, { status: 200, message: 'TransactionsAnswer' });
  await exchange(
    manager,
    'GetTransactionsByLogin',
    { login: login + 1_000_000 },
    { status: 404, message: 'ErrorAnswer' },
  );

  // a command no operation describes is refused with the error shape
  const unknown = await manager.command('Launch', {});
  expect(payloadValidator('ErrorAnswer')(unknown)).toBe(true);

  // a held account row: the Sync command times out, and a second request with its extID is refused;
  // GetFinanceRecord of a named order answers its pending state, then its refusal
  let refusedOrder = 0;
  const blocker = await target.sql.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
  try {
    // sent raw: the client would match both answers to the first request with this extID
    const held: ManagerAnswer[] = [];
    manager.on('answer', (answer: ManagerAnswer) => answer.extID === 'held' && held.push(answer));
    manager.sendRaw(`${JSON.stringify({ command: 'BalanceInSync', extID: 'held', data: { login, amount: 1 } })}\r\n`);
    manager.sendRaw(`${JSON.stringify({ command: 'Ping', extID: 'held', data: {} })}\r\n`);
    // a withdrawal the balance will not cover, timed out too: refused once the row is released
    const uncovered = manager.command('BalanceOutSync', { login, amount: -1_000_000 });
    await eventually(() => held.length === 2, SYNC_TIMEOUT_MS + 5000, 'both answers');
    expect(held.map((answer) => [answer.status, answer.data.error])).toEqual([
      [409, 'DUPLICATE_EXTID'],
      [504, 'SYNC_TIMEOUT'],
    ]);
    expect(expectReply('Ping', held[0])).toBe('ErrorAnswer');
    expect(expectReply('BalanceInSync', held[1])).toBe('SyncTimeoutAnswer');
    refusedOrder = (await uncovered).data.order as number;
    expect(expectReply('BalanceOutSync', await uncovered)).toBe('SyncTimeoutAnswer');
    await exchange(
      manager,
      'GetFinanceRecord',
      { order: held[1]!.data.order },
      { status: 200, message: 'FinanceRequestPendingAnswer' },
    );
  } finally {
    await blocker.query('ROLLBACK');
    blocker.release();
  }
  await eventually(
    async () => (await manager.command('GetFinanceRecord', { order: refusedOrder })).data.state !== 10,
    5000,
    'the refusal',
  );
  await exchange(
    manager,
    'GetFinanceRecord',
    { order: refusedOrder },
    { status: 200, message: 'FinanceRequestRefusedAnswer' },
  );

  // a line that is no message: answered with extID null, then the connection closes
  const raw = net.connect(target.service.managerPort, '127.0.0.1');
  const received: Buffer[] = [];
  raw.on('data', (chunk: Buffer) => received.push(chunk));
  raw.on('error', () => undefined);
  await new Promise<void>((resolve) => raw.once('close', () => resolve()).write('hello\r\n'));
  expect(payloadValidator('ErrorAnswer')(JSON.parse(Buffer.concat(received).toString('utf8')))).toBe(true);

  // wallet trades reach subscribers too, with their stake, payout and key
  const player = await api.player('100');
  const trade = {
    token: player.token,
    currency: 'USD',
    externalTradeType: 'asyncapi',
    externalTradeId: `t-${player.login}`,
  };
  await api.wallet.call('opentrade', { ...trade, amount: '10' });
  await api.wallet.call('closetrade', { ...trade, amount: '19.5' });

  await eventually(
    () => events.filter((event) => event.data.login === player.login).length >= 3,
    5000,
    'the wallet trade events',
  );
  expect(events.filter((event) => event.data.login === login).map((event) => event.type)).toEqual(
    expect.arrayContaining(['EV_RECORD_ADD', 'EV_RECORD_UPDATE', 'EV_RECORD_DELETE']),
  );
  const eventMessage = messageName(doc.operations.tradeEvent!.messages[0]!);
  for (const event of events) {
    const validate = payloadValidator(eventMessage);
    expect({ event, valid: validate(event), errors: validate.errors }).toEqual({ event, valid: true, errors: null });
  }
  exercised.set('tradeEvent', new Set([eventMessage]));

  // every operation was exercised, and every answer message was met
  expect([...exercised.keys()].sort()).toEqual(Object.keys(doc.operations).sort());
  const met = new Set([...exercised.values()].flatMap((messages) => [...messages]));
  expect(Object.keys(doc.channels.answers!.messages).filter((message) => !met.has(message))).toEqual([]);
});
