import type { Database } from '../../db/database';
import { TooManyAttemptsError } from '../../shared/errors';

/** What is counted: console logins per username and per address, wrong bearer keys per address. */
export type ThrottleScope = 'console-user' | 'console-address' | 'bearer-address';

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

  /** Throws TooManyAttemptsError when the subject is over its limit; else returns. */
  async check(scope: ThrottleScope, subject: string): Promise<void> {
    const retryAfterS = await this.retryAfterS(scope, subject);
    if (retryAfterS !== undefined) throw new TooManyAttemptsError('too many failed attempts; try again later', { retryAfterS });
  }

  /** Counts a failure (the next check sees it, on every instance). */
  async recordFailure(scope: ThrottleScope, subject: string): Promise<void> {
    await this.db('auth_failures').insert({ scope, subject });
  }

  /** Forgets failures older than every window (the table only grows otherwise). */
  async prune(): Promise<void> {
    const windowS = Math.max(...Object.values(this.limits).map((limit) => limit.windowS));
    await this.db('auth_failures').where('failed_at', '<', this.db.raw('now() - make_interval(secs => ?)', [windowS])).delete();
  }

  private async retryAfterS(scope: ThrottleScope, subject: string): Promise<number | undefined> {
    const { failuresMax, windowS } = this.limits[scope];
    const { rows } = await this.db.raw<{ rows: Array<{ failures: number; wait_s: string | null }> }>(
      `SELECT count(*)::int AS failures,
              ceil(extract(epoch FROM min(failed_at) + make_interval(secs => ?) - now()))::text AS wait_s
         FROM (SELECT failed_at FROM auth_failures
                WHERE scope = ? AND subject = ? AND failed_at > now() - make_interval(secs => ?)
                ORDER BY failed_at DESC LIMIT ?) AS recent`,
      [windowS, scope, subject, windowS, failuresMax],
    );
    const row = rows[0]!;
    return row.failures >= failuresMax ? Math.max(1, Number(row.wait_s)) : undefined;
  }
}
