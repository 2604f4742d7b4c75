import { createDatabase, type Database } from '../../../src/db/database';
import { FailureThrottle } from '../../../src/core/access/failure-throttle';
import { TooManyAttemptsError } from '../../../src/shared/errors';
import { createTestDatabase } from '../../support/database';

/** The authentication throttle on a real database: counts shared by every instance. */
const LIMITS = {
  'console-user': { failuresMax: 2, windowS: 60 },
  'console-address': { failuresMax: 3, windowS: 600 },
  'bearer-address': { failuresMax: 5, windowS: 60 },
};
/** Guesses sent at once in the concurrency test, far more than any limit. */
const GUESSES_AT_ONCE = 60;

let testDatabase: { url: string; drop: () => Promise<void> };
let database: Database;
/** A second pool on the same database: another instance's throttle. */
let otherDatabase: Database;
beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = createDatabase(testDatabase.url, { poolMax: 8 });
  otherDatabase = createDatabase(testDatabase.url, { poolMax: 8 });
});
afterAll(async () => {
  await database.destroy();
  await otherDatabase.destroy();
  await testDatabase.drop();
});

const counted = async (scope: string, subject: string) =>
  Number(
    (await database('auth_failures').where({ scope, subject }).count<{ count: string }[]>('* as count'))[0]!.count,
  );
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('FailureThrottle', () => {
  it('refuses a subject over its limit with the longest wait of the subjects checked, and lets the others try', async () => {
    const throttle = new FailureThrottle(database, LIMITS);
    for (let i = 0; i < 2; i += 1) await throttle.reserve(['console-user', 'ann'], ['console-address', '10.0.0.1']);
    await throttle.reserve(['console-address', '10.0.0.1']);
    // both over their limits: the address's window (600 s) is the longer wait, whichever answers first
    const refused = await refusal(throttle.check(['console-user', 'ann'], ['console-address', '10.0.0.1']));
    expect(refused).toBeInstanceOf(TooManyAttemptsError);
    const wait = (refused as TooManyAttemptsError).details.retryAfterS as number;
    expect(wait).toBeGreaterThan(60);
    expect(wait).toBeLessThanOrEqual(600);
    // a refused reservation says the same, and counts nothing
    const reserveRefused = (await refusal(
      throttle.reserve(['console-user', 'ann'], ['console-address', '10.0.0.1']),
    )) as TooManyAttemptsError;
    expect(reserveRefused).toBeInstanceOf(TooManyAttemptsError);
    expect(reserveRefused.details.retryAfterS).toBeGreaterThan(60);
    expect([await counted('console-user', 'ann'), await counted('console-address', '10.0.0.1')]).toEqual([2, 3]);
    // the user alone: its own 60-second window
    const user = (await refusal(throttle.check(['console-user', 'ann']))) as TooManyAttemptsError;
    expect(user.details.retryAfterS).toBeLessThanOrEqual(60);
    // another user from another address, one failure below the limit: may try
    await throttle.reserve(['console-user', 'bob'], ['console-address', '10.0.0.2']);
    await expect(throttle.check(['console-user', 'bob'], ['console-address', '10.0.0.2'])).resolves.toBeUndefined();
    await throttle.reserve(['console-user', 'bob']);
    await expect(throttle.check(['console-user', 'bob'], ['console-address', '10.0.0.2'])).rejects.toBeInstanceOf(
      TooManyAttemptsError,
    );
  });

  it('counts no more reservations than the limit when they all arrive at once on two instances', async () => {
    const throttles = [new FailureThrottle(database, LIMITS), new FailureThrottle(otherDatabase, LIMITS)];
    const answers = await Promise.all(
      Array.from({ length: GUESSES_AT_ONCE }, (_, i) =>
        refusal(throttles[i % 2]!.reserve(['bearer-address', '10.0.1.1'])),
      ),
    );
    expect(answers.filter((answer) => answer === undefined)).toHaveLength(LIMITS['bearer-address'].failuresMax);
    expect(answers.filter((answer) => answer instanceof TooManyAttemptsError)).toHaveLength(
      GUESSES_AT_ONCE - LIMITS['bearer-address'].failuresMax,
    );
    expect(await counted('bearer-address', '10.0.1.1')).toBe(LIMITS['bearer-address'].failuresMax);
  });

  it('counts an attempt on every subject or on none: a username at its limit takes nothing from the address', async () => {
    const throttle = new FailureThrottle(database, LIMITS);
    for (let i = 0; i < 2; i += 1) await throttle.reserve(['console-user', 'cid']);
    const answers = await Promise.all(
      Array.from({ length: GUESSES_AT_ONCE }, () =>
        refusal(throttle.reserve(['console-user', 'cid'], ['console-address', '10.0.2.1'])),
      ),
    );
    expect(answers.every((answer) => answer instanceof TooManyAttemptsError)).toBe(true);
    expect([await counted('console-user', 'cid'), await counted('console-address', '10.0.2.1')]).toEqual([2, 0]);
  });

  it('forgets a released attempt (a success) and keeps the others (failures)', async () => {
    const throttle = new FailureThrottle(database, LIMITS);
    const succeeded = await throttle.reserve(['console-user', 'dee'], ['console-address', '10.0.3.1']);
    await throttle.reserve(['console-user', 'dee'], ['console-address', '10.0.3.1']);
    await expect(throttle.check(['console-user', 'dee'])).rejects.toBeInstanceOf(TooManyAttemptsError);
    await succeeded.release();
    expect([await counted('console-user', 'dee'), await counted('console-address', '10.0.3.1')]).toEqual([1, 1]);
    await expect(throttle.check(['console-user', 'dee'], ['console-address', '10.0.3.1'])).resolves.toBeUndefined();
  });
});
