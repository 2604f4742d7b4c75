import { randomBytes } from 'node:crypto';
import { BoundedSemaphore } from '../../shared/bounded-semaphore';
import {
  AlreadyExistsError,
  RecordNotFoundError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from '../../shared/errors';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../shared/password-hash';
import { hashToken, newToken } from '../../shared/tokens';
import type { AuditLog } from '../audit/audit-log';
import { CONSOLE_ROLES, type ConsoleRole } from './console-roles';
import type { ConsoleUser, ConsoleUserStore } from './console-user-store';
import type { FailureThrottle } from './failure-throttle';

/** A session ends after this long without a request... */
export const CONSOLE_SESSION_IDLE_S = 30 * 60;
/** ...and this long after its login, whatever its use. */
export const CONSOLE_SESSION_ABSOLUTE_S = 8 * 3600;
/** A session's last use is written at most this often. */
export const CONSOLE_SESSION_TOUCH_S = 60;
/** Ended sessions are kept this long (for the audit of who was signed in), then forgotten. */
export const CONSOLE_SESSION_KEEP_S = 30 * 86400;
export const CONSOLE_PASSWORD_LENGTH_MIN = 12;
export const CONSOLE_PASSWORD_LENGTH_MAX = 256;
/** Every refused login is answered this late, to slow down guessing. */
export const CONSOLE_LOGIN_FAILURE_DELAY_MS = 500;
/** Logins hashing at once on an instance, and waiting; beyond, refused at once. */
const CONSOLE_LOGINS_IN_FLIGHT_MAX = 2;
const CONSOLE_LOGINS_WAITING_MAX = 64;
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const CSRF_TOKEN_BYTES = 32;

export interface ConsoleSession {
  user: ConsoleUser;
  /** Every POST of this session must carry it (the synchronizer token pattern). */
  csrfToken: string;
}

export interface NewConsoleUser {
  username: string;
  password: string;
  role: ConsoleRole;
}

/**
 * The console's users, their sessions and their logins: passwords as scrypt hashes, sessions in
 * PostgreSQL (every instance knows them; logout and an admin end them everywhere at once), logins
 * throttled per user and per address, and every change written to the audit log with its actor.
 */
export class ConsoleAccessService {
  private readonly loginTurns = new BoundedSemaphore(
    CONSOLE_LOGINS_IN_FLIGHT_MAX,
    CONSOLE_LOGINS_WAITING_MAX,
    () => new UnavailableError('the console is busy signing others in; try again in a moment'),
  );

  constructor(
    private readonly store: ConsoleUserStore,
    private readonly throttle: FailureThrottle,
    private readonly audit: AuditLog,
    private readonly delay: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async createUser(user: NewConsoleUser, actor: string): Promise<ConsoleUser> {
    checkUsername(user.username);
    checkRole(user.role);
    const passwordHash = await hashPassword(checkPassword(user.password));
    const created = await this.store.insertUser(user.username, user.role, passwordHash, actor);
    if (!created) throw new AlreadyExistsError(`console user ${user.username} already exists`);
    await this.audit.record({ actor, action: 'user.create', target: user.username, detail: { role: user.role } });
    return created;
  }

  listUsers(): Promise<ConsoleUser[]> {
    return this.store.listUsers();
  }

  /** Changes a role, a password or whether the user may sign in; disabling ends every session of the user. */
  async updateUser(
    username: string,
    change: { role?: ConsoleRole; disabled?: boolean; password?: string },
    actor: string,
  ): Promise<ConsoleUser> {
    if (change.role === undefined && change.disabled === undefined && change.password === undefined)
      throw new ValidationError('nothing to change: give a role, a password or disabled');
    if (change.role !== undefined) checkRole(change.role);
    const passwordHash = change.password === undefined ? undefined : await hashPassword(checkPassword(change.password));
    const user = await this.store.updateUser(username, {
      ...(change.role ? { role: change.role } : {}),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled }),
      ...(passwordHash ? { passwordHash } : {}),
    });
    if (!user) throw new RecordNotFoundError(`no console user ${username}`);
    if (change.disabled || passwordHash) await this.store.revokeSessionsOf(username);
    await this.audit.record({
      actor,
      action: 'user.update',
      target: username,
      detail: { role: change.role, disabled: change.disabled, passwordChanged: passwordHash !== undefined },
    });
    return user;
  }

  /** Ends every session of a user, on every instance; how many were live. */
  async revokeSessions(username: string, actor: string): Promise<number> {
    const ended = await this.store.revokeSessionsOf(username);
    await this.audit.record({ actor, action: 'user.sessions.revoke', target: username, detail: { ended } });
    return ended;
  }

  /**
   * A new session for a correct password; refused (slowly) otherwise, and refused with the time to
   * wait once the username or the address has failed too often (TooManyAttemptsError).
   *
   * The attempt is counted as a failure of both before the password is evaluated, so that guesses
   * sent at once, to any instance, are evaluated no more than the limits allow; a success takes it back.
   */
  async login(
    username: string,
    password: string,
    address: string,
  ): Promise<{ token: string; session: ConsoleSession }> {
    const subject = username.toLowerCase().slice(0, 64);
    const attempt = await this.throttle.reserve(['console-user', subject], ['console-address', address]);
    const user = await this.loginTurns
      .run(async () => {
        const found = await this.store.findUser(subject);
        const valid = await verifyPassword(password, found?.passwordHash ?? (await dummyPasswordHash()));
        return valid && found && !found.disabled ? found : undefined;
      })
      .catch(async (error: unknown) => {
        // not evaluated (the console is busy, the database failed): no guess was answered. Should the
        // attempt fail to be taken back, it stays counted, which only errs on the safe side.
        await attempt.release().catch(() => undefined);
        throw error;
      });
    if (!user) {
      // the attempt stays counted: a failure. Not audited: anyone can provoke a refusal, and
      // auth_failures (pruned) already counts them for the throttle
      await this.delay(CONSOLE_LOGIN_FAILURE_DELAY_MS);
      throw new UnauthenticatedError('wrong username or password');
    }
    await attempt.release();
    const token = newToken();
    const csrfToken = randomBytes(CSRF_TOKEN_BYTES).toString('base64url');
    await this.store.insertSession(hashToken(token), user.id, csrfToken, address, CONSOLE_SESSION_ABSOLUTE_S);
    await this.audit.record({ actor: actorOf(user), action: 'login', detail: { address } });
    const { passwordHash: _hash, ...publicUser } = user;
    return { token, session: { user: publicUser, csrfToken } };
  }

  /** The live session of a cookie's token, if any (revoked, idle, expired or of a disabled user: none). */
  async session(token: string): Promise<ConsoleSession | undefined> {
    const row = await this.store.liveSession(hashToken(token), CONSOLE_SESSION_IDLE_S, CONSOLE_SESSION_TOUCH_S);
    return row ? { user: row.user, csrfToken: row.csrfToken } : undefined;
  }

  async logout(token: string, session: ConsoleSession): Promise<void> {
    await this.store.revokeSession(hashToken(token));
    await this.audit.record({ actor: actorOf(session.user), action: 'logout' });
  }

  /** Forgets ended sessions and old failures (maintenance). */
  async prune(): Promise<void> {
    await this.store.pruneSessions(CONSOLE_SESSION_KEEP_S);
    await this.throttle.prune();
  }
}

/** How a console user appears as the actor of what they do (audit log, journal entries, runs). */
export function actorOf(user: Pick<ConsoleUser, 'username'>): string {
  return `user:${user.username}`;
}

function checkUsername(username: string): void {
  if (!USERNAME.test(username))
    throw new ValidationError(
      'a username is 2 to 64 characters: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
}

function checkRole(role: string): void {
  if (!(CONSOLE_ROLES as readonly string[]).includes(role))
    throw new ValidationError(`a role is one of ${CONSOLE_ROLES.join(', ')}`);
}

function checkPassword(password: string): string {
  if (password.length < CONSOLE_PASSWORD_LENGTH_MIN || password.length > CONSOLE_PASSWORD_LENGTH_MAX) {
    throw new ValidationError(
      `a password is ${CONSOLE_PASSWORD_LENGTH_MIN} to ${CONSOLE_PASSWORD_LENGTH_MAX} characters`,
    );
  }
  return password;
}
