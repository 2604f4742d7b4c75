import { setTimeout as sleep } from 'node:timers/promises';
import { TestApi } from '../../support/api';
import { startTestService, type TestService } from '../../support/test-service';

/**
 * GET /admin/accounts/:login/balance?at=: each bucket as it stood at a moment, from the after-values
 * of the account's last journal entry before it, checked against the entries themselves.
 */

/** Entries are made this far apart, so that a moment can fall between two of them. */
const ENTRY_GAP_MS = 30;

let target: TestService;
let api: TestApi;
let login: number;
let entries: Array<{ id: string; created_at: Date; balance_after_minor: string; credit_after_minor: string; held_after_minor: string }>;

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
  login = await api.createAccount();
  await api.balanceOperation(login, 'add', '100.00', 'pit-1');
  await sleep(ENTRY_GAP_MS);
  await api.balanceOperation(login, 'credit', '15.50', 'pit-2');
  await sleep(ENTRY_GAP_MS);
  await api.balanceOperation(login, 'sub', '40.00', 'pit-3');
  ({ rows: entries } = await target.sql.query(
    'SELECT id::text, created_at, balance_after_minor::text, credit_after_minor::text, held_after_minor::text FROM journal_entries WHERE login = $1 ORDER BY account_version',
    [login],
  ));
});
afterAll(() => target.stop());

async function balanceAt(at?: string) {
  return api.admin('GET', `/admin/accounts/${login}/balance${at === undefined ? '' : `?at=${encodeURIComponent(at)}`}`);
}

/** A moment just after an entry: its millisecond, plus one (the next entry is ENTRY_GAP_MS later). */
const justAfter = (created: Date) => new Date(created.getTime() + 1).toISOString();

it('reads each bucket as every entry left it, and zero before the first', async () => {
  expect(entries).toHaveLength(3);
  const before = await balanceAt(new Date(entries[0]!.created_at.getTime() - ENTRY_GAP_MS).toISOString());
  expect(before.status).toBe(200);
  expect(before.body).toMatchObject({ login, currency: 'USD', balance: '0.00', credit: '0.00', held: '0.00', entry: null });

  const expected = [
    { balance: '100.00', credit: '0.00', available: '100.00' },
    { balance: '100.00', credit: '15.50', available: '115.50' },
    { balance: '60.00', credit: '15.50', available: '75.50' },
  ];
  for (const [index, entry] of entries.entries()) {
    const answer = await balanceAt(justAfter(entry.created_at));
    expect(answer.body).toMatchObject({ ...expected[index], held: '0.00', entry: { id: Number(entry.id) } });
  }
});

it('reads now by default and a whole day by its end; the present equals the account', async () => {
  const now = await balanceAt();
  const account = await api.account(login);
  expect(now.body).toMatchObject({ balance: account.balance, credit: account.credit, held: account.held });
  const today = new Date().toISOString().slice(0, 10);
  expect((await balanceAt(today)).body).toMatchObject({ balance: '60.00', credit: '15.50' });
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  expect((await balanceAt(yesterday)).body).toMatchObject({ balance: '0.00', entry: null });
});

it('refuses an impossible moment and an unknown account', async () => {
  const impossible = await balanceAt('2026-02-30');
  expect(impossible.status).toBe(400);
  expect(impossible.body).toMatchObject({ error: 'INVALID_REQUEST' });
  expect((await api.admin('GET', '/admin/accounts/987654321/balance')).status).toBe(404);
});
