import path from 'node:path';
import pg from 'pg';
import { launchService, type ServiceProcess } from '../../../tools/lib/service-process';
import { ManagerClient, type ManagerAnswer } from '@wallet-service/client';
import { WalletClient } from '@wallet-service/client';
import { bucketsOf } from '../../support/probes';
import { TestApi } from '../../support/api';
import { createTestDatabase } from '../../support/database';
import { eventually, MANAGER_PASSWORD } from '../../support/manager';
import {
  TEST_ADMIN_KEY,
  TEST_OPERATOR_KEY,
  TEST_WALLET_SECRET,
  ledgerDiscrepancies,
  type TestService,
} from '../../support/test-service';
import { holdAccountLocks, lockWaiters, settle, tradeEntriesByKey, tradesById } from './support';

/**
 * The real process (`npm start`'s command) on a test database gets SIGTERM while wallet requests and
 * Sync commands are in flight (held by row locks for a moment), answers them, and exits 0.
 */

const ROOT = path.resolve(__dirname, '../../..');
const TRADE_TYPE = 'sigterm';

let database: { url: string; drop: () => Promise<void> };
let sql: pg.Pool;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = new pg.Pool({ connectionString: database.url, max: 4 });
  sql.on('error', () => undefined); // an idle connection ended by the server is replaced on next use
});
afterAll(async () => {
  await service?.stop();
  await sql.end();
  await database.drop();
});

it('answers what is in flight after SIGTERM, then exits 0, with every acknowledged operation in the ledger once', async () => {
  service = await launchService({
    projectRoot: ROOT,
    databaseUrl: database.url,
    credentials: { walletSecret: TEST_WALLET_SECRET, operatorApiKey: TEST_OPERATOR_KEY, adminApiKey: TEST_ADMIN_KEY },
    logLevel: 'info',
    env: { NODE_ENV: 'test' },
  });
  const { baseUrl } = service;
  const api = new TestApi({ baseUrl } as TestService);
  const wallet = new WalletClient(baseUrl, TEST_WALLET_SECRET, { maxSockets: 32 });
  const players: Array<{ login: number; token: string }> = [];
  for (let index = 0; index < 4; index += 1) players.push(await api.player('100.00'));
  const managerLogin = api.takeLogin() + 500_000;
  expect(
    (
      await api.admin('POST', '/admin/managers', {
        login: managerLogin,
        password: MANAGER_PASSWORD,
        role: 'SESSION_MANAGER',
      })
    ).status,
  ).toBe(201);
  const manager = await ManagerClient.connect(service.managerPort);
  expect(await manager.login(managerLogin, MANAGER_PASSWORD)).toMatchObject({ status: 200 });
  await Promise.all(Array.from({ length: 20 }, () => wallet.http.request('GET', '/healthz', null))); // open the connections first

  const locks = await holdAccountLocks(
    sql,
    players.map((player) => player.login),
  );
  let trades: Promise<{
    id: string;
    login: number;
    outcome: Awaited<ReturnType<typeof settle<{ status: number; body: unknown }>>>;
  }>[];
  let syncs: Promise<{ login: number; answer: Awaited<ReturnType<typeof settle<ManagerAnswer>>> }>[];
  try {
    trades = Array.from({ length: 20 }, async (_, index) => {
      const player = players[index % players.length]!;
      const id = `t-${index}`;
      const fields = {
        token: player.token,
        currency: 'USD',
        amount: '1',
        externalTradeType: TRADE_TYPE,
        externalTradeId: id,
      };
      return { id, login: player.login, outcome: await settle(wallet.send('opentrade', fields)) };
    });
    syncs = Array.from({ length: 8 }, async (_, index) => {
      const login = players[index % players.length]!.login;
      return {
        login,
        answer: await settle(manager.command('BalanceInSync', { login, amount: 2, referenceId: `sigterm-${index}` })),
      };
    });
    const metric = async (name: string) => {
      const text = (await api.http.request('GET', '/metrics', null)).text;
      return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? -1);
    };
    await eventually(async () => (await metric('wallet_sync_waiters')) === 8, 10_000, 'sync waiters');
    await eventually(async () => (await lockWaiters(sql)) >= 2, 10_000, 'wallet lanes blocked');
    // 20 trades plus the /metrics request asking
    await eventually(async () => (await metric('wallet_http_requests_in_flight')) === 21, 10_000, 'trades received');
  } catch (error) {
    await locks.release();
    throw error;
  }

  const exit = service.stop(); // SIGTERM; SIGKILL (exit code null) if it has not exited within 20 s
  await new Promise((resolve) => setTimeout(resolve, 300));
  await locks.release();
  const code = await exit;
  const output = service.outputTail().join('\n');
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  expect(output).toMatch(/"msg":"stopped"/);

  const tradeOutcomes = await Promise.all(trades);
  const syncOutcomes = await Promise.all(syncs);
  wallet.close();
  api.close();
  await manager.close();

  for (const { id, outcome } of tradeOutcomes) {
    expect({
      id,
      status: outcome.ok ? outcome.value.status : outcome.error,
      body: outcome.ok ? outcome.value.body : undefined,
    }).toEqual({
      id,
      status: 200,
      body: { status: 'Ok', balance: expect.any(String), currency: 'USD' },
    });
  }
  for (const { answer } of syncOutcomes) expect(answer.ok && answer.value.status).toBe(200);

  const stored = await tradesById(sql, TRADE_TYPE);
  const entries = await tradeEntriesByKey(sql, TRADE_TYPE);
  expect(stored.size).toBe(20);
  for (const { id, login } of tradeOutcomes) {
    expect({ id, trade: stored.get(id), entries: entries.get(`${TRADE_TYPE}:${id}`) }).toEqual({
      id,
      trade: { login: String(login), state: 'open', stake: '100' },
      entries: 1,
    });
  }
  for (const player of players) {
    const { balance, held } = await bucketsOf(sql, player.login);
    // 100.00 deposited, 5 stakes of 1.00 held, 2 Sync deposits of 2.00
    expect({ balance, held }).toEqual({ balance: String(10000 - 500 + 400), held: '500' });
  }
  expect(await ledgerDiscrepancies(sql)).toEqual([]);
}, 90_000);
