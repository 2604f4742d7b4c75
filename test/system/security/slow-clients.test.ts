import net from 'node:net';
import { ManagerClient } from '@wallet-service/client';
import { HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS } from '../../../src/app/service';
import { TestApi } from '../../support/api';
import { managerClient, MANAGER_PASSWORD } from '../../support/manager';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * Slow-loris clients: connections that trickle bytes to hold a server slot forever. The HTTP server
 * must close a request whose headers are not complete within its headers timeout, or whose body is
 * not complete within its request timeout, and the manager
 * TCP server a connection that has not logged in within its login timeout, however busy the client
 * keeps it; other clients are served meanwhile.
 */

/** The manager login timeout of this file's service (production: 30 s). */
const LOGIN_TIMEOUT_MS = 1000;
/** The HTTP request timeout of the service of the slow-body test (production: HTTP_REQUEST_TIMEOUT_MS). */
const REQUEST_TIMEOUT_MS = 2000;
/** How late after a deadline a connection may still be closed: a bound for the waits, not a measurement. */
const MARGIN_MS = 3000;

let target: TestService;
let api: TestApi;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  target = await startTestService({}, undefined, { managerLoginTimeoutMs: LOGIN_TIMEOUT_MS });
  api = new TestApi(target);
});
afterEach(async () => {
  cleanups.splice(0).forEach((cleanup) => cleanup());
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  api.close();
  await target.stop();
});

interface SlowSocket {
  socket: net.Socket;
  received: () => string;
  /** Resolves true when the server closed the connection within `withinMs` of the connect, false otherwise. */
  closedWithin: (withinMs: number) => Promise<boolean>;
}

/** A raw connection that writes `prefix`, then `drip` one byte every `everyMs` for as long as it is open. */
async function slowClient(port: number, prefix: string, drip: string, everyMs: number): Promise<SlowSocket> {
  const socket = net.connect(port, '127.0.0.1');
  const connectedAt = Date.now();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  if (prefix) socket.write(prefix);
  let index = 0;
  const timer = drip
    ? setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(drip[index++ % drip.length]!);
      }, everyMs)
    : undefined;
  socket.once('close', () => clearInterval(timer));
  cleanups.push(() => {
    clearInterval(timer);
    socket.destroy();
  });
  return {
    socket,
    received: () => Buffer.concat(chunks).toString('utf8'),
    closedWithin: async (withinMs) => {
      const left = Math.max(0, connectedAt + withinMs - Date.now());
      let timeout: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => {
          timeout = setTimeout(() => resolve(false), left);
        }),
      ]);
      clearTimeout(timeout);
      return outcome;
    },
  };
}

describe('HTTP', () => {
  it(`closes connections whose headers trickle in one byte at a time past the headers timeout (${HTTP_HEADERS_TIMEOUT_MS} ms), serving others meanwhile`, async () => {
    const { login, token } = await api.player('100.00');
    const port = target.service.httpPort;
    const loris = await Promise.all(
      Array.from({ length: 20 }, () =>
        slowClient(port, 'POST /wallet/getbalance HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'abcdefgh', 250),
      ),
    );
    // While they trickle, the wallet API answers others, and moves money for them.
    const served: string[] = [];
    const deadline = Date.now() + HTTP_HEADERS_TIMEOUT_MS + 500;
    for (let trade = 1; Date.now() < deadline; trade += 1) {
      const key = { token, currency: 'USD', externalTradeType: 'loris', externalTradeId: `loris-${trade}` };
      served.push((await api.wallet.call('opentrade', { ...key, amount: '1' })).status);
      served.push((await api.wallet.call('closetrade', { ...key, amount: '1' })).status);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(served.length).toBeGreaterThan(10);
    expect(new Set(served)).toEqual(new Set(['Ok']));

    const closed = await Promise.all(loris.map((client) => client.closedWithin(HTTP_HEADERS_TIMEOUT_MS + MARGIN_MS)));
    expect(closed).toEqual(Array(loris.length).fill(true));
    for (const client of loris) {
      // Either nothing, or Node's own 408; never an answer to the unfinished request.
      expect(client.received()).toMatch(/^(|HTTP\/1\.1 408 [^]*)$/);
    }
    expect(await api.account(login)).toMatchObject({ balance: '100.00', held: '0.00' });
  }, 30_000);

  it(`closes connections whose body trickles in after complete headers past the request timeout (${HTTP_REQUEST_TIMEOUT_MS} ms in production), moving nothing`, async () => {
    const slowBodies = await startTestService({}, undefined, { httpRequestTimeoutMs: REQUEST_TIMEOUT_MS });
    const slowApi = new TestApi(slowBodies);
    try {
      const { login } = await slowApi.player('100.00');
      // a complete admin deposit, except that its body arrives one byte every 200 ms
      const body = JSON.stringify({
        accountId: login,
        operation: 'add',
        amount: '5.00',
        comment: 'slow body',
        referenceId: 'slow-body-1',
      });
      const headers = [
        'POST /admin/balance HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${slowBodies.config.adminApiKey}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
      ].join('\r\n');
      const loris = await Promise.all(
        Array.from({ length: 10 }, () => slowClient(slowBodies.service.httpPort, `${headers}\r\n\r\n`, body, 200)),
      );
      // the whole body would take body.length * 200 ms (about 20 s), far beyond the timeout; others are served meanwhile
      expect((await slowApi.account(login)).balance).toBe('100.00');

      const closed = await Promise.all(loris.map((client) => client.closedWithin(REQUEST_TIMEOUT_MS + MARGIN_MS)));
      expect(closed).toEqual(Array(loris.length).fill(true));
      for (const client of loris) expect(client.received()).toMatch(/^(|HTTP\/1\.1 408 [^]*)$/);
      expect(await slowApi.account(login)).toMatchObject({ balance: '100.00', held: '0.00' });
      expect(await ledgerDiscrepancies(slowBodies.sql)).toEqual([]);
    } finally {
      slowApi.close();
      await slowBodies.stop();
    }
  }, 30_000);
});

describe('manager TCP', () => {
  it('closes connections that never log in within the login timeout, however busy they keep it', async () => {
    const port = target.service.managerPort;
    const silent = await slowClient(port, '', '', 0);
    const noNewline = await slowClient(port, '{"command":"Ping","extID":"x","data":{"pad":"', 'xxxxxxxx', 50);
    const pinger = await slowClient(port, '', '{"command":"Ping","extID":"p","data":{}}\r\n', 5);
    const partialLogin = await slowClient(port, '{"command":"Login","extID":"l","data":{"login":1,', ' ', 100);
    const loris = [silent, noNewline, pinger, partialLogin];
    const closed = await Promise.all(loris.map((client) => client.closedWithin(LOGIN_TIMEOUT_MS + MARGIN_MS)));
    expect(closed).toEqual([true, true, true, true]);
    expect(pinger.received()).toContain('"pong":true'); // it was served while it lasted
  });

  it('keeps connections that logged in, or use a session token, past the login timeout, and serves them while others are closed', async () => {
    const login = await api.createAccount();
    const { client: loggedIn } = await managerClient(api, target.service.managerPort);
    // a session token from a Login on another connection, used as __token on a connection that never logs in
    const managerLogin = api.takeLogin() + 500_000;
    expect(
      (
        await api.admin('POST', '/admin/managers', {
          login: managerLogin,
          password: MANAGER_PASSWORD,
          role: 'SESSION_DEALER',
        })
      ).status,
    ).toBe(201);
    const issuer = await ManagerClient.connect(target.service.managerPort);
    const token = String((await issuer.login(managerLogin, MANAGER_PASSWORD)).data.token);
    await issuer.close();
    const withToken = await ManagerClient.connect(target.service.managerPort);
    cleanups.push(
      () => void loggedIn.close(),
      () => void withToken.close(),
    );

    const loris = await Promise.all(
      Array.from({ length: 30 }, () => slowClient(target.service.managerPort, '{"command":"Ping"', ' ', 100)),
    );
    const answers: number[] = [];
    const until = Date.now() + LOGIN_TIMEOUT_MS + 1000;
    while (Date.now() < until) {
      answers.push((await loggedIn.command('BalanceInSync', { login, amount: 1 })).status);
      answers.push((await withToken.command('BalanceIn', { login, amount: 1 }, { token })).status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(new Set(answers)).toEqual(new Set([200]));
    const closed = await Promise.all(loris.map((client) => client.closedWithin(LOGIN_TIMEOUT_MS + MARGIN_MS)));
    expect(closed).toEqual(Array(loris.length).fill(true));
    // past the login timeout, the authenticated ones are still open and working
    expect([loggedIn.socket.destroyed, withToken.socket.destroyed]).toEqual([false, false]);
    expect(await loggedIn.command('Ping')).toMatchObject({ status: 200 });
    expect(await withToken.command('GetFinanceRecord', { order: 1 }, { token })).toMatchObject({ status: 404 });
    expect(await api.account(login)).toMatchObject({ balance: `${answers.length}.00` });
  });
});
