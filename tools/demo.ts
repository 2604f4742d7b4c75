/**
 * `npm run demo`: a guided walk through one user's life against an ALREADY RUNNING service
 * (`npm start` in another terminal). Every request is printed (method, path, body, and for wallet
 * calls the v2 signature headers) with the answer and one line on what just happened; every
 * answer is checked, and the demo exits non-zero at the first one that is not as expected.
 *
 * The last part is the back office's manager TCP API: a manager is created, logs in, a second
 * connection subscribes to trade:event and prints every event, then a BalanceInSync deposit, a plain
 * BalanceOut withdrawal and a GetFinanceRecord; every line sent and received is printed.
 *
 *   npm run demo                               http://127.0.0.1:8080, keys from ./.data/secrets.json
 *   npm run demo -- --url http://host:8080     keys from WALLET_SECRETS, ADMIN_API_KEY, OPERATOR_API_KEY
 *   npm run demo -- --manager-port 9093        manager TCP API port (env MANAGER_PORT, default 8093), on the URL's host
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { HttpJsonClient, type HttpJsonResponse } from '@wallet-service/client';
import { ManagerClient, type ManagerAnswer, type ManagerEvent } from '@wallet-service/client';
import { signV2 } from '@wallet-service/client';
import { withTimeout } from './lib/concurrency';

const DEFAULT_URL = 'http://127.0.0.1:8080';
const DEFAULT_MANAGER_PORT = 8093;
const DEFAULT_DATA_DIR = './.data';
const SECRETS_FILE = 'secrets.json';
/** One request of the demo may take this long before we call the service unresponsive. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Logins tried after the first (time-based) one is taken, before giving up. */
const LOGIN_ATTEMPTS_MAX = 20;
const NONCE_BYTES = 16;
const CURRENCY = 'USD';
/** Answers longer than this are printed one item per line rather than on one line. */
const ONE_LINE_ANSWER_CHARS_MAX = 300;
/** Random bytes of the demo manager's password (never printed: the manager may move money). */
const MANAGER_PASSWORD_BYTES = 18;
const TRADE_EVENT = 'trade:event';

interface Credentials {
  walletSecret: string;
  adminApiKey: string;
  operatorApiKey: string;
  /** Where they came from, for the header (never the keys themselves). */
  source: string;
}

/** What `npm start` writes to DATA_DIR/secrets.json when it generates secrets (src/config.ts). */
interface SecretsFile {
  walletSecrets?: string[];
  operatorApiKey?: string;
  adminApiKey?: string;
}

class DemoFailure extends Error {}

/** Environment first (as the service reads it), then the file `npm start` generated; each key on its own. */
function loadCredentials(env: NodeJS.ProcessEnv): Credentials {
  const file = path.resolve(env.DATA_DIR || DEFAULT_DATA_DIR, SECRETS_FILE);
  const stored: SecretsFile = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SecretsFile) : {};
  const walletSecret =
    env.WALLET_SECRETS?.split(',')
      .map((part) => part.trim())
      .find(Boolean) ?? stored.walletSecrets?.[0];
  const adminApiKey = env.ADMIN_API_KEY || stored.adminApiKey;
  const operatorApiKey = env.OPERATOR_API_KEY || stored.operatorApiKey;
  if (!walletSecret || !adminApiKey || !operatorApiKey) {
    throw new DemoFailure(
      `missing keys: set WALLET_SECRETS, ADMIN_API_KEY and OPERATOR_API_KEY, or point DATA_DIR at the directory ` +
        `where \`npm start\` wrote ${SECRETS_FILE} (looked for ${file})`,
    );
  }
  const fromEnv = [env.WALLET_SECRETS, env.ADMIN_API_KEY, env.OPERATOR_API_KEY].filter(Boolean).length;
  const source = fromEnv === 3 ? 'the environment' : fromEnv === 0 ? file : `the environment and ${file}`;
  return { walletSecret, adminApiKey, operatorApiKey, source };
}

/** A check of one answer: undefined when it is as expected, else what is wrong. */
type Check = (response: HttpJsonResponse) => string | undefined;

function expectAnswer(status: number, fields: Record<string, unknown> = {}): Check {
  return (response) => {
    if (response.status !== status) return `expected HTTP ${status}, got ${response.status}`;
    const body = (response.body ?? {}) as Record<string, unknown>;
    const wrong = Object.entries(fields).filter(([name, value]) => body[name] !== value);
    return wrong.length === 0
      ? undefined
      : wrong
          .map(([name, value]) => `${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(body[name])}`)
          .join('; ');
  };
}

/** Sends requests and prints them with their answers, numbered, each after its explanation. */
class Walkthrough {
  private step = 0;

  constructor(
    private readonly http: HttpJsonClient,
    private readonly credentials: Credentials,
  ) {}

  /** `printed` replaces the body in the output when the body holds a secret (a password). */
  admin(
    explain: string,
    method: string,
    path: string,
    body: unknown,
    check: Check,
    printed: unknown = body,
  ): Promise<HttpJsonResponse> {
    return this.bearer(explain, method, path, body, this.credentials.adminApiKey, '<ADMIN_API_KEY>', check, printed);
  }

  /** A numbered step that is not an HTTP request (the manager part prints its own lines). */
  beginStep(explain: string): void {
    this.step += 1;
    console.log(`\n${this.step}. ${explain}`);
  }

  get stepNumber(): number {
    return this.step;
  }

  operator(explain: string, method: string, path: string, body: unknown, check: Check): Promise<HttpJsonResponse> {
    return this.bearer(explain, method, path, body, this.credentials.operatorApiKey, '<OPERATOR_API_KEY>', check);
  }

  /** Signs like the trading platform: HMAC-SHA256 over method, path, timestamp, nonce and the body's SHA-256. */
  async wallet(
    explain: string,
    action: string,
    fields: Record<string, unknown>,
    check: Check,
  ): Promise<HttpJsonResponse> {
    const path = `/wallet/${action}`;
    const body = JSON.stringify(fields);
    const headers = signV2(
      this.credentials.walletSecret,
      'POST',
      path,
      body,
      Math.floor(Date.now() / 1000),
      randomBytes(NONCE_BYTES).toString('hex'),
    );
    this.announce(explain, 'POST', path, headers, body);
    return this.send('POST', path, body, headers, check);
  }

  /** A GET whose answer decides what comes next rather than failing the demo (health, login look-up). */
  async probe(explain: string, path: string, withAdminKey: boolean): Promise<HttpJsonResponse> {
    this.announce(explain, 'GET', path, withAdminKey ? { Authorization: 'Bearer <ADMIN_API_KEY>' } : {}, null);
    const headers: Record<string, string> = withAdminKey
      ? { Authorization: `Bearer ${this.credentials.adminApiKey}` }
      : {};
    return this.send('GET', path, null, headers, () => undefined);
  }

  private async bearer(
    explain: string,
    method: string,
    path: string,
    body: unknown,
    key: string,
    keyName: string,
    check: Check,
    printed: unknown = body,
  ): Promise<HttpJsonResponse> {
    const text = body === undefined ? null : JSON.stringify(body);
    // The key's name, not the key: a demo's output gets pasted into chats and tickets.
    this.announce(
      explain,
      method,
      path,
      { Authorization: `Bearer ${keyName}` },
      printed === undefined ? null : JSON.stringify(printed),
    );
    return this.send(method, path, text, { Authorization: `Bearer ${key}` }, check);
  }

  private announce(
    explain: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | null,
  ): void {
    this.step += 1;
    console.log(`\n${this.step}. ${explain}`);
    console.log(`   → ${method} ${path}`);
    for (const [name, value] of Object.entries(headers)) console.log(`     ${name}: ${value}`);
    if (body !== null) console.log(`     ${body}`);
  }

  private async send(
    method: string,
    path: string,
    body: string | null,
    headers: Record<string, string>,
    check: Check,
  ): Promise<HttpJsonResponse> {
    const response = await withTimeout(
      this.http.request(method, path, body, headers),
      REQUEST_TIMEOUT_MS,
      `${method} ${path}`,
    );
    printAnswer(response);
    const problem = check(response);
    if (problem) throw new DemoFailure(`step ${this.step} (${method} ${path}) did not answer as expected: ${problem}`);
    return response;
  }
}

function printAnswer(response: HttpJsonResponse): void {
  const items = (response.body as { items?: unknown } | null)?.items;
  if (response.text.length <= ONE_LINE_ANSWER_CHARS_MAX || !Array.isArray(items)) {
    console.log(`   ← ${response.status} ${response.text}`);
    return;
  }
  const rest = { ...(response.body as Record<string, unknown>), items: `[${items.length} items, below]` };
  console.log(`   ← ${response.status} ${JSON.stringify(rest)}`);
  for (const item of items) console.log(`       ${JSON.stringify(item)}`);
}

/** A login unlikely to be taken (seconds since 1970), checked and bumped until free. */
async function createAccount(walk: Walkthrough): Promise<number> {
  const first = Math.floor(Date.now() / 1000);
  for (let login = first; login < first + LOGIN_ATTEMPTS_MAX; login += 1) {
    const existing = await walk.probe(
      `Is login ${login} free? (404 ACCOUNT_NOT_FOUND means yes)`,
      `/admin/accounts/${login}`,
      true,
    );
    if (existing.status === 200) continue; // taken: try the next one
    if (existing.status !== 404)
      throw new DemoFailure(`looking up login ${login} answered HTTP ${existing.status}: ${existing.text}`);
    await walk.admin(
      'Create the account: one login in one currency, with three empty buckets (balance, credit, held).',
      'POST',
      '/admin/accounts',
      { login, currency: CURRENCY, name: 'Demo user' },
      expectAnswer(201, { currency: CURRENCY, balance: '0.00', credit: '0.00', held: '0.00' }),
    );
    return login;
  }
  throw new DemoFailure(`logins ${first}..${first + LOGIN_ATTEMPTS_MAX - 1} are all taken`);
}

async function fundAccount(walk: Walkthrough, login: number): Promise<void> {
  await walk.admin(
    'Deposit 100.00 (admin "add"): cash into the balance bucket, withdrawable. The referenceId makes a retry harmless.',
    'POST',
    '/admin/balance',
    {
      accountId: login,
      operation: 'add',
      amount: '100.00',
      comment: 'demo deposit',
      referenceId: `demo-${login}-deposit`,
    },
    expectAnswer(200),
  );
  await walk.admin(
    'Grant 20.00 credit (bonus): it can be staked but never withdrawn.',
    'POST',
    '/admin/balance',
    {
      accountId: login,
      operation: 'credit',
      amount: '20.00',
      comment: 'demo bonus',
      referenceId: `demo-${login}-credit`,
    },
    expectAnswer(200),
  );
}

/** The operator launches the platform for the user; the platform trades the launch token for a wallet token. */
async function launchAndAuthenticate(walk: Walkthrough, login: number): Promise<string> {
  const launch = await walk.operator(
    "The operator's backend launches the trading platform for this user: a single-use launch token, valid 5 minutes.",
    'POST',
    '/operator/launch-tokens',
    { login },
    expectAnswer(201),
  );
  const launchToken = (launch.body as { token: string }).token;
  const auth = await walk.wallet(
    'The platform exchanges the launch token for a wallet token (every wallet call is signed: see the X-* headers). Balance = balance + credit.',
    'authenticate',
    { token: launchToken },
    expectAnswer(200, { status: 'Ok', userId: String(login), currency: CURRENCY, balance: '120.00' }),
  );
  return (auth.body as { walletToken: string }).walletToken;
}

async function trade(walk: Walkthrough, walletToken: string, login: number): Promise<void> {
  const tradeKey = { externalTradeType: 'demo', externalTradeId: `demo-${login}-1` };
  await walk.wallet(
    'getbalance: what the platform shows the user (funds available to stake).',
    'getbalance',
    { token: walletToken, currency: CURRENCY },
    expectAnswer(200, { status: 'Ok', balance: '120.00' }),
  );
  await walk.wallet(
    'opentrade 30.00: the stake moves to "held" (taken from the cash balance first, then from credit).',
    'opentrade',
    { token: walletToken, amount: '30.00', currency: CURRENCY, ...tradeKey },
    expectAnswer(200, { status: 'Ok', balance: '90.00' }),
  );
  await walk.wallet(
    'closetrade 55.00, a win: the stake leaves "held" and the payout (stake 30.00 + profit 25.00) is paid to the balance.',
    'closetrade',
    { token: walletToken, amount: '55.00', currency: CURRENCY, ...tradeKey },
    expectAnswer(200, { status: 'Ok', balance: '145.00' }),
  );
}

async function showAccount(walk: Walkthrough, login: number): Promise<void> {
  await walk.admin(
    'The back office view: balance 125.00 (withdrawable), credit 20.00, nothing held; 145.00 available to trade.',
    'GET',
    `/admin/accounts/${login}`,
    undefined,
    expectAnswer(200, {
      balance: '125.00',
      credit: '20.00',
      held: '0.00',
      available: '145.00',
      withdrawable: '125.00',
    }),
  );
  const statement = await walk.admin(
    "The statement: every ledger entry of the account, newest first; each entry's postings sum to zero with a system book (cash, bonus, house).",
    'GET',
    `/admin/accounts/${login}/transactions`,
    undefined,
    expectStatement(['trade_close', 'trade_open', 'credit', 'add']),
  );
  printStatement(statement);
}

function expectStatement(operations: string[]): Check {
  return (response) => {
    if (response.status !== 200) return `expected HTTP 200, got ${response.status}`;
    const items = (response.body as { items?: { operation?: string }[] }).items ?? [];
    const seen = items.map((item) => item.operation);
    return JSON.stringify(seen) === JSON.stringify(operations)
      ? undefined
      : `expected entries ${operations.join(', ')}, got ${seen.join(', ')}`;
  };
}

interface StatementItem {
  version: number;
  operation: string;
  balanceChange: string;
  creditChange: string;
  heldChange: string;
  balanceAfter: string;
  creditAfter: string;
  heldAfter: string;
}

/** The same entries as a table, oldest first, the way a statement reads. */
function printStatement(response: HttpJsonResponse): void {
  const items = [...(response.body as { items: StatementItem[] }).items].reverse();
  const header = ['#', 'operation', 'balance Δ', 'credit Δ', 'held Δ', 'balance', 'credit', 'held'];
  const rows = items.map((item) => [
    String(item.version),
    item.operation,
    item.balanceChange,
    item.creditChange,
    item.heldChange,
    item.balanceAfter,
    item.creditAfter,
    item.heldAfter,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  console.log(`\n   Statement, oldest first:\n     ${line(header)}`);
  for (const row of rows) console.log(`     ${line(row)}`);
}

// ---------------------------------------------------------------------------------------------
// The manager TCP API (back office connectors: CRM, payment gateway, cashier)

/** Shortens session tokens in printed lines, the way docs/manager-api.md shows them ("cf07…ffea"). */
function shortenTokens(line: string): string {
  return line.replace(/"(token|__token)":"([0-9a-f]{4})[0-9a-f]{56}([0-9a-f]{4})"/g, '"$1":"$2…$3"');
}

/** Prints every line a connection receives, as received (tokens shortened), labelled with the connection. */
function printReceivedLines(client: ManagerClient, label: string): void {
  let buffer = '';
  // Registered after ManagerClient's own listener: an answer is printed before the code awaiting it resumes.
  client.socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      const arrow = line.startsWith('{"event"') ? '⇠' : '←';
      if (line.length > 0) console.log(`   ${arrow} [${label}] ${shortenTokens(line)}`);
    }
  });
}

/** The events a subscribed connection received, and a bounded wait for the one of an order. */
class EventLog {
  readonly events: ManagerEvent[] = [];
  private readonly waiting = new Map<unknown, (event: ManagerEvent) => void>();

  constructor(client: ManagerClient) {
    client.on('event', (event: ManagerEvent) => {
      this.events.push(event);
      this.waiting.get(event.data.order)?.(event);
      this.waiting.delete(event.data.order);
    });
  }

  waitFor(order: unknown): Promise<ManagerEvent> {
    const seen = this.events.find((event) => event.data.order === order);
    if (seen) return Promise.resolve(seen);
    const arrived = new Promise<ManagerEvent>((resolve) => this.waiting.set(order, resolve));
    return withTimeout(arrived, REQUEST_TIMEOUT_MS, `the trade:event of order ${String(order)}`).catch(() => {
      throw new DemoFailure(
        `the subscriber received no trade:event for order ${String(order)} within ${REQUEST_TIMEOUT_MS} ms`,
      );
    });
  }

  of(order: unknown): ManagerEvent[] {
    return this.events.filter((event) => event.data.order === order);
  }
}

/** Field-by-field comparison of a manager answer's data; undefined when as expected. */
function mismatches(data: Record<string, unknown>, expected: Record<string, unknown>): string | undefined {
  const wrong = Object.entries(expected).filter(([name, value]) => data[name] !== value);
  return wrong.length === 0
    ? undefined
    : wrong
        .map(([name, value]) => `${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(data[name])}`)
        .join('; ');
}

interface DemoManager {
  login: number;
  password: string;
}

/** A manager login unlikely to be taken (managers have their own logins); 409 means taken: try the next. */
async function createManager(walk: Walkthrough): Promise<DemoManager> {
  const first = Math.floor(Date.now() / 1000);
  const password = randomBytes(MANAGER_PASSWORD_BYTES).toString('base64url');
  for (let login = first; login < first + LOGIN_ATTEMPTS_MAX; login += 1) {
    const body = { login, password, role: 'SESSION_MANAGER' };
    const created = await walk.admin(
      'Create a back-office manager for the TCP API (role SESSION_MANAGER may move money; the password is stored as a scrypt hash and not printed here).',
      'POST',
      '/admin/managers',
      body,
      (response) =>
        response.status === 409 ? undefined : expectAnswer(201, { login, role: 'SESSION_MANAGER' })(response),
      { ...body, password: '<random, not shown>' },
    );
    if (created.status === 201) return { login, password };
  }
  throw new DemoFailure(`manager logins ${first}..${first + LOGIN_ATTEMPTS_MAX - 1} are all taken`);
}

/** Sends one command, printing its line (secrets replaced); checks the answer's status and fields. */
async function managerCommand(
  walk: Walkthrough,
  client: ManagerClient,
  label: string,
  command: string,
  extID: string,
  data: Record<string, unknown>,
  expected: { status: number; data?: Record<string, unknown> },
  options: { token?: string; printedData?: Record<string, unknown> } = {},
): Promise<ManagerAnswer> {
  // What ManagerClient writes: the token of its own Login, or the one given, travels as __token.
  const printed = {
    command,
    extID,
    data: options.printedData ?? data,
    ...(options.token ? { __token: options.token } : {}),
  };
  console.log(`   → [${label}] ${shortenTokens(JSON.stringify(printed))}`);
  const answer = await withTimeout(
    client.command(command, data, { extID, ...(options.token ? { token: options.token } : {}) }),
    REQUEST_TIMEOUT_MS,
    command,
  );
  const problem =
    answer.status !== expected.status
      ? `expected status ${expected.status}, got ${answer.status}`
      : mismatches(answer.data, expected.data ?? {});
  if (problem) throw new DemoFailure(`step ${walk.stepNumber} (${command}) did not answer as expected: ${problem}`);
  return answer;
}

async function connectManager(host: string, port: number): Promise<ManagerClient> {
  try {
    return await withTimeout(ManagerClient.connect(port, host), REQUEST_TIMEOUT_MS, `connect to ${host}:${port}`);
  } catch (error) {
    throw new DemoFailure(
      `cannot connect to the manager TCP API at ${host}:${port} (${error instanceof Error ? error.message : String(error)}); pass --manager-port or set MANAGER_PORT`,
    );
  }
}

async function managerPart(walk: Walkthrough, host: string, port: number, login: number): Promise<void> {
  console.log(`\n--- The manager TCP API at ${host}:${port}: one JSON object per line; → sent, ← answer, ⇠ event ---`);
  const manager = await createManager(walk);
  const connections: ManagerClient[] = [];
  try {
    walk.beginStep(
      'Connection A: connect and Login. The answer is a session token and the role; the connection is now authenticated.',
    );
    const main = await connectManager(host, port);
    connections.push(main);
    printReceivedLines(main, 'A');
    const loginAnswer = await managerCommand(
      walk,
      main,
      'A',
      'Login',
      'login-1',
      { login: manager.login, password: manager.password },
      { status: 200, data: { role: 'SESSION_MANAGER' } },
      { printedData: { login: manager.login, password: '<password>' } },
    );
    const token = String(loginAnswer.data.token);

    walk.beginStep(
      'Connection B subscribes to trade:event with the token as __token (any connection may use it); it now prints every event.',
    );
    const watcher = await connectManager(host, port);
    connections.push(watcher);
    printReceivedLines(watcher, 'B');
    const events = new EventLog(watcher);
    await managerCommand(
      walk,
      watcher,
      'B',
      'Subscribe',
      'subscribe-1',
      { channels: [TRADE_EVENT] },
      { status: 200 },
      { token },
    );

    walk.beginStep(
      "BalanceInSync 50.00 on A: answered only once its trade:event is broadcast, with the event's data (the final record, state 3). B gets the same event (on another connection, so it may print first).",
    );
    const deposit = await managerCommand(
      walk,
      main,
      'A',
      'BalanceInSync',
      `deposit-${login}`,
      { login, amount: 50.0, comment: 'Demo gateway deposit' },
      { status: 200, data: { login, cmd: 6, state: 3, profit: 50, comment: 'Demo gateway deposit' } },
    );
    const depositOrder = deposit.data.order;
    if (typeof depositOrder !== 'number')
      throw new DemoFailure(`BalanceInSync answered no order: ${JSON.stringify(deposit.data)}`);
    const depositEvent = await events.waitFor(depositOrder);
    if (depositEvent.type !== 'EV_RECORD_ADD' || JSON.stringify(depositEvent.data) !== JSON.stringify(deposit.data)) {
      throw new DemoFailure(
        `the subscriber's event of order ${depositOrder} differs from the Sync answer: ${JSON.stringify(depositEvent)}`,
      );
    }

    walk.beginStep(
      'BalanceOut -30.00 (plain, not Sync) on A: acknowledged at once, after the commit (state 10 = request accepted); B then prints the event.',
    );
    const withdrawal = await managerCommand(
      walk,
      main,
      'A',
      'BalanceOut',
      `withdrawal-${login}`,
      { login, amount: -30.0, comment: 'Demo manual withdrawal', referenceId: `demo-${login}-withdrawal` },
      { status: 200, data: { accepted: true, state: 10, login, cmd: 8, amount: -30 } },
    );
    const withdrawalOrder = withdrawal.data.order;
    const withdrawalEvent = await events.waitFor(withdrawalOrder);
    const wrongEvent =
      withdrawalEvent.type === 'EV_RECORD_ADD'
        ? mismatches(withdrawalEvent.data, { login, cmd: 8, state: 3, profit: -30 })
        : `type ${withdrawalEvent.type}`;
    if (wrongEvent)
      throw new DemoFailure(
        `the event of the withdrawal (order ${String(withdrawalOrder)}) is not as expected: ${wrongEvent}`,
      );

    walk.beginStep(
      "GetFinanceRecord of the Sync deposit's order: how a connector resolves an uncertain outcome (e.g. after a 504 SYNC_TIMEOUT).",
    );
    const record = await managerCommand(
      walk,
      main,
      'A',
      'GetFinanceRecord',
      'record-1',
      { order: depositOrder },
      { status: 200 },
    );
    if (JSON.stringify(record.data) !== JSON.stringify(deposit.data)) {
      throw new DemoFailure(
        `GetFinanceRecord ${depositOrder} differs from the Sync answer: ${JSON.stringify(record.data)}`,
      );
    }
    const counts = [depositOrder, withdrawalOrder].map((order) => events.of(order).length);
    if (counts.some((count) => count !== 1))
      throw new DemoFailure(
        `the subscriber received ${counts.join(' and ')} events for the two orders, expected one each`,
      );
    console.log(`   The subscriber received ${events.events.length} event(s), one per order.`);
  } finally {
    await Promise.all(connections.map((client) => client.close()));
  }
  await walk.admin(
    'The account after the manager commands: balance 125.00 + 50.00 - 30.00 = 145.00, credit unchanged.',
    'GET',
    `/admin/accounts/${login}`,
    undefined,
    expectAnswer(200, { balance: '145.00', credit: '20.00', held: '0.00' }),
  );
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidArgumentError('expected a TCP port (1-65535)');
  return port;
}

async function main(): Promise<void> {
  const flags = new Command()
    .name('demo')
    .description("A guided walk through one user's life against a running wallet service")
    .option('--url <url>', `base URL of the running service (env WALLET_URL, default ${DEFAULT_URL})`)
    .option(
      '--manager-port <port>',
      `manager TCP API port on the URL's host (env MANAGER_PORT, default ${DEFAULT_MANAGER_PORT})`,
      portNumber,
    )
    .parse(process.argv)
    .opts<{ url?: string; managerPort?: number }>();
  const baseUrl = flags.url ?? process.env.WALLET_URL ?? DEFAULT_URL;
  const managerPort =
    flags.managerPort ?? (process.env.MANAGER_PORT ? portNumber(process.env.MANAGER_PORT) : DEFAULT_MANAGER_PORT);
  const managerHost = new URL(baseUrl).hostname;
  const credentials = loadCredentials(process.env);
  const http = new HttpJsonClient(baseUrl, { maxSockets: 1 });
  const walk = new Walkthrough(http, credentials);
  console.log(
    `Wallet service at ${baseUrl}, manager TCP API at ${managerHost}:${managerPort}; keys from ${credentials.source}.`,
  );
  try {
    const health = await walk.probe(
      'Is the service up? /healthz answers 200 once the database is reachable and migrated.',
      '/healthz',
      false,
    );
    if (health.status !== 200)
      throw new DemoFailure(`/healthz answered ${health.status}: is the service started (npm start)?`);
    const login = await createAccount(walk);
    await fundAccount(walk, login);
    const walletToken = await launchAndAuthenticate(walk, login);
    await trade(walk, walletToken, login);
    await showAccount(walk, login);
    await managerPart(walk, managerHost, managerPort, login);
    console.log(
      `\nDone: account ${login} deposited 100.00, got 20.00 credit, staked 30.00 and won 25.00; then the manager API deposited 50.00 (Sync) and withdrew 30.00.`,
    );
  } finally {
    http.close();
  }
}

main().catch((error: unknown) => {
  const refused = /ECONNREFUSED/.test(String(error instanceof Error ? error.message : error));
  if (error instanceof DemoFailure) console.error(`\ndemo failed: ${error.message}`);
  else if (refused)
    console.error(
      '\ndemo failed: the service is not reachable. Start it with `npm start` (or pass --url / WALLET_URL).',
    );
  else console.error('\ndemo failed:', error);
  process.exit(1);
});
