import { createDatabase, type Database } from '../../../src/db/database';
import { FailureThrottle } from '../../../src/core/access/failure-throttle';
import { TooManyAttemptsError } from '../../../src/shared/errors';
import { createTestDatabase } from '../../support/database';

/** The authentication throttle on a real database: counts shared by every instance. */
const LIMITS = {
  'console-user': { failuresMax: 2, windowS: 60 },
  'console-address': { failuresMax: 3, windowS: 600 },
  'bearer-address': { failuresMax: 1, windowS: 60 },
};

let testDatabase: { url: string; drop: () => Promise<void> };
let database: Database;
beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = createDatabase(testDatabase.url, { poolMax: 2 });
});
afterAll(async () => {
  await database.destroy();
  await testDatabase.drop();
});

describe('FailureThrottle', () => {
  it('refuses a subject over its limit with the longest wait of the subjects checked, and lets the others try', async () => {
    const throttle = new FailureThrottle(database, LIMITS);
    for (let i = 0; i < 3; i += 1) await throttle.recordFailure(['console-user', 'ann'], ['console-address', '10.0.0.1']);
    // both over their limits: the address's window (600 s) is the longer wait, whichever answers first
    const refused = await throttle.check(['console-user', 'ann'], ['console-address', '10.0.0.1']).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyAttemptsError);
    const wait = (refused as TooManyAttemptsError).details.retryAfterS as number;
    expect(wait).toBeGreaterThan(60);
    expect(wait).toBeLessThanOrEqual(600);
    // the user alone: its own 60-second window
    const user = (await throttle.check(['console-user', 'ann']).catch((error: unknown) => error)) as TooManyAttemptsError;
    expect(user.details.retryAfterS).toBeLessThanOrEqual(60);
    // another user from another address, one failure below the limit: may try
    await throttle.recordFailure(['console-user', 'bob'], ['console-address', '10.0.0.2']);
    await expect(throttle.check(['console-user', 'bob'], ['console-address', '10.0.0.2'])).resolves.toBeUndefined();
    await throttle.recordFailure(['console-user', 'bob']);
    await expect(throttle.check(['console-user', 'bob'], ['console-address', '10.0.0.2'])).rejects.toBeInstanceOf(TooManyAttemptsError);
  });
});
