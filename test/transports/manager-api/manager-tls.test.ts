import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type tls from 'node:tls';
import { ManagerClient, type ManagerAnswer } from '@wallet-service/client';
import { TCP_MESSAGE_BYTES_MAX } from '../../../src/transports/manager-api/tcp-server';
import { TestApi } from '../../support/api';
import { collectEvents, eventually, managerClient, MANAGER_PASSWORD } from '../../support/manager';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * The manager port with TLS (MANAGER_TLS_CERT_FILE, MANAGER_TLS_KEY_FILE): over real sockets, a TLS
 * client that verifies the certificate gets the answers a plain-TCP client of a second instance on
 * the same database gets; a plain-text client on the TLS port gets nothing applied; the login
 * deadline, the message size limit and the stop are those of plain connections.
 */

const FIXTURES = path.resolve(__dirname, '../../fixtures/tls');
const TLS_ENV = {
  MANAGER_TLS_CERT_FILE: path.join(FIXTURES, 'localhost.crt'),
  MANAGER_TLS_KEY_FILE: path.join(FIXTURES, 'localhost.key'),
};
/**
 * The login deadline of both instances here (production: 30 s): short, so that the deadline tests
 * are quick, yet long enough for a Login's password check on a busy machine.
 */
const LOGIN_TIMEOUT_MS = 3000;
/** How late after the deadline a connection may still be closed: a bound for the wait, not a measurement. */
const MARGIN_MS = 3000;

let secure: TestService;
let plain: TestService;
let api: TestApi;
const clients: ManagerClient[] = [];

beforeAll(async () => {
  secure = await startTestService(TLS_ENV, undefined, { managerLoginTimeoutMs: LOGIN_TIMEOUT_MS });
  plain = await startTestService({}, secure.databaseUrl, { managerLoginTimeoutMs: LOGIN_TIMEOUT_MS });
  api = new TestApi(secure);
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(secure.sql)).toEqual([]);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  api.close();
  await plain.stop();
  await secure.stop();
});

/** A TLS client that trusts only the fixture certificate (and so checks the server's identity). */
async function connectTls(): Promise<ManagerClient> {
  const client = await ManagerClient.connect(secure.service.managerPort, '127.0.0.1', {
    tls: { ca: readFileSync(TLS_ENV.MANAGER_TLS_CERT_FILE) },
  });
  clients.push(client);
  return client;
}

async function connectPlain(): Promise<ManagerClient> {
  const client = await ManagerClient.connect(plain.service.managerPort);
  clients.push(client);
  return client;
}

/** A new manager of this role (created through the admin API); returns its login. */
async function newManager(role = 'SESSION_MANAGER'): Promise<number> {
  const { client, login } = await managerClient(api, plain.service.managerPort, role);
  clients.push(client);
  return login;
}

/**
 * An answer without what differs by nature between two runs: a session token, an order number, and
 * the record's times (in seconds: two commands one after the other may fall on either side of one).
 */
function comparable(answer: ManagerAnswer): ManagerAnswer {
  const { token: _token, order: _order, open_time: _openTime, close_time: _closeTime, ...data } = answer.data;
  return { ...answer, data };
}

/** Resolves with everything the server sent once it closed the connection. */
function receivedUntilClosed(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
}

it('answers Login, Sync commands and records over TLS as over plain TCP, with a certificate the client verifies', async () => {
  const managerLogin = await newManager();
  // each logs in right after its connect: the login deadline counts from the connect
  const overTls = await connectTls();
  expect((overTls.socket as tls.TLSSocket).authorized).toBe(true);
  const tlsLogin = await overTls.login(managerLogin, MANAGER_PASSWORD);
  const overPlain = await connectPlain();
  const logins = [tlsLogin, await overPlain.login(managerLogin, MANAGER_PASSWORD)];
  expect(logins[0]).toMatchObject({ status: 200, data: { role: 'SESSION_MANAGER', token: expect.any(String) } });
  expect(comparable(logins[0]!)).toEqual(comparable(logins[1]!));

  const account = await api.createAccount();
  const command = { login: account, amount: 12.5, comment: 'over the wire' };
  const deposits = [await overTls.command('BalanceInSync', command), await overPlain.command('BalanceInSync', command)];
  expect(deposits[0]).toMatchObject({ status: 200, data: { login: account, cmd: 6, state: 3, profit: 12.5 } });
  expect(comparable(deposits[0]!)).toEqual(comparable(deposits[1]!));

  const records = [
    await overTls.command('GetFinanceRecord', { order: deposits[1]!.data.order }),
    await overPlain.command('GetFinanceRecord', { order: deposits[1]!.data.order }),
  ];
  expect(records[0]).toEqual(records[1]);
  expect(await api.account(account)).toMatchObject({ balance: '25.00' });
});

it('streams trade:events over TLS, also those committed through another instance', async () => {
  const [managerLogin, viewer] = [await newManager(), await newManager('SESSION_VIEWER')];
  const manager = await connectPlain();
  await manager.login(managerLogin, MANAGER_PASSWORD);
  const subscriber = await connectTls();
  await subscriber.login(viewer, MANAGER_PASSWORD);
  expect(await subscriber.command('Subscribe', { channels: ['trade:event'] })).toMatchObject({ status: 200 });
  const events = collectEvents(subscriber);
  const account = await api.createAccount();
  const deposit = await manager.command('BalanceIn', { login: account, amount: 3 });
  await eventually(() => events.some((event) => event.data.order === deposit.data.order), 5000, 'the event over TLS');
  expect(events.find((event) => event.data.order === deposit.data.order)).toMatchObject({
    type: 'EV_RECORD_ADD',
    data: { login: account, profit: 3 },
  });
});

it('gives a plain-text client on the TLS port no answer, and applies nothing it sends', async () => {
  const managerLogin = await newManager();
  const overTls = await connectTls();
  const token = String((await overTls.login(managerLogin, MANAGER_PASSWORD)).data.token);
  const account = await api.createAccount();

  const socket = net.connect(secure.service.managerPort, '127.0.0.1');
  const received = receivedUntilClosed(socket);
  const lines = [
    { command: 'Login', extID: 'p1', data: { login: managerLogin, password: MANAGER_PASSWORD } },
    { command: 'BalanceIn', extID: 'p2', data: { login: account, amount: 5 }, __token: token },
  ];
  socket.write(lines.map((line) => `${JSON.stringify(line)}\r\n`).join(''));
  expect(await received).not.toContain('extID');

  expect(await api.account(account)).toMatchObject({ balance: '0.00' });
  const { rows } = await secure.sql.query('SELECT count(*)::int AS entries FROM journal_entries WHERE login = $1', [
    account,
  ]);
  expect(rows[0]).toEqual({ entries: 0 });
});

it.each([
  ['a TCP client that never starts the handshake', () => net.connect(secure.service.managerPort, '127.0.0.1')],
  ['a TLS client that never logs in', async () => (await connectTls()).socket],
])('closes %s at the login deadline, counted from the connect', async (_name, open) => {
  const connectedAt = Date.now();
  const socket = await open();
  await receivedUntilClosed(socket);
  expect(Date.now() - connectedAt).toBeGreaterThanOrEqual(LOGIN_TIMEOUT_MS - 50);
  expect(Date.now() - connectedAt).toBeLessThan(LOGIN_TIMEOUT_MS + MARGIN_MS);
});

it('answers a message over the size limit with an error and closes, as on plain TCP', async () => {
  const client = await connectTls();
  const answered = new Promise<ManagerAnswer>((resolve) => client.once('answer', resolve));
  const closed = new Promise<void>((resolve) => client.once('close', resolve));
  client.sendRaw(`{"command":"Ping","extID":"big","data":{"pad":"${'x'.repeat(TCP_MESSAGE_BYTES_MAX)}"}}\r\n`);
  expect(await answered).toMatchObject({ extID: null, status: 400, data: { error: 'INVALID_DATA' } });
  await closed;
});

it("refuses to start with a key that is not the certificate's, in one line", async () => {
  const mismatched = { ...TLS_ENV, MANAGER_TLS_KEY_FILE: path.join(FIXTURES, 'other.key') };
  const failure = startTestService(mismatched, secure.databaseUrl);
  await expect(failure).rejects.toThrow(
    /^MANAGER_TLS_KEY_FILE \(.*other\.key\) is not the private key of the certificate in MANAGER_TLS_CERT_FILE \(.*localhost\.crt\)[^\n]*$/,
  );
});

// last: it stops the TLS instance
it('answers a Sync command in flight over TLS on stop, then closes the connection', async () => {
  const managerLogin = await newManager();
  const client = await connectTls();
  await client.login(managerLogin, MANAGER_PASSWORD);
  const account = await api.createAccount();
  const closed = new Promise<void>((resolve) => client.once('close', resolve));
  // the account's row lock keeps the deposit in flight until the stop has begun
  const blocker = await secure.sql.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [account]);
  const inFlight = client.command('BalanceInSync', { login: account, amount: 1 });
  await eventually(
    () => secure.service.metrics.syncWaiters.get().then((metric) => metric.values[0]?.value === 1),
    5000,
    'the command waits',
  );
  const stopped = secure.service.stop();
  await blocker.query('ROLLBACK');
  blocker.release();
  expect(await inFlight).toMatchObject({ status: 200, data: { login: account, state: 3, profit: 1 } });
  await stopped;
  await closed;
});
