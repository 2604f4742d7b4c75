/**
 * `npm run demo`: a guided walk through one user's life against an ALREADY RUNNING service
 * (`npm start` in another terminal). Every request is printed (method, path, body, and for wallet
 * calls the v2 signature headers) with the answer and one line on what just happened; every
 * answer is checked, and the demo exits non-zero at the first one that is not as expected.
 *
 *   npm run demo                               http://127.0.0.1:8080, keys from ./.data/secrets.json
 *   npm run demo -- --url http://host:8080     keys from WALLET_SECRETS, ADMIN_API_KEY, OPERATOR_API_KEY
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { HttpJsonClient, type HttpJsonResponse } from '../src/clients/http-json';
import { signV2 } from '../src/wallet/wallet-signature';
import { withTimeout } from './lib/concurrency';

const DEFAULT_URL = 'http://127.0.0.1:8080';
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
  const walletSecret = env.WALLET_SECRETS?.split(',').map((part) => part.trim()).find(Boolean) ?? stored.walletSecrets?.[0];
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
    return wrong.length === 0 ? undefined : wrong.map(([name, value]) => `${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(body[name])}`).join('; ');
  };
}

/** Sends requests and prints them with their answers, numbered, each after its explanation. */
class Walkthrough {
  private step = 0;

  constructor(
    private readonly http: HttpJsonClient,
    private readonly credentials: Credentials,
  ) {}

  admin(explain: string, method: string, path: string, body: unknown, check: Check): Promise<HttpJsonResponse> {
    return this.bearer(explain, method, path, body, this.credentials.adminApiKey, '<ADMIN_API_KEY>', check);
  }

  operator(explain: string, method: string, path: string, body: unknown, check: Check): Promise<HttpJsonResponse> {
    return this.bearer(explain, method, path, body, this.credentials.operatorApiKey, '<OPERATOR_API_KEY>', check);
  }

  /** Signs like the trading platform: HMAC-SHA256 over method, path, timestamp, nonce and the body's SHA-256. */
  async wallet(explain: string, action: string, fields: Record<string, unknown>, check: Check): Promise<HttpJsonResponse> {
    const path = `/wallet/${action}`;
    const body = JSON.stringify(fields);
    const headers = signV2(this.credentials.walletSecret, 'POST', path, body, Math.floor(Date.now() / 1000), randomBytes(NONCE_BYTES).toString('hex'));
    this.announce(explain, 'POST', path, headers, body);
    return this.send('POST', path, body, headers, check);
  }

  /** A GET whose answer decides what comes next rather than failing the demo (health, login look-up). */
  async probe(explain: string, path: string, withAdminKey: boolean): Promise<HttpJsonResponse> {
    this.announce(explain, 'GET', path, withAdminKey ? { Authorization: 'Bearer <ADMIN_API_KEY>' } : {}, null);
    const headers: Record<string, string> = withAdminKey ? { Authorization: `Bearer ${this.credentials.adminApiKey}` } : {};
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
  ): Promise<HttpJsonResponse> {
    const text = body === undefined ? null : JSON.stringify(body);
    // The key's name, not the key: a demo's output gets pasted into chats and tickets.
    this.announce(explain, method, path, { Authorization: `Bearer ${keyName}` }, text);
    return this.send(method, path, text, { Authorization: `Bearer ${key}` }, check);
  }

  private announce(explain: string, method: string, path: string, headers: Record<string, string>, body: string | null): void {
    this.step += 1;
    console.log(`\n${this.step}. ${explain}`);
    console.log(`   → ${method} ${path}`);
    for (const [name, value] of Object.entries(headers)) console.log(`     ${name}: ${value}`);
    if (body !== null) console.log(`     ${body}`);
  }

  private async send(method: string, path: string, body: string | null, headers: Record<string, string>, check: Check): Promise<HttpJsonResponse> {
    const response = await withTimeout(this.http.request(method, path, body, headers), REQUEST_TIMEOUT_MS, `${method} ${path}`);
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
    const existing = await walk.probe(`Is login ${login} free? (404 ACCOUNT_NOT_FOUND means yes)`, `/admin/accounts/${login}`, true);
    if (existing.status === 200) continue; // taken: try the next one
    if (existing.status !== 404) throw new DemoFailure(`looking up login ${login} answered HTTP ${existing.status}: ${existing.text}`);
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
    { accountId: login, operation: 'add', amount: '100.00', comment: 'demo deposit', referenceId: `demo-${login}-deposit` },
    expectAnswer(200),
  );
  await walk.admin(
    'Grant 20.00 credit (bonus): it can be staked but never withdrawn.',
    'POST',
    '/admin/balance',
    { accountId: login, operation: 'credit', amount: '20.00', comment: 'demo bonus', referenceId: `demo-${login}-credit` },
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
    expectAnswer(200, { balance: '125.00', credit: '20.00', held: '0.00', available: '145.00', withdrawable: '125.00' }),
  );
  const statement = await walk.admin(
    'The statement: every ledger entry of the account, newest first; each entry\'s postings sum to zero with a system book (cash, bonus, house).',
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
    return JSON.stringify(seen) === JSON.stringify(operations) ? undefined : `expected entries ${operations.join(', ')}, got ${seen.join(', ')}`;
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
  const items = [...((response.body as { items: StatementItem[] }).items)].reverse();
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
  const line = (cells: string[]) => cells.map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(`\n   Statement, oldest first:\n     ${line(header)}`);
  for (const row of rows) console.log(`     ${line(row)}`);
}

async function main(): Promise<void> {
  const flags = new Command()
    .name('demo')
    .description('A guided walk through one user\'s life against a running wallet service')
    .option('--url <url>', `base URL of the running service (env WALLET_URL, default ${DEFAULT_URL})`)
    .parse(process.argv)
    .opts<{ url?: string }>();
  const baseUrl = flags.url ?? process.env.WALLET_URL ?? DEFAULT_URL;
  const credentials = loadCredentials(process.env);
  const http = new HttpJsonClient(baseUrl, 1);
  const walk = new Walkthrough(http, credentials);
  console.log(`Wallet service at ${baseUrl}; keys from ${credentials.source}.`);
  try {
    const health = await walk.probe('Is the service up? /healthz answers 200 once the database is reachable and migrated.', '/healthz', false);
    if (health.status !== 200) throw new DemoFailure(`/healthz answered ${health.status}: is the service started (npm start)?`);
    const login = await createAccount(walk);
    await fundAccount(walk, login);
    const walletToken = await launchAndAuthenticate(walk, login);
    await trade(walk, walletToken, login);
    await showAccount(walk, login);
    console.log(`\nDone: account ${login} deposited 100.00, got 20.00 credit, staked 30.00 and won 25.00.`);
  } finally {
    http.close();
  }
}

main().catch((error: unknown) => {
  const refused = /ECONNREFUSED/.test(String(error instanceof Error ? error.message : error));
  if (error instanceof DemoFailure) console.error(`\ndemo failed: ${error.message}`);
  else if (refused) console.error('\ndemo failed: the service is not reachable. Start it with `npm start` (or pass --url / WALLET_URL).');
  else console.error('\ndemo failed:', error);
  process.exit(1);
});
