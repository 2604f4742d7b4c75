import type { Database } from '../../db/database';
import { LOCK_TIMEOUT_SQLSTATE } from '../../db/transient';
import { TooManyAttemptsError, UnavailableError } from '../../shared/errors';

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

/** An attempt counted before its credential is evaluated: a failure leaves it counted. */
export interface ReservedAttempt {
  /**
   * Takes the attempt back: the credential was right (a success is not a failure), or it was never
   * evaluated (the caller refused it for another reason before any answer about it was given).
   */
  release(): Promise<void>;
}

/**
 * Failed authentications, counted in PostgreSQL so that every instance sees the same counts: a
 * subject over its limit is refused (TooManyAttemptsError with the seconds to wait) until its
 * oldest counted failure leaves the window.
 *
 * A guess is counted before its credential is evaluated (`reserve`, decided one after the other per
 * subject on every instance: failure-throttle.sql), so no more guesses are evaluated in a window
 * than the limit, however many arrive at once and on however many instances.
 */
export class FailureThrottle {
  constructor(
    private readonly db: Database,
    /** THROTTLE_LIMITS, or raised by a test about something else than throttling. */
    private readonly limits: Record<ThrottleScope, { failuresMax: number; windowS: number }> = THROTTLE_LIMITS,
  ) {}

  /**
   * Counts one attempt of every subject, before its credential is evaluated, and only when every one
   * is under its limit; else throws TooManyAttemptsError with the longest wait among them and counts
   * nothing. One round trip. What the caller learns of the credential must wait for this answer.
   */
  async reserve(...subjects: ThrottleSubject[]): Promise<ReservedAttempt> {
    const { rows } = await this.db
      .raw<{ rows: Array<{ attempt_ids: string[] | null; wait_s: number | null }> }>(
        'SELECT attempt_ids, wait_s FROM auth_attempt_reserve(?::jsonb)',
        [this.limitsOf(subjects)],
      )
      .catch((error: { code?: string }) => {
        // the subject's lock is held for a count and an insert only: a wait this long is a flood
        if (error.code === LOCK_TIMEOUT_SQLSTATE)
          throw new UnavailableError('too many attempts at once for this user or address; retry later');
        throw error;
      });
    const { attempt_ids: ids, wait_s: waitS } = rows[0]!;
    if (waitS !== null) throw tooMany(waitS);
    return {
      release: () =>
        this.db('auth_failures')
          .whereIn('id', ids!)
          .delete()
          .then(() => undefined),
    };
  }

  /**
   * Throws TooManyAttemptsError when any of the subjects is over its limit, with the longest wait
   * among them; else returns. One indexed read, for a credential found right without the database
   * (a right bearer key: it is not a guess to count, but is refused like one over the limit).
   */
  async check(...subjects: ThrottleSubject[]): Promise<void> {
    const { rows } = await this.db.raw<{ rows: Array<{ wait_s: number | null }> }>(
      'SELECT auth_attempt_wait(?::jsonb, now()) AS wait_s',
      [this.limitsOf(subjects)],
    );
    const waitS = rows[0]!.wait_s;
    if (waitS !== null) throw tooMany(waitS);
  }

  /** Forgets failures older than every window (the table only grows otherwise). */
  async prune(): Promise<void> {
    const windowS = Math.max(...Object.values(this.limits).map((limit) => limit.windowS));
    await this.db('auth_failures')
      .where('failed_at', '<', this.db.raw('now() - make_interval(secs => ?)', [windowS]))
      .delete();
  }

  private limitsOf(subjects: readonly ThrottleSubject[]): string {
    return JSON.stringify(
      subjects.map(([scope, subject]) => ({
        scope,
        subject,
        window_s: this.limits[scope].windowS,
        failures_max: this.limits[scope].failuresMax,
      })),
    );
  }
}

function tooMany(retryAfterS: number): TooManyAttemptsError {
  return new TooManyAttemptsError('too many failed attempts; try again later', { retryAfterS });
}
