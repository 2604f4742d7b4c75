import { CHANGE_ACTIONS, type AuditLog } from '../audit/audit-log';
import { BoundedSemaphore } from '../../shared/bounded-semaphore';
import { AlreadyExistsError, TooManyAttemptsError, UnauthenticatedError, ValidationError } from '../../shared/errors';
import { hashToken, newToken } from '../../shared/tokens';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../shared/password-hash';
import type { ManagerRole, ManagerSession, ManagerStore } from './manager-store';

/** A manager session lasts this long (seconds). */
export const MANAGER_SESSION_TTL_S = 24 * 3600;
/** Failed logins are counted over this window (seconds)... */
export const LOGIN_FAILURE_WINDOW_S = 15 * 60;
/** ...and refused beyond these counts, per manager login and per client address. */
export const LOGIN_FAILURES_PER_LOGIN_MAX = 5;
export const LOGIN_FAILURES_PER_ADDRESS_MAX = 20;
/** Every failed login is answered this late, to slow down guessing. */
export const LOGIN_FAILURE_DELAY_MS = 500;
/** Sessions looked up by token are cached this long on an instance. */
export const SESSION_CACHE_TTL_MS = 10_000;
export const SESSION_CACHE_ENTRIES_MAX = 10_000;
/**
 * Logins decided at once on an instance: each holds a pooled database connection (and its locks)
 * while scrypt runs, so a flood of logins must not take the pool from the wallet.
 */
export const LOGINS_IN_FLIGHT_MAX = 4;
/** Logins waiting for their turn on an instance; beyond, a login is refused at once (TOO_MANY_REQUESTS). */
export const LOGINS_WAITING_MAX = 256;
export const PASSWORD_LENGTH_MIN = 8;
export const PASSWORD_LENGTH_MAX = 256;

/** The roles allowed to move money through the manager API (docs/manager-api.md#permissions). */
const MONEY_ROLES: ReadonlySet<ManagerRole> = new Set(['SESSION_ADMIN', 'SESSION_MANAGER', 'SESSION_DEALER']);

export function canMoveMoney(session: ManagerSession | null): boolean {
  return session !== null && MONEY_ROLES.has(session.role);
}

export class ManagerAuthService {
  private readonly sessionCache = new Map<string, { session: ManagerSession; cachedAt: number }>();
  private readonly loginTurns = new BoundedSemaphore(
    LOGINS_IN_FLIGHT_MAX,
    LOGINS_WAITING_MAX,
    () => new TooManyAttemptsError('too many logins at once; try again later'),
  );

  constructor(
    private readonly store: ManagerStore,
    private readonly audit: AuditLog,
    private readonly delay: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /**
   * Creates a manager-API user; the audit log records it (its role, never its password), with
   * `actor`, in the same transaction. The password is hashed first: no connection waits on scrypt.
   */
  async createManager(login: bigint, password: string, role: ManagerRole, actor: string): Promise<void> {
    if (password.length < PASSWORD_LENGTH_MIN || password.length > PASSWORD_LENGTH_MAX) {
      throw new ValidationError(`password must be ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX} characters`);
    }
    const passwordHash = await hashPassword(password);
    const inserted = await this.store.transaction(async (store, trx) => {
      const created = await store.insertManager(login, role, passwordHash);
      if (created)
        await this.audit.record(
          { actor, action: CHANGE_ACTIONS.managerCreate, target: login.toString(), detail: { role } },
          trx,
        );
      return created;
    });
    if (!inserted) throw new AlreadyExistsError(`manager ${login} already exists`);
  }

  /**
   * Checks a password; refuses (slowly) after too many failures for the login or the address.
   *
   * Attempts on one manager login, and from one address, are decided one after the other (advisory
   * locks held while counting, checking and recording): guesses sent all at once each see the
   * failures of those before them, so no more than the limit are ever checked, while correct logins
   * sent at once all succeed. At most LOGINS_IN_FLIGHT_MAX are decided at once on an instance.
   */
  async login(login: bigint, password: string, address: string): Promise<{ token: string; session: ManagerSession }> {
    const outcome = await this.loginTurns.run(() => this.decideLogin(login, password, address));
    if (typeof outcome === 'object') return outcome;
    await this.delay(LOGIN_FAILURE_DELAY_MS);
    throw outcome === 'throttled'
      ? new TooManyAttemptsError('too many failed logins; try again later')
      : new UnauthenticatedError('Invalid login or password');
  }

  private decideLogin(login: bigint, password: string, address: string) {
    return this.store.oneAttemptAtATime(login, address, async (store) => {
      const failures = await store.recentLoginFailures(login, address, LOGIN_FAILURE_WINDOW_S);
      if (failures.byLogin >= LOGIN_FAILURES_PER_LOGIN_MAX || failures.byAddress >= LOGIN_FAILURES_PER_ADDRESS_MAX)
        return 'throttled' as const;
      const manager = await store.findManager(login);
      const valid = await verifyPassword(password, manager?.passwordHash ?? (await dummyPasswordHash()));
      if (!manager || !valid) {
        await store.recordLoginFailure(login, address);
        return 'failed' as const;
      }
      const token = newToken();
      await store.insertSession(hashToken(token), login, MANAGER_SESSION_TTL_S);
      return {
        token,
        session: {
          managerLogin: login,
          role: manager.role,
          expiresAt: new Date(Date.now() + MANAGER_SESSION_TTL_S * 1000),
        },
      };
    });
  }

  /** The session of a token (`__token`), from a short per-instance cache or the database. */
  async session(token: string): Promise<ManagerSession> {
    const now = Date.now();
    const cached = this.sessionCache.get(token);
    if (cached && now - cached.cachedAt < SESSION_CACHE_TTL_MS && cached.session.expiresAt.getTime() > now)
      return cached.session;
    const session = await this.store.findSession(hashToken(token));
    if (!session) throw new UnauthenticatedError('unknown or expired session token');
    if (this.sessionCache.size >= SESSION_CACHE_ENTRIES_MAX) this.sessionCache.clear();
    this.sessionCache.set(token, { session, cachedAt: now });
    return session;
  }

  prune(): Promise<void> {
    return this.store.prune(LOGIN_FAILURE_WINDOW_S);
  }
}
