import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { startService, type RunningService } from '../../src/app/service';
import { createLogger } from '../../src/observability/logger';
import { createTestDatabase } from '../support/database';
import { TSX_ENV, TSX_LOADER } from '../support/entry-points';
import { eventually } from '../support/manager';
import { TEST_ADMIN_KEY, TEST_OPERATOR_KEY, TEST_WALLET_SECRET } from '../support/test-service';

/**
 * At the default LOG_LEVEL (info) every HTTP request leaves exactly one JSON line, with its method,
 * route, status, duration and request id (docs/operations.md#logs-and-metrics promises it); and NODE_ENV=production's
 * start-up banner is JSON lines too, as a log collector reads them.
 */

const KEYS = { WALLET_SECRETS: TEST_WALLET_SECRET, OPERATOR_API_KEY: TEST_OPERATOR_KEY, ADMIN_API_KEY: TEST_ADMIN_KEY };
/** Longest wait for the service's `listening` line, in milliseconds. */
const LISTENING_TIMEOUT_MS = 30_000;

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  method?: string;
  route?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  [field: string]: unknown;
}

describe('the access log at LOG_LEVEL=info', () => {
  let database: { url: string; drop: () => Promise<void> };
  let service: RunningService;
  let base: string;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', MANAGER_PORT: '0', ...KEYS });
    expect(config.logLevel).toBe('info'); // the default, as an operator runs it
    const logger = createLogger(config.logLevel, {
      write: (text: string) => void lines.push(JSON.parse(text) as LogLine),
    });
    service = await startService(config, database.url, logger);
    base = `http://127.0.0.1:${service.httpPort}`;
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  const linesOf = (requestId: string) => lines.filter((line) => line.requestId === requestId);
  /** Sends the request, waits for its line; a later request's line arriving first shows no second one came for it. */
  const loggedOnce = async (requestId: string, url: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${url}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), 'X-Request-Id': requestId },
    });
    await response.arrayBuffer();
    expect(response.headers.get('x-request-id')).toBe(requestId);
    await eventually(() => linesOf(requestId).length > 0, 5000, `the access-log line of ${requestId}`);
    const marker = `${requestId}-after`;
    await (await fetch(`${base}/healthz`, { headers: { 'X-Request-Id': marker } })).arrayBuffer();
    await eventually(() => linesOf(marker).length > 0, 5000, `the access-log line of ${marker}`);
    expect(linesOf(requestId)).toHaveLength(1);
    return { line: linesOf(requestId)[0]!, status: response.status };
  };

  it('logs a successful request at info with method, route, status, duration and request id', async () => {
    const { line } = await loggedOnce('healthz-1', '/healthz');
    expect(line).toEqual(
      expect.objectContaining({
        level: 30,
        msg: 'request',
        method: 'GET',
        route: '/healthz',
        path: '/healthz',
        status: 200,
      }),
    );
    expect(Number.isInteger(line.durationMs)).toBe(true);
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('names the route pattern, not the path, and logs a refusal in the same one line', async () => {
    const { line, status } = await loggedOnce('account-404', '/admin/accounts/424242', {
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(status).toBe(404);
    expect(line).toEqual(
      expect.objectContaining({
        level: 30,
        method: 'GET',
        route: '/admin/accounts/:login',
        path: '/admin/accounts/424242',
        status: 404,
      }),
    );
  });

  it('logs the wallet API, served without Express, the same way', async () => {
    const { line } = await loggedOnce('wallet-1', '/wallet/getbalance', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"token":"x","currency":"USD"}',
    });
    expect(line).toEqual(
      expect.objectContaining({ level: 30, method: 'POST', route: '/wallet/getbalance', path: '/wallet/getbalance' }),
    );
    expect(line.status).toEqual(expect.any(Number));
  });

  it('never writes the bearer key', () => {
    expect(JSON.stringify(lines)).not.toContain(TEST_ADMIN_KEY);
  });
});

it('NODE_ENV=production says where it listens in a JSON log line, and advertises no npm command', async () => {
  const database = await createTestDatabase();
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.resolve(__dirname, '../../src/main.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...TSX_ENV,
      ...KEYS,
      NODE_ENV: 'production',
      MANAGER_PLAINTEXT_ALLOWED: 'true',
      DATABASE_URL: database.url,
      PORT: '0',
      MANAGER_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  try {
    await eventually(
      () => stdout.includes('"msg":"listening"') || child.exitCode !== null,
      LISTENING_TIMEOUT_MS,
      'the listening line',
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const printed = stdout.trim().split('\n');
    const parsed = printed.map((line) => JSON.parse(line) as LogLine); // throws on a line that is not JSON
    const listening = parsed.find((line) => line.msg === 'listening')!;
    expect(listening).toEqual(
      expect.objectContaining({
        level: 30,
        managerTls: false,
        http: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        manager: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      }),
    );
    expect(stdout).not.toContain('npm ');
    expect(stderr).toBe('');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await database.drop();
  }
});
