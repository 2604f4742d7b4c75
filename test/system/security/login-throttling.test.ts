import net from 'node:net';
import { ManagerClient } from '@wallet-service/client';
import {
  LOGIN_FAILURES_PER_ADDRESS_MAX,
  LOGIN_FAILURES_PER_LOGIN_MAX,
} from '../../../src/core/managers/manager-auth-service';
import { TestApi } from '../../support/api';
import { MANAGER_PASSWORD } from '../../support/manager';
import { startTestService, type TestService } from '../../support/test-service';

/**
 * Brute force on the manager API's Login: failures are limited per manager login and per client
 * address, and the limit holds when the guesses arrive all at once. Each client below connects from
 * its own loopback address (127.0.0.x), so that the address limit of one does not touch the others.
 */

let target: TestService;
let api: TestApi;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
});
afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  api.close();
  await target.stop();
});

interface Answer {
  extID: string;
  status: number;
  data: { error?: string; token?: string; role?: string };
}

/** A manager API connection from `localAddress`: sends commands, resolves answers by extID. */
async function connectFrom(
  localAddress: string,
): Promise<(command: string, data: Record<string, unknown>) => Promise<Answer>> {
  const socket = net.connect({ port: target.service.managerPort, host: '127.0.0.1', localAddress });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const waiting = new Map<string, (answer: Answer) => void>();
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const answer = JSON.parse(buffer.slice(0, newline)) as Answer;
      buffer = buffer.slice(newline + 1);
      waiting.get(answer.extID)?.(answer);
      waiting.delete(answer.extID);
    }
  });
  let seq = 0;
  return (command, data) =>
    new Promise((resolve) => {
      const extID = `${localAddress}-${(seq += 1)}`;
      waiting.set(extID, resolve);
      socket.write(`${JSON.stringify({ command, extID, data })}\r\n`);
    });
}

async function createManager(role = 'SESSION_MANAGER'): Promise<number> {
  const login = api.takeLogin() + 500_000;
  const created = await api.admin('POST', '/admin/managers', { login, password: MANAGER_PASSWORD, role });
  expect(created.status).toBe(201);
  return login;
}

async function failuresOf(column: 'login' | 'address', value: string | number): Promise<number> {
  const { rows } = await target.sql.query(
    `SELECT count(*)::int AS n FROM manager_login_failures WHERE ${column} = $1`,
    [String(value)],
  );
  return rows[0].n;
}

const statuses = (answers: Answer[]) => answers.map((answer) => answer.status);
const count = (answers: Answer[], status: number) => answers.filter((answer) => answer.status === status).length;

it('concurrent guesses cannot get past the per-login limit: at most five are checked, then even the right password is refused with 429', async () => {
  const login = await createManager();
  const command = await connectFrom('127.0.0.11');
  const burst = await Promise.all(
    Array.from({ length: 12 }, (_, guess) => command('Login', { login, password: `guess-${guess}` })),
  );
  expect(statuses(burst).every((status) => status === 401 || status === 429)).toBe(true);
  expect(count(burst, 401)).toBeLessThanOrEqual(LOGIN_FAILURES_PER_LOGIN_MAX);
  expect(await failuresOf('login', login)).toBeLessThanOrEqual(LOGIN_FAILURES_PER_LOGIN_MAX);
  // One at a time, the guesses left in the window are evaluated, and no more than that.
  const evaluated = count(burst, 401);
  const oneByOne: Answer[] = [];
  for (let guess = 0; guess < LOGIN_FAILURES_PER_LOGIN_MAX - evaluated + 1; guess += 1) {
    oneByOne.push(await command('Login', { login, password: `late-guess-${guess}` }));
  }
  expect(statuses(oneByOne)).toEqual([...Array(LOGIN_FAILURES_PER_LOGIN_MAX - evaluated).fill(401), 429]);
  expect(await failuresOf('login', login)).toBe(LOGIN_FAILURES_PER_LOGIN_MAX);

  const right = await command('Login', { login, password: MANAGER_PASSWORD });
  expect(right).toMatchObject({ status: 429, data: { error: 'TOO_MANY_REQUESTS' } });
  expect(right.data.token).toBeUndefined();
  // ...from any address: the limit is the login's
  const elsewhere = await connectFrom('127.0.0.12');
  expect(await elsewhere('Login', { login, password: MANAGER_PASSWORD })).toMatchObject({ status: 429 });
  // another manager is not affected from this address (5 failures are far below the address limit)
  const other = await createManager();
  expect(await command('Login', { login: other, password: MANAGER_PASSWORD })).toMatchObject({
    status: 200,
    data: { role: 'SESSION_MANAGER' },
  });
  const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM manager_sessions WHERE manager_login = $1`, [
    login,
  ]);
  expect(rows[0].n).toBe(0);
});

it('per address: failures spread over several logins lock out the address, even with the right password of an untouched login', async () => {
  const logins = [await createManager(), await createManager(), await createManager(), await createManager()];
  const untouched = await createManager('SESSION_ADMIN');
  const attacker = await connectFrom('127.0.0.21');
  const perLogin = LOGIN_FAILURES_PER_ADDRESS_MAX / logins.length; // 4 logins x 5 = the address limit, each login at its own limit
  expect(perLogin).toBeLessThanOrEqual(LOGIN_FAILURES_PER_LOGIN_MAX);
  const answers = await Promise.all(
    logins.flatMap((login) =>
      Array.from({ length: perLogin }, (_, guess) => attacker('Login', { login, password: `guess-${guess}` })),
    ),
  );
  expect(statuses(answers).every((status) => status === 401 || status === 429)).toBe(true);
  expect(await failuresOf('address', '127.0.0.21')).toBeLessThanOrEqual(LOGIN_FAILURES_PER_ADDRESS_MAX);
  // Top up one at a time (with guesses on a login nobody has), until the address is refused.
  const topUp: Answer[] = [];
  for (let guess = 0; topUp.at(-1)?.status !== 429; guess += 1) {
    if (guess > LOGIN_FAILURES_PER_ADDRESS_MAX) throw new Error('the address was never throttled');
    topUp.push(await attacker('Login', { login: 999_999_000 + guess, password: 'nope-nope' }));
  }
  expect(count(answers, 401) + count(topUp, 401)).toBe(LOGIN_FAILURES_PER_ADDRESS_MAX);
  expect(await failuresOf('address', '127.0.0.21')).toBe(LOGIN_FAILURES_PER_ADDRESS_MAX);

  // The address is locked out: the right password of a login that never failed is refused...
  expect(await failuresOf('login', untouched)).toBe(0);
  expect(await attacker('Login', { login: untouched, password: MANAGER_PASSWORD })).toMatchObject({
    status: 429,
    data: { error: 'TOO_MANY_REQUESTS' },
  });
  // ...also on a new connection from that address...
  const again = await connectFrom('127.0.0.21');
  expect(await again('Login', { login: untouched, password: MANAGER_PASSWORD })).toMatchObject({ status: 429 });
  // ...while another address logs into it at once, and can move money.
  const honest = await ManagerClient.connect(target.service.managerPort);
  try {
    expect(await honest.login(untouched, MANAGER_PASSWORD)).toMatchObject({
      status: 200,
      data: { role: 'SESSION_ADMIN' },
    });
    const account = await api.createAccount();
    expect(await honest.command('BalanceIn', { login: account, amount: 1 })).toMatchObject({ status: 200 });
  } finally {
    await honest.close();
  }
});

it('never answers a throttled Login with a session, whatever the concurrency', async () => {
  const login = await createManager();
  const command = await connectFrom('127.0.0.31');
  for (let guess = 0; guess < LOGIN_FAILURES_PER_LOGIN_MAX; guess += 1) {
    expect(await command('Login', { login, password: `guess-${guess}` })).toMatchObject({ status: 401 });
  }
  const rights = await Promise.all(
    Array.from({ length: 8 }, () => command('Login', { login, password: MANAGER_PASSWORD })),
  );
  expect(statuses(rights)).toEqual(Array(8).fill(429));
  const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM manager_sessions WHERE manager_login = $1`, [
    login,
  ]);
  expect(rows[0].n).toBe(0);
});
