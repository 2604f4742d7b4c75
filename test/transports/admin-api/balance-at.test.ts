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
let entries: Array<{
  id: string;
  created_at: Date;
  balance_after_minor: string;
  credit_after_minor: string;
  held_after_minor: string;
}>;

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

function balanceOf(account: number, at?: string) {
  return api.admin(
    'GET',
    `/admin/accounts/${account}/balance${at === undefined ? '' : `?at=${encodeURIComponent(at)}`}`,
  );
}

const balanceAt = (at?: string) => balanceOf(login, at);

/** A moment just after an entry: its millisecond, plus one (the next entry is ENTRY_GAP_MS later). */
const justAfter = (created: Date) => new Date(created.getTime() + 1).toISOString();

it('reads each bucket as every entry left it, and zero before the first', async () => {
  expect(entries).toHaveLength(3);
  const before = await balanceAt(new Date(entries[0]!.created_at.getTime() - ENTRY_GAP_MS).toISOString());
  expect(before.status).toBe(200);
  expect(before.body).toMatchObject({
    login,
    currency: 'USD',
    balance: '0.00',
    credit: '0.00',
    held: '0.00',
    entry: null,
  });

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

describe('against a replay of the journal', () => {
  /** Accounts of 1 to this many entries: every count from one digit to two (the text order of "9" and "12"). */
  const ENTRIES_MAX = 50;
  /** Accounts filled, and then read, at once (each one's entries in order). */
  const ACCOUNTS_IN_PARALLEL = 8;
  /** 1,275 operations and 2,600 reads: a busy machine needs more than the default minute. */
  const REPLAY_TEST_TIMEOUT_MS = 240_000;

  interface JournalRow {
    id: string;
    login: string;
    at_us: string;
    balance: string;
    credit: string;
    held: string;
  }

  /** The buckets after every entry booked before `atMs`, summed from the entries' deltas. */
  function replay(journal: readonly JournalRow[], atMs: bigint) {
    const counted = journal.filter((row) => BigInt(row.at_us) < atMs * 1000n);
    const sum = (field: 'balance' | 'credit' | 'held') =>
      counted.reduce((total, row) => total + BigInt(row[field]), 0n);
    return { balance: sum('balance'), credit: sum('credit'), held: sum('held'), entryId: counted.at(-1)?.id ?? null };
  }

  const minor = (amount: string) => BigInt(amount.replace('.', ''));

  it(
    'answers every moment of accounts of 1 to 50 entries as the journal replayed up to it',
    async () => {
      const logins = await Promise.all(Array.from({ length: ENTRIES_MAX }, () => api.createAccount()));
      const fill = async (login: number, count: number) => {
        for (let index = 1; index <= count; index += 1) {
          // deposits of varying size, a bonus and a withdrawal now and then: every bucket moves
          const operation = index % 7 === 0 ? 'credit' : index % 5 === 0 ? 'sub' : 'add';
          const answer = await api.balanceOperation(
            login,
            operation,
            `${index}.${String(index % 100).padStart(2, '0')}`,
          );
          expect(answer.status).toBe(200);
        }
      };
      for (let start = 0; start < logins.length; start += ACCOUNTS_IN_PARALLEL) {
        await Promise.all(
          logins.slice(start, start + ACCOUNTS_IN_PARALLEL).map((login, offset) => fill(login, start + offset + 1)),
        );
      }

      const { rows } = await target.sql.query<JournalRow>(
        `SELECT id::text, login::text, (extract(epoch FROM created_at) * 1000000)::bigint::text AS at_us,
              balance_delta_minor::text AS balance, credit_delta_minor::text AS credit, held_delta_minor::text AS held
         FROM journal_entries WHERE login = ANY ($1::bigint[]) ORDER BY journal_entries.login, journal_entries.account_version`,
        [logins],
      );
      const checkAccount = async (login: number, count: number) => {
        const journal = rows.filter((row) => row.login === String(login));
        expect(journal).toHaveLength(count);
        // each entry's millisecond (the entry itself counted only when booked before it) and the next one
        const moments = journal.flatMap((row) => [BigInt(row.at_us) / 1000n, BigInt(row.at_us) / 1000n + 1n]);
        for (const atMs of moments) {
          const answer = await balanceOf(login, new Date(Number(atMs)).toISOString()).then(
            (response) => response.body as Record<string, string> & { entry: { id: number } | null },
          );
          const expected = replay(journal, atMs);
          expect({
            balance: minor(answer.balance),
            credit: minor(answer.credit),
            held: minor(answer.held),
            entryId: answer.entry === null ? null : String(answer.entry.id),
          }).toEqual(expected);
        }
        // now, with no moment, is after every entry: the account as it stands
        const now = (await balanceOf(login)).body as Record<string, string>;
        const account = await api.account(login);
        expect(minor(now.balance)).toBe(replay(journal, BigInt(Date.now() + 1000)).balance);
        expect(now.balance).toBe(account.balance);
      };
      for (let start = 0; start < logins.length; start += ACCOUNTS_IN_PARALLEL) {
        await Promise.all(
          logins
            .slice(start, start + ACCOUNTS_IN_PARALLEL)
            .map((login, offset) => checkAccount(login, start + offset + 1)),
        );
      }
    },
    REPLAY_TEST_TIMEOUT_MS,
  );
});

describe('at the exact instant of an entry', () => {
  it('does not count the entry yet, and a statement from that instant opens before it and lists it', async () => {
    const account = await api.createAccount();
    await api.balanceOperation(account, 'add', '10.00');
    await sleep(ENTRY_GAP_MS);
    await api.balanceOperation(account, 'add', '2.50');
    // the second entry put exactly on a millisecond, the finest moment the API names (a fixture:
    // the ledger's triggers refuse every change of an entry, so they are off for this one session)
    const client = await target.sql.connect();
    let instant: Date;
    try {
      await client.query('SET session_replication_role = replica');
      const { rows } = await client.query<{ created_at: Date }>(
        `UPDATE journal_entries SET created_at = date_trunc('milliseconds', created_at)
          WHERE login = $1 AND account_version = 2 RETURNING created_at`,
        [account],
      );
      instant = rows[0]!.created_at;
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
    const at = instant.toISOString();

    expect((await balanceOf(account, at)).body).toMatchObject({ balance: '10.00', entry: { version: 1 } });
    expect((await balanceOf(account, new Date(instant.getTime() + 1).toISOString())).body).toMatchObject({
      balance: '12.50',
      entry: { version: 2 },
    });

    const statement = await api.admin('GET', `/admin/accounts/${account}/statement?from=${encodeURIComponent(at)}`);
    expect(statement.status).toBe(200);
    expect(statement.body).toMatchObject({
      opening: { balance: '10.00' },
      entries: [expect.objectContaining({ version: '2', balance_change: '2.50' })],
      closing: { balance: '12.50' },
    });
  });
});
