/**
 * `promtool check metrics` on a live /metrics (CI runs it: .ci/run): starts the service on a fresh
 * embedded PostgreSQL (or on DATABASE_URL's server), serves one request of each API and a manager
 * login so that every metric has had something to count, scrapes /metrics and hands it to Debian's
 * promtool (package `prometheus`). Exit 0 when promtool passes it, 1 when it does not. Where there is
 * no promtool it says so plainly and exits 0: the naming rules it checks are also tested without it
 * (test/observability/metric-names.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdminClient, ManagerClient, OperatorClient, WalletClient } from '@wallet-service/client';
import { loadConfig } from '../src/config';
import { startService } from '../src/app/service';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { createLogger } from '../src/observability/logger';
import { CleanupStack } from './lib/cleanup';

const CREDENTIALS = {
  WALLET_SECRETS: 'check-metrics-wallet-secret-0000',
  OPERATOR_API_KEY: 'check-metrics-operator-key-0000',
  ADMIN_API_KEY: 'check-metrics-admin-key-0000',
};
const LOGIN = 4242;
const MANAGER = { login: 9042, password: 'check-metrics-manager' };

function log(line: string): void {
  process.stderr.write(`check-metrics: ${line}\n`);
}

function promtoolPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

async function main(): Promise<number> {
  const promtool = promtoolPath();
  if (!promtool) {
    log(
      'no promtool here (Debian package prometheus): /metrics was NOT checked with promtool; its naming rules are still tested by npm test',
    );
    return 0;
  }
  const cleanup = new CleanupStack();
  cleanup.exitOnSignals();
  try {
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-check-metrics-'));
      chmodSync(dataDir, 0o755); // as root the server runs as the postgres user, which must enter it
      cleanup.push('data directory', () => rmSync(dataDir, { recursive: true, force: true }));
      const postgres = await startEmbeddedPostgres({ dataDir, database: 'wallet_check_metrics' });
      cleanup.push('embedded PostgreSQL', () => postgres.stop());
      databaseUrl = postgres.url;
    }
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: '0',
      MANAGER_PORT: '0',
      MIGRATE_ON_START: 'true',
      LOG_LEVEL: 'silent',
      ...CREDENTIALS,
    });
    const service = await startService(config, databaseUrl, createLogger(config.logLevel));
    cleanup.push('service', () => service.stop());
    const base = `http://127.0.0.1:${service.httpPort}`;

    const admin = new AdminClient(base, CREDENTIALS.ADMIN_API_KEY);
    await admin.createAccount({ login: LOGIN, currency: 'USD' }).catch(() => undefined); // present from an earlier run on DATABASE_URL
    await admin.applyBalanceOperation({ accountId: LOGIN, operation: 'add', amount: '10.00' });
    await admin.createManager({ ...MANAGER, role: 'SESSION_MANAGER' }).catch(() => undefined);
    const launch = await new OperatorClient(base, CREDENTIALS.OPERATOR_API_KEY).createLaunchToken({ login: LOGIN });
    await new WalletClient(base, CREDENTIALS.WALLET_SECRETS).call('authenticate', { token: launch.token });
    const manager = await ManagerClient.connect(service.managerPort);
    await manager.login(MANAGER.login, MANAGER.password);
    await manager.close();
    await fetch(`${base}/no-such-page`);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const check = spawnSync(promtool, ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    const said = `${check.stdout}${check.stderr}`.trim();
    if (check.status !== 0) {
      log(
        `promtool check metrics failed (exit ${check.status}) on ${metrics.split('\n').filter((line) => line.startsWith('# TYPE')).length} metrics:\n${said}`,
      );
      return 1;
    }
    const version = execFileSync(promtool, ['--version'], { encoding: 'utf8' }).split('\n')[0];
    log(`promtool check metrics passed on a live /metrics (${version})${said ? `: ${said}` : ''}`);
    return 0;
  } finally {
    await cleanup.runAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
