import { setTimeout as sleep } from 'node:timers/promises';
import { RetriesExhaustedError, UncertainOutcomeError } from './errors';

/** How long retryUncertain keeps trying. */
export interface RetryLimits {
  /** Attempts in all, the first one included. */
  attemptsMax: number;
  /** No attempt starts later than this after the first one (an attempt in flight runs to its own timeout). */
  totalTimeMs: number;
  /** The wait before the second attempt; it doubles with each attempt, up to backoffMaxMs. */
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RETRY_LIMITS: Readonly<RetryLimits> = {
  attemptsMax: 8,
  totalTimeMs: 30_000,
  backoffInitialMs: 100,
  backoffMaxMs: 2_000,
};

/**
 * Runs `call` until it gives a definitive outcome: its result, or any error other than an
 * UncertainOutcomeError (a refusal is final and is thrown at once). An uncertain outcome (no answer,
 * timeout, HTTP 5xx, ACCOUNT_BUSY, SYNC_TIMEOUT) is tried again after a growing wait, within `limits`;
 * past them a RetriesExhaustedError carries the last uncertainty.
 *
 * Safe only when every attempt carries the same idempotency key: build the trade key or the
 * referenceId once, outside `call`. A fresh v2 nonce per attempt is right (the wallet client signs
 * each attempt anew): the key, not the nonce, is what makes a repeat apply once.
 */
export async function retryUncertain<T>(
  call: (attempt: number) => Promise<T>,
  limits: Partial<RetryLimits> = {},
): Promise<T> {
  const { attemptsMax, totalTimeMs, backoffInitialMs, backoffMaxMs } = { ...DEFAULT_RETRY_LIMITS, ...limits };
  const startedAtMs = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!(error instanceof UncertainOutcomeError)) throw error;
      const elapsedMs = Date.now() - startedAtMs;
      const delayMs = backoffDelayMs(attempt, backoffInitialMs, backoffMaxMs);
      if (attempt >= attemptsMax || elapsedMs + delayMs > totalTimeMs)
        throw new RetriesExhaustedError(attempt, elapsedMs, error);
      await sleep(delayMs);
    }
  }
}

/**
 * Exponential backoff with jitter: the wait after the `attempt`-th failure. Half of it is random so
 * that clients that failed together (one outage) do not all come back in the same millisecond.
 */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  const ceilingMs = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
  return Math.round(ceilingMs / 2 + Math.random() * (ceilingMs / 2));
}
