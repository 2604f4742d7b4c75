import { ManagerClient } from '@wallet-service/client';
import { hashToken } from '../../src/shared/tokens';
import { TestApi } from '../support/api';
import { managerClient } from '../support/manager';
import { entriesWithKey, holdAccountLock } from '../support/probes';
import { ledgerDiscrepancies, startTestService, type TestService } from '../support/test-service';

/**
 * One account whose row someone else holds locked (a slow transaction, a long report, an operator's
 * psql) costs only its own requests: the other accounts' requests on the same instance keep being
 * answered at once, the stuck ones get a definite, retryable answer, and a retry applies each once.
 */
const LOCK_HELD_MS = 10_000;
const ACCOUNT_LOCK_TIMEOUT_MS = 2_000;
/** What "at once" means here: far below the lock timeout, far above a request's own cost. */
const ANSWER_BOUND_MS = 1_000;

let target: TestService;
let api: TestApi;
let manager: ManagerClient;

beforeAll(async () => {
  target = await startTestService({ ACCOUNT_LOCK_TIMEOUT_MS: String(ACCOUNT_LOCK_TIMEOUT_MS) });
  api = new TestApi(target);
  manager = (await managerClient(api, target.service.managerPort)).client;
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  await manager.close();
  api.close();
  await target.stop();
});

const laneOf = (token: string) => hashToken(token).readUInt32BE(0) % target.config.moneyBatching.lanes;

/** A funded player whose wallet token shares the wallet lane of `token`. */
async function playerInLaneOf(token: string): Promise<{ login: number; token: string }> {
  for (;;) {
    const player = await api.player('1000.00');
    if (laneOf(player.token) === laneOf(token)) return player;
  }
}

/** Runs `call` and returns its result with how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await call();
  return { result, ms: Date.now() - started };
}

type Stuck = {
  key: string;
  send: () => Promise<{ status: number; body: unknown }>;
  applied: (status: number, body: unknown) => boolean;
};

describe('an account locked from outside for 10 s', () => {
  it('stalls only its own requests; each gets a retryable answer and applies once when retried', async () => {
    const stuck = await api.player('1000.00');
    const other = await playerInLaneOf(stuck.token);
    const otherManaged = await api.createAccount();

    const release = await holdAccountLock(target.sql, stuck.login);
    let releaseTimer: NodeJS.Timeout | undefined;
    const released = new Promise<void>((resolve) => {
      releaseTimer = setTimeout(() => void release().then(resolve), LOCK_HELD_MS);
    });
    try {
      // 30 commands queued on the locked account: manager (plain and Sync), admin, wallet
      const commands: Stuck[] = Array.from({ length: 30 }, (_, i) => {
        const key = `stuck-${i}`;
        switch (i % 4) {
          case 0:
            return {
              key,
              send: async () => {
                const answer = await manager.command('BalanceIn', { login: stuck.login, amount: 1, referenceId: key });
                return { status: answer.status, body: answer.data };
              },
              applied: (status) => status === 200,
            };
          case 1:
            return {
              key,
              send: async () => {
                const answer = await manager.command('BalanceInSync', {
                  login: stuck.login,
                  amount: 1,
                  referenceId: key,
                });
                return { status: answer.status, body: answer.data };
              },
              applied: (status) => status === 200,
            };
          case 2:
            return {
              key,
              send: async () => {
                const response = await api.balanceOperation(stuck.login, 'add', '1', key);
                return { status: response.status, body: response.body };
              },
              applied: (status) => status === 200,
            };
          default:
            return {
              key: `options:${key}`,
              send: async () => {
                const response = await api.wallet.send('opentrade', {
                  token: stuck.token,
                  amount: '1',
                  currency: 'USD',
                  externalTradeType: 'options',
                  externalTradeId: key,
                });
                return { status: response.status, body: response.body };
              },
              applied: (status, body) => status === 200 && (body as { status: string }).status === 'Ok',
            };
        }
      });
      const answeredAt: number[] = [];
      const stuckAnswers = commands.map((command) => command.send().finally(() => answeredAt.push(Date.now())));

      // meanwhile, everything else on the instance is answered at once
      const checks = await Promise.all([
        timed(() => manager.command('BalanceInSync', { login: otherManaged, amount: 5 })),
        timed(() => api.balanceOperation(otherManaged, 'add', '5')),
        timed(() =>
          api.wallet.call('opentrade', {
            token: other.token,
            amount: '5',
            currency: 'USD',
            externalTradeType: 'options',
            externalTradeId: 'other-1',
          }),
        ),
        timed(() => api.wallet.call('getbalance', { token: other.token, currency: 'USD' })),
        timed(() => api.http.request('GET', '/healthz', null)),
        // a read of the locked account itself is not blocked either
        timed(() => api.wallet.call('getbalance', { token: stuck.token, currency: 'USD' })),
      ]);
      expect(checks.map((check) => check.ms).every((ms) => ms < ANSWER_BOUND_MS)).toBe(true);
      expect(checks[0]!.result).toMatchObject({ status: 200, data: { profit: 5 } });
      expect(checks[1]!.result).toMatchObject({ status: 200 });
      expect(checks[2]!.result).toMatchObject({ status: 'Ok', balance: '995.00' });
      expect(checks[3]!.result).toMatchObject({ status: 'Ok', balance: '995.00' });
      expect(checks[4]!.result).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(checks[5]!.result).toMatchObject({ status: 'Ok', balance: '1000.00' });

      // the stuck ones get their definite, retryable answer while the lock is still held
      const answers = await Promise.all(stuckAnswers);
      expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(503));
      // all at once when the lock did not come, not one lock timeout after another
      expect(Math.max(...answeredAt) - Math.min(...answeredAt)).toBeLessThan(ACCOUNT_LOCK_TIMEOUT_MS / 2);
      commands.forEach((command, i) => {
        const body = answers[i]!.body as Record<string, unknown>;
        expect(body).toMatchObject(
          command.key.startsWith('options:') ? { status: 'Unavailable' } : { error: 'ACCOUNT_BUSY' },
        );
      });
      expect(await api.account(stuck.login)).toMatchObject({ balance: '1000.00', held: '0.00' });

      // retried with the same keys once the lock is gone: each applied exactly once
      await released;
      for (const command of commands) {
        const retry = await command.send();
        expect(command.applied(retry.status, retry.body)).toBe(true);
        const again = await command.send();
        expect(command.applied(again.status, again.body)).toBe(true);
      }
      for (const command of commands) expect(await entriesWithKey(target.sql, command.key)).toBe(1);
      // 23 deposits of 1.00 (manager and admin), 7 stakes of 1.00 held
      expect(await api.account(stuck.login)).toMatchObject({ balance: '1016.00', held: '7.00' });
    } finally {
      clearTimeout(releaseTimer);
      await release();
    }
  });
});
