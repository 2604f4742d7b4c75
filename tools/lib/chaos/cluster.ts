/**
 * The system under fault injection: one PostgreSQL (embedded, durable settings, fixed port so that
 * a restarted server keeps its address) and several service instances as child processes on fixed
 * ports. Faults: SIGKILL of an instance, immediate shutdown (SIGQUIT) of PostgreSQL; both restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findFreePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../../src/db/embedded-postgres';
import { serviceStartCommand } from '../start-command';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
/** A fresh instance must answer /healthz within this time (migrations are already applied). */
const INSTANCE_READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
/** SIGKILL takes effect at once; this only bounds the wait for the exit event. */
const KILL_WAIT_MS = 5_000;
const DATABASE = 'wallet_chaos';

export const CHAOS_CREDENTIALS = {
  walletSecret: 'chaos-wallet-secret-0123456789abcdef',
  operatorApiKey: 'chaos-operator-key-0123456789abcdef',
  adminApiKey: 'chaos-admin-key-0123456789abcdef',
};

export interface Instance {
  index: number;
  httpPort: number;
  managerPort: number;
  process: ChildProcess | undefined;
  up: boolean;
}

export class ChaosCluster {
  readonly instances: Instance[] = [];
  private postgres: EmbeddedPostgresHandle | undefined;
  private readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-chaos-'));
  private pgPort = 0;
  databaseUrl = '';

  constructor() {
    chmodSync(this.dataDir, 0o755); // the server runs as the unprivileged postgres user when we are root
  }

  async start(instanceCount: number, syncTimeoutMs: number): Promise<void> {
    this.pgPort = await findFreePort();
    await this.startPostgres();
    for (let index = 0; index < instanceCount; index += 1) {
      this.instances.push({ index, httpPort: await findFreePort(), managerPort: await findFreePort(), process: undefined, up: false });
    }
    // The first instance migrates; the others start after it.
    for (const instance of this.instances) await this.startInstance(instance, syncTimeoutMs);
    this.syncTimeoutMs = syncTimeoutMs;
  }

  private syncTimeoutMs = 5000;

  async startPostgres(): Promise<void> {
    this.postgres = await startEmbeddedPostgres({ dataDir: this.dataDir, database: DATABASE, port: this.pgPort, onLog: () => undefined });
    this.databaseUrl = this.postgres.url;
  }

  /** Immediate shutdown: the postmaster and its backends stop at once, as in a crash; then restart. */
  async crashPostgres(downMs: number): Promise<void> {
    const pid = this.postmasterPid();
    if (pid === undefined) return;
    process.kill(pid, 'SIGQUIT');
    const deadline = Date.now() + 30_000;
    while (this.isAlive(pid) && Date.now() < deadline) await sleep(50);
    await sleep(downMs);
    await this.startPostgres();
  }

  async killInstance(instance: Instance): Promise<void> {
    instance.up = false;
    const child = instance.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(KILL_WAIT_MS)]);
  }

  async startInstance(instance: Instance, syncTimeoutMs = this.syncTimeoutMs): Promise<void> {
    const start = serviceStartCommand(PROJECT_ROOT);
    const child = spawn(start.command, start.args, {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: this.databaseUrl,
        HOST: '127.0.0.1',
        PORT: String(instance.httpPort),
        MANAGER_PORT: String(instance.managerPort),
        WALLET_SECRETS: CHAOS_CREDENTIALS.walletSecret,
        OPERATOR_API_KEY: CHAOS_CREDENTIALS.operatorApiKey,
        ADMIN_API_KEY: CHAOS_CREDENTIALS.adminApiKey,
        MANAGER_SYNC_TIMEOUT_MS: String(syncTimeoutMs),
        // below the Sync timeout, as the README advises: a command stuck on a lock gets ACCOUNT_BUSY, not a 504
        ACCOUNT_LOCK_TIMEOUT_MS: String(Math.ceil(syncTimeoutMs / 2)),
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', () => undefined);
    instance.process = child;
    const deadline = Date.now() + INSTANCE_READY_TIMEOUT_MS;
    while (!(await this.healthy(instance))) {
      if (child.exitCode !== null) throw new Error(`instance ${instance.index} exited with ${child.exitCode} while starting`);
      if (Date.now() > deadline) {
        // Never leave a half-started process holding the ports of the next attempt.
        await this.killInstance(instance);
        throw new Error(`instance ${instance.index} did not become healthy`);
      }
      await sleep(READY_POLL_MS);
    }
    instance.up = true;
  }

  /** A direct connection for set-up, verification and faults (a restart of PostgreSQL ends it: its query fails). */
  async sql<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }

  /**
   * Holds an account's row lock from outside the service for `ms` (a slow transaction, an operator's
   * psql). Returns whether the lock was held the whole time (a PostgreSQL restart releases it).
   */
  async lockAccountRow(login: number, ms: number): Promise<boolean> {
    return this.sql(async (client) => {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
      await sleep(ms);
      await client.query('ROLLBACK');
      return true;
    }).catch(() => false);
  }

  async stop(): Promise<void> {
    for (const instance of this.instances) {
      instance.up = false;
      if (instance.process && instance.process.exitCode === null) {
        const exited = new Promise((resolve) => instance.process!.once('exit', resolve));
        instance.process.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
        if (instance.process.exitCode === null) instance.process.kill('SIGKILL');
      }
    }
    await this.postgres?.stop().catch(() => undefined);
    const pid = this.postmasterPid();
    if (pid !== undefined) process.kill(pid, 'SIGQUIT');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async healthy(instance: Instance): Promise<boolean> {
    try {
      const response = await fetch(`http://127.0.0.1:${instance.httpPort}/healthz`, { signal: AbortSignal.timeout(1000) });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  private postmasterPid(): number | undefined {
    const file = path.join(this.dataDir, 'pg', 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && this.isAlive(pid) ? pid : undefined;
  }

  private isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
