/**
 * Connections to the manager TCP API for the benchmark: managers created through the admin API,
 * logged-in ManagerClients opened with bounded parallelism, and commands that fail as soon as their
 * connection closes (ManagerClient alone would wait for an answer that can no longer come).
 */
import { ManagerClient, type ManagerAnswer } from '@wallet-service/client';
import { LOGIN_FAILURES_PER_LOGIN_MAX } from '../../src/core/managers/manager-auth-service';
import { forEachConcurrently, withTimeout } from './concurrency';

export type ManagerRole = 'SESSION_ADMIN' | 'SESSION_MANAGER' | 'SESSION_DEALER' | 'SESSION_VIEWER';

/** Manager logins of the run (a separate namespace from account logins; the database is fresh). */
export const MANAGER_LOGINS: Record<ManagerRole, number> = {
  SESSION_ADMIN: 9_000_001,
  SESSION_MANAGER: 9_000_002,
  SESSION_DEALER: 9_000_003,
  SESSION_VIEWER: 9_000_004,
};
export const BENCH_MANAGER_PASSWORD = 'bench-manager-password-0123456789';

/** Connect + Login of one connection may take this long (scrypt verification queues on the service's thread pool). */
const SESSION_OPEN_TIMEOUT_MS = 30_000;
/**
 * Logins in flight at once: scrypt is deliberately slow; more would only queue in the service. And
 * the service records every Login attempt as a failure until its password checks out, so more than
 * LOGIN_FAILURES_PER_LOGIN_MAX concurrent Logins of one manager are refused with 429 (since ee28c8a).
 */
const LOGIN_CONCURRENCY = Math.max(1, Math.min(8, LOGIN_FAILURES_PER_LOGIN_MAX - 1));

export interface BenchManager {
  login: number;
  password: string;
  role: ManagerRole;
}

export class ManagerConnection {
  private closed = false;
  private readonly failures = new Set<(error: Error) => void>();

  private constructor(readonly client: ManagerClient) {
    client.on('close', () => {
      this.closed = true;
      for (const fail of this.failures) fail(new Error('manager connection closed'));
      this.failures.clear();
    });
  }

  /** Connects and logs in; later commands carry the session token. */
  static async open(port: number, host: string, manager: BenchManager): Promise<ManagerConnection> {
    const client = await ManagerClient.connect(port, host);
    const connection = new ManagerConnection(client);
    try {
      const answer = await connection.client.login(manager.login, manager.password);
      if (answer.status !== 200)
        throw new Error(`Login of manager ${manager.login} answered ${answer.status} ${JSON.stringify(answer.data)}`);
      return connection;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** One command; rejects when the connection closes before its answer (callers bound the wait). */
  command(name: string, data: Record<string, unknown> = {}): Promise<ManagerAnswer> {
    if (this.closed) return Promise.reject(new Error('manager connection closed'));
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      this.failures.add(fail);
      this.client.command(name, data).then((answer) => {
        this.failures.delete(fail);
        resolve(answer);
      }, reject);
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * `count` logged-in connections of one manager (each its own Login, so its own session). On a
 * failure, the ones already open are closed before the error is rethrown.
 */
export async function openManagerConnections(
  port: number,
  host: string,
  manager: BenchManager,
  count: number,
): Promise<ManagerConnection[]> {
  const connections: ManagerConnection[] = [];
  try {
    await forEachConcurrently(
      Array.from({ length: count }, (_, index) => index),
      LOGIN_CONCURRENCY,
      async () => {
        connections.push(
          await withTimeout(
            ManagerConnection.open(port, host, manager),
            SESSION_OPEN_TIMEOUT_MS,
            'manager connect + Login',
          ),
        );
      },
    );
    return connections;
  } catch (error) {
    await closeManagerConnections(connections);
    throw error;
  }
}

export async function closeManagerConnections(connections: readonly ManagerConnection[]): Promise<void> {
  await Promise.all(
    connections.map((connection) =>
      withTimeout(connection.close(), SESSION_OPEN_TIMEOUT_MS, 'manager close').catch(() => undefined),
    ),
  );
}
