import type { Database } from '../../db/database';
import { ValidationError } from '../../shared/errors';
import type { ConsoleRole } from './console-roles';

export interface ConsoleUser {
  id: string;
  username: string;
  role: ConsoleRole;
  disabled: boolean;
  createdAt: Date;
  createdBy: string;
}

export interface ConsoleSessionRow {
  user: ConsoleUser;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
}

interface UserRow {
  id: string;
  username: string;
  role: ConsoleRole;
  disabled_at: Date | null;
  created_at: Date;
  created_by: string;
}

const USER_COLUMNS = ['u.id', 'u.username', 'u.role', 'u.disabled_at', 'u.created_at', 'u.created_by'];
/** The same columns as an INSERT or UPDATE ... RETURNING names them. */
const UNQUALIFIED_USER_COLUMNS = USER_COLUMNS.map((column) => column.slice(2));

function toUser(row: UserRow): ConsoleUser {
  return {
    id: String(row.id),
    username: row.username,
    role: row.role,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

/** Console users and their server-side sessions (only a digest of a session's token is stored). */
export class ConsoleUserStore {
  constructor(private readonly db: Database) {}

  /** The new user; undefined when the username is taken. */
  async insertUser(
    username: string,
    role: ConsoleRole,
    passwordHash: string,
    createdBy: string,
  ): Promise<ConsoleUser | undefined> {
    const rows = await this.db('console_users')
      .insert({ username, role, password_hash: passwordHash, created_by: createdBy })
      .onConflict('username')
      .ignore()
      .returning<UserRow[]>(UNQUALIFIED_USER_COLUMNS);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async findUser(username: string): Promise<(ConsoleUser & { passwordHash: string }) | undefined> {
    const row = await this.db('console_users as u')
      .where('u.username', username)
      .first<(UserRow & { password_hash: string }) | undefined>([...USER_COLUMNS, 'u.password_hash']);
    return row ? { ...toUser(row), passwordHash: row.password_hash } : undefined;
  }

  async listUsers(): Promise<ConsoleUser[]> {
    const rows = await this.db('console_users as u').orderBy('u.username').select<UserRow[]>(USER_COLUMNS);
    return rows.map(toUser);
  }

  /**
   * Changes a user and answers the user after the change (undefined when there is no such user);
   * refuses to disable or demote the last enabled admin (the console would have nobody left to
   * manage its users). The enabled admins are locked first, so two admins demoting each other at
   * once are decided one after the other.
   */
  async updateUser(
    username: string,
    change: { role?: ConsoleRole; disabled?: boolean; passwordHash?: string },
  ): Promise<ConsoleUser | undefined> {
    const values: Record<string, unknown> = {};
    if (change.role !== undefined) values.role = change.role;
    if (change.disabled !== undefined)
      values.disabled_at = change.disabled ? this.db.raw('coalesce(disabled_at, now())') : null;
    if (change.passwordHash !== undefined) values.password_hash = change.passwordHash;
    const removesAnAdmin = change.disabled === true || (change.role !== undefined && change.role !== 'admin');
    return this.db.transaction(async (trx) => {
      if (removesAnAdmin) {
        const admins = await trx('console_users')
          .where('role', 'admin')
          .whereNull('disabled_at')
          .forUpdate()
          .pluck<string[]>('username');
        if (admins.length === 1 && admins[0] === username) {
          throw new ValidationError(`${username} is the last enabled admin: make another user admin first`);
        }
      }
      const rows = await trx('console_users as u')
        .where('u.username', username)
        .update(values)
        .returning<UserRow[]>(UNQUALIFIED_USER_COLUMNS);
      return rows[0] ? toUser(rows[0]) : undefined;
    });
  }

  async insertSession(
    tokenHash: Buffer,
    userId: string,
    csrfToken: string,
    address: string,
    lifetimeS: number,
  ): Promise<void> {
    await this.db('console_sessions').insert({
      token_hash: tokenHash,
      user_id: userId,
      csrf_token: csrfToken,
      address,
      expires_at: this.db.raw('now() + make_interval(secs => ?)', [lifetimeS]),
    });
  }

  /**
   * The live session of a token: not revoked, not past its absolute end, used within the idle
   * timeout, of a user not disabled. Marks it used when its last use is older than `touchAfterS`
   * (a write per request would tax every page for nothing).
   */
  async liveSession(tokenHash: Buffer, idleS: number, touchAfterS: number): Promise<ConsoleSessionRow | undefined> {
    const { rows } = await this.db.raw<{
      rows: Array<UserRow & { csrf_token: string; session_created_at: Date; last_seen_at: Date }>;
    }>(
      `WITH live AS (
         SELECT s.token_hash, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, ${USER_COLUMNS.join(', ')}
           FROM console_sessions s JOIN console_users u ON u.id = s.user_id
          WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > now()
            AND s.last_seen_at > now() - make_interval(secs => ?) AND u.disabled_at IS NULL
       ), touched AS (
         UPDATE console_sessions s SET last_seen_at = now() FROM live
          WHERE s.token_hash = live.token_hash AND live.last_seen_at < now() - make_interval(secs => ?)
       )
       SELECT * FROM live`,
      [tokenHash, idleS, touchAfterS],
    );
    const row = rows[0];
    return row
      ? {
          user: toUser(row),
          csrfToken: row.csrf_token,
          createdAt: row.session_created_at,
          lastSeenAt: row.last_seen_at,
        }
      : undefined;
  }

  /** Ends one session; true when it was live. */
  async revokeSession(tokenHash: Buffer): Promise<boolean> {
    const count = await this.db('console_sessions')
      .where({ token_hash: tokenHash })
      .whereNull('revoked_at')
      .update({ revoked_at: this.db.fn.now() });
    return count > 0;
  }

  /** Ends every session of a user; how many were live. */
  async revokeSessionsOf(username: string): Promise<number> {
    return this.db('console_sessions')
      .whereIn('user_id', this.db('console_users').select('id').where({ username }))
      .whereNull('revoked_at')
      .update({ revoked_at: this.db.fn.now() });
  }

  /** Forgets sessions ended more than `keepS` ago. */
  async pruneSessions(keepS: number): Promise<void> {
    await this.db('console_sessions')
      .where('expires_at', '<', this.db.raw('now() - make_interval(secs => ?)', [keepS]))
      .delete();
  }
}
