import type { Database } from '../../db/database';
import { TooManyAttemptsError } from '../../shared/errors';

/** What is counted: console logins per username and per address, wrong bearer keys per address. */
export type ThrottleScope = 'console-user' | 'console-address' | 'bearer-address';

/** Who is counted: a scope and its subject (a username, an address). */
export type ThrottleSubject = [scope: ThrottleScope, subject: string];

/** Failures allowed per subject within the window; the next attempt is refused until the oldest leaves it. */
export const THROTTLE_LIMITS: Record<ThrottleScope, { failuresMax: number; windowS: number }> = {
  'console-user': { failuresMax: 5, windowS: 15 * 60 },
  'console-address': { failuresMax: 20, windowS: 15 * 60 },
  'bearer-address': { failuresMax: 10, windowS: 60 },
};

/**
 * Failed authentications, counted in PostgreSQL so that every instance sees the same counts: a
 * subject over its limit is refused (TooManyAttemptsError with the seconds to wait) until its
 * oldest counted failure leaves the window.
 */
export class FailureThrottle {
  constructor(
    private readonly db: Database,
    /** THROTTLE_LIMITS, or raised by a test about something else than throttling. */
    private readonly limits: Record<ThrottleScope, { failuresMax: number; windowS: number }> = THROTTLE_LIMITS,
  ) {}

  /**
   * Throws TooManyAttemptsError when any of the subjects is over its limit, with the longest wait
   * among them; else returns. One query for all of them.
   */
  async check(...subjects: ThrottleSubject[]): Promise<void> {
    const waits = await this.retryAfterS(subjects);
    if (waits.length > 0) throw new TooManyAttemptsError('too many failed attempts; try again later', { retryAfterS: Math.max(...waits) });
  }

  /** Counts a failure of each subject (the next check sees them, on every instance); one insert. */
  async recordFailure(...subjects: ThrottleSubject[]): Promise<void> {
    await this.db('auth_failures').insert(subjects.map(([scope, subject]) => ({ scope, subject })));
  }

  /** Forgets failures older than every window (the table only grows otherwise). */
  async prune(): Promise<void> {
    const windowS = Math.max(...Object.values(this.limits).map((limit) => limit.windowS));
    await this.db('auth_failures').where('failed_at', '<', this.db.raw('now() - make_interval(secs => ?)', [windowS])).delete();
  }

  /** The seconds to wait of each subject over its limit (none: every subject may try). */
  private async retryAfterS(subjects: readonly ThrottleSubject[]): Promise<number[]> {
    const limits = subjects.map(([scope, subject]) => ({ scope, subject, window_s: this.limits[scope].windowS, failures_max: this.limits[scope].failuresMax }));
    const { rows } = await this.db.raw<{ rows: Array<{ wait_s: string | null }> }>(
      `SELECT ceil(extract(epoch FROM min(recent.failed_at) + make_interval(secs => v.window_s) - now()))::text AS wait_s
         FROM jsonb_to_recordset(?::jsonb) AS v (scope text, subject text, window_s integer, failures_max integer)
         CROSS JOIN LATERAL (SELECT failed_at FROM auth_failures a
                              WHERE a.scope = v.scope AND a.subject = v.subject AND a.failed_at > now() - make_interval(secs => v.window_s)
                              ORDER BY a.failed_at DESC LIMIT v.failures_max) AS recent
        GROUP BY v.scope, v.subject, v.window_s, v.failures_max
       HAVING count(*) >= v.failures_max`,
      [JSON.stringify(limits)],
    );
    return rows.map((row) => Math.max(1, Number(row.wait_s)));
  }
}
