import { ManagerClient, type ManagerAnswer } from '@wallet-service/client';
import type { HttpJsonResponse } from '@wallet-service/client';
import { WalletClient } from '@wallet-service/client';
import { bucketsOf } from '../../support/probes';
import { TestApi } from '../../support/api';
import { eventually, managerClient } from '../../support/manager';
import {
  TEST_WALLET_SECRET,
  ledgerDiscrepancies,
  startTestService,
  type TestService,
} from '../../support/test-service';
import { holdAccountLocks, lockWaiters, settle, tradeEntriesByKey, tradesById } from './support';

/**
 * service.stop() (what SIGTERM does) while wallet requests and Sync commands are in flight, held
 * there by row locks a test connection keeps for a moment: every request answered Ok is in the ledger
 * exactly once, every Sync command gets an answer (its event, 504 SYNC_TIMEOUT, or 503 SHUTTING_DOWN
 * before it was accepted), requests after the stop are refused or find the connection closed, and
 * the ledger invariants hold.
 */

const PLAYERS = 10;
const WALLET_REQUESTS = 50;
const SYNC_COMMANDS = 20;
const TRADE_TYPE = 'shutdown';

let target: TestService;
let api: TestApi;

afterEach(async () => {
  api.close();
  await target.stop();
});

interface Player {
  login: number;
  token: string;
}

async function players(): Promise<Player[]> {
  const made: Player[] = [];
  for (let index = 0; index < PLAYERS; index += 1) made.push(await api.player('100.00'));
  return made;
}

const tradeOf = (player: Player, id: string) => ({
  token: player.token,
  currency: 'USD',
  amount: '1',
  externalTradeType: TRADE_TYPE,
  externalTradeId: id,
});

/** Opens `sockets` keep-alive connections of the client, so that the requests that follow need no new connection. */
async function warm(wallet: WalletClient, sockets: number): Promise<void> {
  const answers = await Promise.all(
    Array.from({ length: sockets }, () => wallet.http.request('GET', '/healthz', null)),
  );
  expect(answers.map((answer) => answer.status)).toEqual(Array(sockets).fill(200));
}

/** Until the service has received `count` HTTP requests that it has not answered yet. */
async function untilHttpInFlight(count: number): Promise<void> {
  await eventually(
    async () => (await target.service.metrics.httpInFlight.get()).values[0]?.value === count,
    5000,
    `${count} HTTP requests in flight`,
  );
}

/** What a wallet client saw: an answer, or a connection error (refused, reset). */
type WalletOutcome = { id: string; login: number; response?: HttpJsonResponse; error?: string };

async function sendTrade(wallet: WalletClient, player: Player, id: string): Promise<WalletOutcome> {
  const outcome = await settle(wallet.send('opentrade', tradeOf(player, id)));
  return outcome.ok
    ? { id, login: player.login, response: outcome.value }
    : { id, login: player.login, error: outcome.error };
}

const isOk = (outcome: WalletOutcome) =>
  outcome.response?.status === 200 && (outcome.response.body as { status: string }).status === 'Ok';
/** A refusal that tells the platform to retry: 503, or no connection at all. */
const isRefusal = (outcome: WalletOutcome) => outcome.response?.status === 503 || outcome.error !== undefined;

/** The ledger after the stop: each Ok trade exactly once, nothing of a refused one, buckets equal to a replay. */
async function expectLedgerMatches(
  everyPlayer: Player[],
  outcomes: WalletOutcome[],
  syncApplied: Map<number, number>,
): Promise<void> {
  const trades = await tradesById(target.sql, TRADE_TYPE);
  const entries = await tradeEntriesByKey(target.sql, TRADE_TYPE);
  for (const outcome of outcomes) {
    const seen = {
      id: outcome.id,
      trade: trades.get(outcome.id),
      entries: entries.get(`${TRADE_TYPE}:${outcome.id}`) ?? 0,
    };
    if (isOk(outcome))
      expect(seen).toEqual({
        id: outcome.id,
        trade: { login: String(outcome.login), state: 'open', stake: '100' },
        entries: 1,
      });
    else expect(seen).toEqual({ id: outcome.id, trade: undefined, entries: 0 });
  }
  expect(trades.size).toBe(outcomes.filter(isOk).length);
  for (const player of everyPlayer) {
    const opened = outcomes.filter((outcome) => outcome.login === player.login && isOk(outcome)).length;
    const deposited = syncApplied.get(player.login) ?? 0;
    const { balance, held } = await bucketsOf(target.sql, player.login);
    expect({ login: player.login, balance, held }).toEqual({
      login: player.login,
      balance: String(10000 - 100 * opened + 200 * deposited),
      held: String(100 * opened),
    });
  }
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
}

it('stop() under load answers what is in flight, refuses what comes after, and loses no acknowledged operation', async () => {
  target = await startTestService();
  api = new TestApi(target);
  const everyPlayer = await players();
  const inFlightWallet = new WalletClient(target.baseUrl, TEST_WALLET_SECRET, { maxSockets: WALLET_REQUESTS + 8 });
  // A platform with a small keep-alive pool: its requests after the stop reuse connections opened before it.
  const pooledWallet = new WalletClient(target.baseUrl, TEST_WALLET_SECRET, { maxSockets: 4 });
  const { client: manager } = await managerClient(api, target.service.managerPort);
  const logins = everyPlayer.map((player) => player.login);
  await warm(inFlightWallet, WALLET_REQUESTS);
  await warm(pooledWallet, 4);

  const locks = await holdAccountLocks(target.sql, logins);
  let walletInFlight: Promise<WalletOutcome>[];
  let pooledBefore: Promise<WalletOutcome>[];
  let syncInFlight: Promise<{
    referenceId: string;
    login: number;
    answer: Awaited<ReturnType<typeof settle<ManagerAnswer>>>;
  }>[];
  try {
    walletInFlight = Array.from({ length: WALLET_REQUESTS }, (_, index) =>
      sendTrade(inFlightWallet, everyPlayer[index % PLAYERS]!, `in-flight-${index}`),
    );
    pooledBefore = Array.from({ length: 4 }, (_, index) =>
      sendTrade(pooledWallet, everyPlayer[index]!, `pooled-before-${index}`),
    );
    syncInFlight = Array.from({ length: SYNC_COMMANDS }, async (_, index) => {
      const login = logins[index % PLAYERS]!;
      const referenceId = `sync-${index}`;
      return {
        referenceId,
        login,
        answer: await settle(manager.command('BalanceInSync', { login, amount: 2, referenceId })),
      };
    });
    // In flight: every Sync command has its waiter, and both wallet lanes are blocked on a row lock.
    await eventually(
      async () => (await target.service.metrics.syncWaiters.get()).values[0]?.value === SYNC_COMMANDS,
      5000,
      'sync waiters',
    );
    await eventually(async () => (await lockWaiters(target.sql)) >= 2, 5000, 'wallet lanes blocked');
    await untilHttpInFlight(WALLET_REQUESTS + 4);
  } catch (error) {
    await locks.release();
    throw error;
  }

  const stopped = target.service.stop();
  // After the stop: new requests on the pooled connections, a new connection, and new manager commands.
  const pooledAfter = Array.from({ length: 8 }, (_, index) =>
    sendTrade(pooledWallet, everyPlayer[index % PLAYERS]!, `after-stop-${index}`),
  );
  const managerAfter = [
    settle(manager.command('BalanceInSync', { login: logins[0], amount: 2, referenceId: 'after-stop-sync' })),
    settle(manager.command('BalanceIn', { login: logins[0], amount: 2, referenceId: 'after-stop-plain' })),
  ];
  const newConnection = settle(ManagerClient.connect(target.service.managerPort));
  const healthAfter = settle(api.http.request('GET', '/healthz', null));
  await new Promise((resolve) => setTimeout(resolve, 300));
  await locks.release();
  await stopped;

  const walletOutcomes = await Promise.all([...walletInFlight, ...pooledBefore]);
  const afterOutcomes = await Promise.all(pooledAfter);
  const syncOutcomes = await Promise.all(syncInFlight);
  inFlightWallet.close();
  pooledWallet.close();

  // Everything in flight was answered, and applied.
  expect(
    walletOutcomes
      .filter((outcome) => !isOk(outcome))
      .map((outcome) => [outcome.id, outcome.response?.status ?? outcome.error]),
  ).toEqual([]);
  for (const { referenceId, answer } of syncOutcomes) {
    expect({ referenceId, answered: answer.ok, status: answer.ok ? answer.value.status : undefined }).toEqual({
      referenceId,
      answered: true,
      status: 200,
    });
  }
  // Nothing that came after the stop was taken on.
  for (const outcome of afterOutcomes)
    expect({ id: outcome.id, refused: isRefusal(outcome) }).toEqual({ id: outcome.id, refused: true });
  for (const answer of await Promise.all(managerAfter)) {
    // 503 SHUTTING_DOWN, or the connection was already closed
    if (answer.ok) expect(answer.value).toMatchObject({ status: 503, data: { error: 'SHUTTING_DOWN' } });
  }
  const connection = await newConnection;
  if (connection.ok) {
    const ping = await settle(connection.value.command('Ping'));
    expect(ping.ok && ping.value.status === 200).toBe(false);
    await connection.value.close();
  }
  const health = await healthAfter;
  expect(health.ok ? health.value.status : 503).toBe(503);

  const applied = new Map<number, number>();
  for (const { login, answer } of syncOutcomes)
    if (answer.ok && answer.value.status === 200) applied.set(login, (applied.get(login) ?? 0) + 1);
  await expectLedgerMatches(everyPlayer, [...walletOutcomes, ...afterOutcomes], applied);
  const { rows } = await target.sql.query(`SELECT key FROM idempotency_keys WHERE key LIKE 'after-stop-%'`);
  expect(rows).toEqual([]);
  await manager.close();
});

it('stop() while Sync commands outlive their timeout: each is answered 504 SYNC_TIMEOUT, recorded, and resolves to applied once or not at all', async () => {
  target = await startTestService({ MANAGER_SYNC_TIMEOUT_MS: '200' });
  api = new TestApi(target);
  const everyPlayer = await players();
  const logins = everyPlayer.map((player) => player.login);
  const wallet = new WalletClient(target.baseUrl, TEST_WALLET_SECRET, { maxSockets: WALLET_REQUESTS + 8 });
  const { client: manager } = await managerClient(api, target.service.managerPort);
  await warm(wallet, WALLET_REQUESTS);

  const locks = await holdAccountLocks(target.sql, logins);
  let walletInFlight: Promise<WalletOutcome>[];
  let syncInFlight: Promise<{
    referenceId: string;
    login: number;
    answer: Awaited<ReturnType<typeof settle<ManagerAnswer>>>;
  }>[];
  try {
    walletInFlight = Array.from({ length: WALLET_REQUESTS }, (_, index) =>
      sendTrade(wallet, everyPlayer[index % PLAYERS]!, `slow-${index}`),
    );
    // a command is either waiting for its event or already answered (its 200 ms ran out first, on a
    // busy machine); the stop comes once every one of them has reached the service
    let answeredBeforeStop = 0;
    syncInFlight = Array.from({ length: SYNC_COMMANDS }, async (_, index) => {
      const login = logins[index % PLAYERS]!;
      const referenceId = `late-sync-${index}`;
      const answer = await settle(manager.command('BalanceInSync', { login, amount: 2, referenceId }));
      answeredBeforeStop += 1;
      return { referenceId, login, answer };
    });
    const waiting = async () => (await target.service.metrics.syncWaiters.get()).values[0]?.value ?? 0;
    await eventually(
      async () => (await waiting()) + answeredBeforeStop === SYNC_COMMANDS,
      5000,
      'sync commands waiting or answered',
    );
    await eventually(async () => (await lockWaiters(target.sql)) >= 2, 5000, 'wallet lanes blocked');
    await untilHttpInFlight(WALLET_REQUESTS);
  } catch (error) {
    await locks.release();
    throw error;
  }
  const stopped = target.service.stop();
  await new Promise((resolve) => setTimeout(resolve, 600)); // longer than the Sync timeout
  await locks.release();
  await stopped;
  const walletOutcomes = await Promise.all(walletInFlight);
  const syncOutcomes = await Promise.all(syncInFlight);
  wallet.close();

  expect(
    walletOutcomes
      .filter((outcome) => !isOk(outcome))
      .map((outcome) => [outcome.id, outcome.response?.status ?? outcome.error, outcome.response?.text]),
  ).toEqual([]);
  const orders: number[] = [];
  for (const { referenceId, answer } of syncOutcomes) {
    expect({ referenceId, answered: answer.ok, answer: answer.ok ? answer.value : undefined }).toEqual({
      referenceId,
      answered: true,
      answer: {
        extID: expect.any(String),
        status: 504,
        data: { error: 'SYNC_TIMEOUT', kind: 'trade', order: expect.any(Number) },
      },
    });
    if (answer.ok) orders.push(answer.value.data.order as number);
  }
  // Each timed-out command is on the finance team's list, and its record exists once, final, or not at all.
  const timeouts = await target.sql.query(`SELECT order_no::int AS order FROM sync_timeouts ORDER BY order_no`);
  expect(timeouts.rows.map((row) => row.order)).toEqual([...orders].sort((a, b) => a - b));
  const records = await target.sql.query(
    `SELECT order_no::int AS order, login::int AS login, state, count(*) OVER (PARTITION BY order_no)::int AS copies FROM finance_records WHERE order_no = ANY($1::bigint[])`,
    [orders],
  );
  expect(records.rows.every((row) => row.copies === 1)).toBe(true);
  const applied = new Map<number, number>();
  for (const row of records.rows) applied.set(row.login, (applied.get(row.login) ?? 0) + 1);
  const keys = await target.sql.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE 'late-sync-%'`);
  expect(keys.rows[0].n).toBe(records.rows.length);
  await expectLedgerMatches(everyPlayer, walletOutcomes, applied);
  await manager.close();
});
