import type { Database } from '../../db/database';
import { LOCK_TIMEOUT_SQLSTATE } from '../../db/transient';
import { UnavailableError } from '../../shared/errors';

/** How long a login waits for the logins ahead of it of the same manager or address. */
const LOGIN_LOCK_WAIT_MS = 15_000;

export const MANAGER_ROLES = ['SESSION_ADMIN', 'SESSION_MANAGER', 'SESSION_DEALER', 'SESSION_VIEWER'] as const;
export type ManagerRole = (typeof MANAGER_ROLES)[number];

export interface ManagerSession {
  managerLogin: bigint;
  role: ManagerRole;
  expiresAt: Date;
}

export class ManagerStore {
  constructor(private readonly db: Database) {}

  /** Inserts the manager; false when the login is taken. */
  async insertManager(login: bigint, role: ManagerRole, passwordHash: string): Promise<boolean> {
    const rows = await this.db('managers')
      .insert({ login: login.toString(), role, password_hash: passwordHash })
      .onConflict('login')
      .ignore()
      .returning('login');
    return rows.length === 1;
  }

  /** Runs `work` in one transaction, with a store bound to it and the transaction itself (for the audit row). */
  transaction<T>(work: (store: ManagerStore, trx: Database) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(new ManagerStore(trx), trx));
  }

  async findManager(login: bigint): Promise<{ role: ManagerRole; passwordHash: string } | undefined> {
    const row = await this.db('managers').where({ login: login.toString() }).first('role', 'password_hash');
    return row ? { role: row.role as ManagerRole, passwordHash: row.password_hash as string } : undefined;
  }

  async insertSession(tokenHash: Buffer, managerLogin: bigint, ttlS: number): Promise<void> {
    await this.db('manager_sessions').insert({
      token_hash: tokenHash,
      manager_login: managerLogin.toString(),
      expires_at: this.db.raw('now() + make_interval(secs => ?)', [ttlS]),
    });
  }

  async findSession(tokenHash: Buffer): Promise<ManagerSession | undefined> {
    const row = await this.db('manager_sessions as s')
      .join('managers as m', 'm.login', 's.manager_login')
      .where('s.token_hash', tokenHash)
      .where('s.expires_at', '>', this.db.fn.now())
      .first('s.manager_login', 'm.role', 's.expires_at');
    return row
      ? { managerLogin: BigInt(row.manager_login), role: row.role as ManagerRole, expiresAt: row.expires_at as Date }
      : undefined;
  }

  async recordLoginFailure(login: bigint | null, address: string): Promise<void> {
    await this.db('manager_login_failures').insert({ login: login?.toString() ?? null, address });
  }

  /**
   * Runs `decide` in one transaction holding the advisory locks of this manager login and of this
   * address (in a fixed order: no deadlock), with a store bound to that transaction.
   */
  oneAttemptAtATime<T>(login: bigint, address: string, decide: (store: ManagerStore) => Promise<T>): Promise<T> {
    return this.db
      .transaction(async (trx) => {
        // Logins of one address queue here, each holding the lock for a password hash: the pool's
        // lock_timeout (sized for account rows) is too short for a burst of them on a busy machine.
        await trx.raw(`SET LOCAL lock_timeout = ${LOGIN_LOCK_WAIT_MS}`);
        const keys = [`manager-login:${login}`, `manager-address:${address}`].sort();
        for (const key of keys) await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
        return decide(new ManagerStore(trx));
      })
      .catch((error: { code?: string }) => {
        if (error.code === LOCK_TIMEOUT_SQLSTATE)
          throw new UnavailableError('too many logins of this manager or address at once; retry');
        throw error;
      });
  }

  /** Failed logins within the window, for this login and for this address. */
  async recentLoginFailures(
    login: bigint | null,
    address: string,
    windowS: number,
  ): Promise<{ byLogin: number; byAddress: number }> {
    const { rows } = await this.db.raw<{ rows: { by_login: number; by_address: number }[] }>(
      `SELECT (SELECT count(*) FROM manager_login_failures
                WHERE login = ? AND failed_at > now() - make_interval(secs => ?))::int AS by_login,
              (SELECT count(*) FROM manager_login_failures
                WHERE address = ? AND failed_at > now() - make_interval(secs => ?))::int AS by_address`,
      [login?.toString() ?? null, windowS, address, windowS],
    );
    return { byLogin: rows[0]!.by_login, byAddress: rows[0]!.by_address };
  }

  /** Forgets old failures and expired sessions (they only ever grow otherwise). */
  async prune(failureWindowS: number): Promise<void> {
    await this.db('manager_login_failures')
      .where('failed_at', '<', this.db.raw('now() - make_interval(secs => ?)', [failureWindowS]))
      .delete();
    await this.db('manager_sessions').where('expires_at', '<', this.db.fn.now()).delete();
  }
}
