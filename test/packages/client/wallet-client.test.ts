import net from 'node:net';
import {
  ApiError,
  RetriesExhaustedError,
  retryUncertain,
  UncertainOutcomeError,
  WalletClient,
  type WalletSigning,
} from '@wallet-service/client';
import { holdAccountLock } from '../../support/probes';
import { TEST_WALLET_SECRET } from '../../support/test-service';
import { CuttingProxy } from './cutting-proxy';
import { useSdkFixture } from './sdk-fixture';

/** The SDK's wallet client and its retry helper against the real service (real PostgreSQL, real sockets). */
const ACCOUNT_LOCK_TIMEOUT_MS = 300;
const fixture = useSdkFixture({ ACCOUNT_LOCK_TIMEOUT_MS: String(ACCOUNT_LOCK_TIMEOUT_MS) });
const QUICK_RETRIES = { attemptsMax: 20, totalTimeMs: 20_000, backoffInitialMs: 20, backoffMaxMs: 200 };

describe('WalletClient', () => {
  it.each<WalletSigning>(['v2', 'legacy'])(
    'signed with %s: authenticate, getbalance, opentrade and closetrade move the money',
    async (signing) => {
      const wallet = new WalletClient(fixture.target.baseUrl, TEST_WALLET_SECRET, { signing });
      try {
        const login = await fixture.account('USD', '100.00');
        const authenticated = await wallet.authenticate({
          launchToken: (await fixture.operator.createLaunchToken({ login })).token,
        });
        expect(authenticated).toMatchObject({
          status: 'Ok',
          userId: String(login),
          currency: 'USD',
          balance: '100.00',
        });
        if (authenticated.status !== 'Ok') return;
        const token = authenticated.walletToken;
        expect(await wallet.getBalance({ token, currency: 'USD' })).toEqual({
          status: 'Ok',
          balance: '100.00',
          currency: 'USD',
        });

        const trade = {
          token,
          currency: 'USD',
          externalTradeType: 'options',
          externalTradeId: `sdk-${signing}`,
          data: { asset: 'EURUSD' },
        };
        expect(await wallet.openTrade({ ...trade, amount: '30.00' })).toEqual({
          status: 'Ok',
          balance: '70.00',
          currency: 'USD',
        });
        expect(await wallet.closeTrade({ ...trade, amount: '55.50' })).toEqual({
          status: 'Ok',
          balance: '125.50',
          currency: 'USD',
        });
        expect(await fixture.admin.getAccount({ login })).toMatchObject({
          balance: '125.50',
          credit: '0.00',
          held: '0.00',
        });
      } finally {
        wallet.close();
      }
    },
  );

  it('answers refusals as typed statuses, with nothing moved', async () => {
    const { login, token } = await fixture.player('50.00');
    const trade = { token, currency: 'USD', externalTradeType: 'options', externalTradeId: `refusals-${login}` };

    expect(await fixture.wallet.getBalance({ token, currency: 'USD', amount: '50.01' })).toMatchObject({
      status: 'InsufficientFunds',
      balance: '50.00',
    });
    expect(await fixture.wallet.openTrade({ ...trade, amount: '80.00' })).toMatchObject({
      status: 'InsufficientFunds',
      balance: '50.00',
    });
    expect(await fixture.wallet.openTrade({ ...trade, amount: '20.00' })).toMatchObject({
      status: 'Ok',
      balance: '30.00',
    });
    expect(await fixture.wallet.openTrade({ ...trade, amount: '21.00' })).toMatchObject({
      status: 'DuplicateTransaction',
    });
    expect(await fixture.wallet.getBalance({ token: 'not-a-token', currency: 'USD' })).toMatchObject({
      status: 'InvalidToken',
    });
    expect(await fixture.wallet.getBalance({ token, currency: 'EUR' })).toMatchObject({ status: 'CurrencyMismatch' });
    const impostor = new WalletClient(fixture.target.baseUrl, 'another-secret-0123456789abcdef');
    expect(await impostor.getBalance({ token, currency: 'USD' })).toMatchObject({ status: 'InvalidDigest' });
    impostor.close();

    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '30.00', held: '20.00' });
  });
});

describe('retryUncertain', () => {
  it('resends an opentrade whose answers were lost, with the same trade key: the stake is taken once', async () => {
    const { login, token } = await fixture.player('1000.00');
    const proxy = await CuttingProxy.start(fixture.target.service.httpPort, 2);
    const wallet = new WalletClient(proxy.url, TEST_WALLET_SECRET);
    const trade = {
      token,
      currency: 'USD',
      amount: '40.00',
      externalTradeType: 'options',
      externalTradeId: `lost-${login}`,
    };
    const failures: string[] = [];
    try {
      const answer = await retryUncertain(async (attempt) => {
        try {
          return await wallet.openTrade(trade);
        } catch (error) {
          failures.push(`${attempt}:${(error as UncertainOutcomeError).reason}`);
          throw error;
        }
      }, QUICK_RETRIES);

      // the third attempt is answered with the outcome the first one stored
      expect(answer).toEqual({ status: 'Ok', balance: '960.00', currency: 'USD' });
      expect(failures).toEqual(['1:network', '2:network']);
      expect(proxy.cuts).toBe(2);
      expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '960.00', held: '40.00' });
    } finally {
      wallet.close();
      await proxy.stop();
    }
  });

  it('retries the 503 of a locked account until the lock is released, then applies once', async () => {
    const { login, token } = await fixture.player('100.00');
    const release = await holdAccountLock(fixture.target.sql, login);
    const releaseAfterMs = 4 * ACCOUNT_LOCK_TIMEOUT_MS;
    const released = new Promise((resolve) => setTimeout(resolve, releaseAfterMs)).then(release);
    let attempts = 0;
    const trade = {
      token,
      currency: 'USD',
      amount: '10.00',
      externalTradeType: 'options',
      externalTradeId: `locked-${login}`,
    };

    const answer = await retryUncertain(() => ((attempts += 1), fixture.wallet.openTrade(trade)), QUICK_RETRIES);
    await released;

    expect(answer).toEqual({ status: 'Ok', balance: '90.00', currency: 'USD' });
    expect(attempts).toBeGreaterThan(1);
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '90.00', held: '10.00' });
  });

  it('gives up within its limits, and never retries a refusal', async () => {
    // a server that takes connections and never answers: each attempt times out
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const wallet = new WalletClient(
      `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
      TEST_WALLET_SECRET,
      { requestTimeoutMs: 100 },
    );
    try {
      const exhausted = retryUncertain(() => wallet.getBalance({ token: 't', currency: 'USD' }), {
        ...QUICK_RETRIES,
        attemptsMax: 3,
      });
      await expect(exhausted).rejects.toBeInstanceOf(RetriesExhaustedError);
      await expect(exhausted).rejects.toMatchObject({ attempts: 3, reason: 'timeout' });
    } finally {
      wallet.close();
      for (const socket of held) socket.destroy();
      silent.close();
    }

    let attempts = 0;
    const refused = retryUncertain(
      () => ((attempts += 1), fixture.admin.getAccount({ login: 999_999 })),
      QUICK_RETRIES,
    );
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND', httpStatus: 404 });
    expect(attempts).toBe(1);
  });
});
