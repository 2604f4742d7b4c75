/**
 * The system under fault injection: a database (one embedded PostgreSQL, or the HA cluster of
 * tools/lib/ha) and several service instances as child processes on fixed ports. Faults: SIGKILL of
 * an instance (it restarts), the database's own faults (ChaosDatabase.faults), an account's row
 * locked from outside.
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

/** One fault of the database, run now and then by the fault injector. */
export interface DatabaseFault {
  name: string;
  /** Runs the fault and waits until the database is whole again; a note for the log, if any. */
  run(): Promise<string | void>;
}

export interface ChaosDatabase {
  /** The service's DATABASE_URL. */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The faults this database can suffer, in the order the injector takes them (round robin). */
  faults(): DatabaseFault[];
  /** What the database measured during the run, for the report. */
  report?(): Record<string, unknown>;
  /** What the database itself saw go wrong (beyond what the ledger shows). */
  violations?(): string[];
}

/**
 * One embedded PostgreSQL with durable settings, on a fixed port so that a restarted server keeps
 * its address. Its fault: an immediate shutdown (SIGQUIT, as in a crash), then a restart.
 */
export class EmbeddedChaosDatabase implements ChaosDatabase {
  private postgres: EmbeddedPostgresHandle | undefined;
  private readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-chaos-'));
  private pgPort = 0;
  url = '';

  constructor() {
    chmodSync(this.dataDir, 0o755); // the server runs as the unprivileged postgres user when we are root
  }

  async start(): Promise<void> {
    this.pgPort = await findFreePort();
    await this.startPostgres();
  }

  faults(): DatabaseFault[] {
    return [{ name: 'postgresRestarts', run: () => this.crashPostgres(300 + Math.random() * 700) }];
  }

  private async startPostgres(): Promise<void> {
    this.postgres = await startEmbeddedPostgres({
      dataDir: this.dataDir,
      database: DATABASE,
      port: this.pgPort,
      onLog: () => undefined,
    });
    this.url = this.postgres.url;
  }

  /** Immediate shutdown: the postmaster and its backends stop at once, as in a crash; then restart. */
  private async crashPostgres(downMs: number): Promise<void> {
    const pid = this.postmasterPid();
    if (pid === undefined) return;
    process.kill(pid, 'SIGQUIT');
    const deadline = Date.now() + 30_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    await sleep(downMs);
    await this.startPostgres();
  }

  async stop(): Promise<void> {
    await this.postgres?.stop().catch(() => undefined);
    const pid = this.postmasterPid();
    if (pid !== undefined) process.kill(pid, 'SIGQUIT');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private postmasterPid(): number | undefined {
    const file = path.join(this.dataDir, 'pg', 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
  }
}

export class ChaosCluster {
  readonly instances: Instance[] = [];

  constructor(readonly database: ChaosDatabase) {}

  get databaseUrl(): string {
    return this.database.url;
  }

  async start(instanceCount: number, syncTimeoutMs: number): Promise<void> {
    await this.database.start();
    for (let index = 0; index < instanceCount; index += 1) {
      this.instances.push({
        index,
        httpPort: await findFreePort(),
        managerPort: await findFreePort(),
        process: undefined,
        up: false,
      });
    }
    // The first instance migrates; the others start after it.
    for (const instance of this.instances) await this.startInstance(instance, syncTimeoutMs);
    this.syncTimeoutMs = syncTimeoutMs;
  }

  private syncTimeoutMs = 5000;

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
        // below the Sync timeout, as docs/configuration.md advises: a command stuck on a lock gets ACCOUNT_BUSY, not a 504
        ACCOUNT_LOCK_TIMEOUT_MS: String(Math.ceil(syncTimeoutMs / 2)),
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', () => undefined);
    instance.process = child;
    const deadline = Date.now() + INSTANCE_READY_TIMEOUT_MS;
    while (!(await this.healthy(instance))) {
      if (child.exitCode !== null)
        throw new Error(`instance ${instance.index} exited with ${child.exitCode} while starting`);
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
    await this.database.stop();
  }

  private async healthy(instance: Instance): Promise<boolean> {
    try {
      const response = await fetch(`http://127.0.0.1:${instance.httpPort}/healthz`, {
        signal: AbortSignal.timeout(1000),
      });
      return response.status === 200;
    } catch {
      return false;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
