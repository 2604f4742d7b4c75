/**
 * `npm run mutation-check`: puts one plausible bug at a time into the money rules (SQL engines and
 * TypeScript), runs the tests that should catch it, and says which bugs survived. Each mutant names
 * the test files expected to fail; a mutant whose tests all pass is a hole in the suite.
 *
 *   npm run mutation-check                  every mutant (a few minutes)
 *   npm run mutation-check -- --only nonce  the mutants whose name contains "nonce"
 *
 * The working tree is restored after each mutant (and on interrupt); run it on a clean checkout.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..');

interface Mutant {
  name: string;
  file: string;
  /** Text that must occur exactly once in the file, and what it becomes. */
  find: string;
  replace: string;
  /** Test files (from the project root) of which at least one must fail. */
  caughtBy: string[];
}

const WALLET_SQL = 'src/core/wallet/wallet.sql';
const BALANCE_SQL = 'src/core/balance-operations/balance-operations.sql';
const LEDGER_SQL = 'src/core/ledger/ledger.sql';
const RECONCILIATION_STORE = 'src/core/reconciliation/reconciliation-store.ts';
const WALLET_ENGINE_TEST = 'test/core/wallet/wallet-engine.test.ts';
const BALANCE_ENGINE_TEST = 'test/core/balance-operations/balance-operations-engine.test.ts';

export const MUTANTS: Mutant[] = [
  {
    name: 'nonce: two copies of one nonce in one batch both accepted',
    file: WALLET_SQL,
    find: 'OR p_nonces[i] = ANY (v_used_nonces))',
    replace: ')',
    caughtBy: [WALLET_ENGINE_TEST],
  },
  {
    name: 'nonce: a stored nonce not refused',
    file: WALLET_SQL,
    find: '(NOT p_nonces[i] = ANY (v_fresh_nonces) OR',
    replace: '(false OR',
    caughtBy: [WALLET_ENGINE_TEST, 'test/system/security/replay-and-rotation.test.ts'],
  },
  {
    name: 'signature: only the first 16 hex characters of a v2 signature compared',
    file: 'src/transports/wallet-api/wallet-signature.ts',
    find: "createHmac('sha256', secret).update(canonical).digest(), given)",
    replace: "createHmac('sha256', secret).update(canonical).digest().subarray(0, 8), given.subarray(0, 8))",
    caughtBy: ['test/transports/wallet-api/wallet-signature.test.ts'],
  },
  {
    name: 'lock: wallet_execute waits for no account lock',
    file: WALLET_SQL,
    find: 'ORDER BY login FOR NO KEY UPDATE) a;',
    replace: 'ORDER BY login) a;',
    caughtBy: [WALLET_ENGINE_TEST],
  },
  {
    name: 'update: another login may update a record',
    file: BALANCE_SQL,
    find: 'IF FOUND AND (v_record.login <> p_login OR v_record.cmd <> p_cmd) THEN',
    replace: 'IF FOUND AND v_record.cmd <> p_cmd THEN',
    caughtBy: [BALANCE_ENGINE_TEST, 'test/transports/manager-api/finance-records.test.ts'],
  },
  {
    name: "update: the difference posted on the command's book, not the record's",
    file: BALANCE_SQL,
    find: '0, v_record.system_book, p_source, p_actor, p_idempotency_key, v_record.comment,',
    replace: '0, p_system_book, p_source, p_actor, p_idempotency_key, v_record.comment,',
    caughtBy: [BALANCE_ENGINE_TEST, 'test/transports/manager-api/finance-records.test.ts'],
  },
  {
    name: "update: a missing comment replaces the record's",
    file: BALANCE_SQL,
    find: 'v_record.comment := coalesce(p_comment, v_record.comment);',
    replace: 'v_record.comment := coalesce(p_comment, p_default_comment);',
    caughtBy: [BALANCE_ENGINE_TEST, 'test/transports/manager-api/finance-records.test.ts'],
  },
  {
    name: 'funds: a withdrawal may take the bucket below zero (the constraint alone stops it)',
    file: BALANCE_SQL,
    find: 'IF v_result.bucket_minor + v_delta < 0 THEN',
    replace: 'IF false THEN',
    caughtBy: [BALANCE_ENGINE_TEST, 'test/transports/admin-api/admin-api.test.ts'],
  },
  {
    name: 'idempotency: a referenceId with other content is replayed',
    file: BALANCE_SQL,
    find: 'CASE WHEN v_key.request_digest = p_request_digest THEN',
    replace: 'CASE WHEN true THEN',
    caughtBy: [BALANCE_ENGINE_TEST, 'test/transports/admin-api/admin-api.test.ts'],
  },
  {
    name: 'delete: a deleted record deleted again',
    file: BALANCE_SQL,
    find: "  IF v_record.state = 6 THEN\n    v_result.outcome := 'REPLAY';",
    replace: "  IF false THEN\n    v_result.outcome := 'REPLAY';",
    caughtBy: [BALANCE_ENGINE_TEST, 'test/transports/manager-api/finance-records.test.ts'],
  },
  {
    name: 'wallet: a replayed opentrade in another currency accepted',
    file: WALLET_SQL,
    find: 'AND v_trade.stake_minor = p_amount AND v_trade.currency = p_currency THEN',
    replace: 'AND v_trade.stake_minor = p_amount THEN',
    caughtBy: [WALLET_ENGINE_TEST, 'test/transports/wallet-api/wallet-api.test.ts'],
  },
  {
    name: 'wallet: the credit part of a stake not restored to credit first',
    file: WALLET_SQL,
    find: 'v_to_credit := least(p_amount, v_trade.stake_from_credit_minor);',
    replace: 'v_to_credit := 0;',
    caughtBy: [WALLET_ENGINE_TEST, 'test/transports/wallet-api/wallet-api.test.ts'],
  },
  {
    name: 'wallet: a stake above balance + credit accepted',
    file: WALLET_SQL,
    find: "    IF p_amount > available_minor THEN\n      outcome := 'INSUFFICIENT_FUNDS';",
    replace: "    IF false THEN\n      outcome := 'INSUFFICIENT_FUNDS';",
    caughtBy: [
      'test/transports/wallet-api/wallet-api.test.ts',
      'test/transports/wallet-api/wallet-concurrency.test.ts',
    ],
  },
  {
    name: 'ledger: the system book does not take the net change',
    file: LEDGER_SQL,
    find: '(p_system_book, -v_net)) AS book (name, amount)',
    replace: '(p_system_book, 0)) AS book (name, amount)',
    caughtBy: ['test/core/ledger/ledger-post.test.ts'],
  },
  {
    name: 'events: a Sync command answered by any event of its order',
    file: 'src/transports/manager-api/deferred-responses.ts',
    find: 'const waiter = this.byCommand.get(commandId);',
    replace: 'const waiter = [...this.byCommand.values()].find((candidate) => candidate.key.event === event);',
    caughtBy: ['test/transports/manager-api/sync-answers.test.ts'],
  },
  {
    name: 'contention: the requests queued behind a lock that did not come wait for their own timeouts',
    file: 'src/core/accounts/account-lanes.ts',
    find: "if (error instanceof AccountBusyError) return 'reject-lane';",
    replace: "if (error instanceof AccountBusyError) return 'reject-batch';",
    caughtBy: ['test/system/locked-account.test.ts'],
  },
  {
    name: 'money: amounts with more decimals than the currency rounded',
    file: 'src/core/money/amount.ts',
    find: '    if (digits % divisor !== 0n) {',
    replace: '    if (false) {',
    caughtBy: ['test/core/money/amount.test.ts', 'test/transports/wallet-api/wallet-api.test.ts'],
  },
  {
    name: 'balance at: the entry at the exact instant already counted',
    file: RECONCILIATION_STORE,
    find: 'e.login = ? AND e.created_at < ? ORDER BY e.account_version DESC LIMIT 1',
    replace: 'e.login = ? AND e.created_at <= ? ORDER BY e.account_version DESC LIMIT 1',
    caughtBy: ['test/transports/admin-api/balance-at.test.ts'],
  },
  {
    name: 'statement: an entry exactly at `from` left out',
    file: RECONCILIATION_STORE,
    find: 'WHERE e.login = ? AND e.created_at >= ? AND e.created_at < ? ORDER BY e.account_version',
    replace: 'WHERE e.login = ? AND e.created_at > ? AND e.created_at < ? ORDER BY e.account_version',
    caughtBy: ['test/transports/admin-api/balance-at.test.ts'],
  },
  {
    name: "matching: a group's total matched whatever its difference",
    file: 'src/core/reconciliation/matching.ts',
    find: 'return compareAmounts({ ...base, ledgerMinor: sum(present) }, driftMinor);',
    replace: "return { ...base, ledgerMinor: sum(present), outcome: 'matched' };",
    caughtBy: ['test/core/reconciliation/matching.test.ts'],
  },
  {
    name: 'reconciliation: held on an account with no open trade not reported',
    file: 'src/core/reconciliation/invariant-queries.ts',
    find: '        LEFT JOIN (SELECT login, sum(stake_minor) AS stakes FROM trades',
    replace: '        JOIN (SELECT login, sum(stake_minor) AS stakes FROM trades',
    caughtBy: ['test/transports/admin-api/reconciliation.test.ts'],
  },
  {
    name: 'nonce: forgotten after one clock skew, while its signed request is still valid',
    file: 'src/core/wallet/wallet-service.ts',
    find: 'export const NONCE_RETENTION_S = 180;',
    replace: 'export const NONCE_RETENTION_S = 90;',
    caughtBy: ['test/core/maintenance/maintenance.test.ts'],
  },
  {
    name: 'console: a user action posted without its CSRF token',
    file: 'src/transports/console/routes/user-routes.ts',
    find: "router.post('/users/:username/:action', allow('manage-users'), form, csrf,",
    replace: "router.post('/users/:username/:action', allow('manage-users'), form,",
    caughtBy: ['test/system/security/console-access.test.ts'],
  },
  {
    name: 'console: sign-ins not limited per address',
    file: 'src/core/access/console-access-service.ts',
    find: "this.throttle.reserve(['console-user', subject], ['console-address', address])",
    replace: "this.throttle.reserve(['console-user', subject])",
    caughtBy: ['test/system/security/throttle-bursts.test.ts'],
  },
  {
    name: 'throttle: guesses of one subject not decided one after the other',
    file: 'src/core/access/failure-throttle.sql',
    find: '    PERFORM pg_advisory_xact_lock(v_key);',
    replace: '    NULL;',
    caughtBy: ['test/system/security/throttle-bursts.test.ts', 'test/core/access/failure-throttle.test.ts'],
  },
];

function runTests(files: string[]): boolean {
  try {
    execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/jest'), ['--silent', ...files], {
      cwd: PROJECT_ROOT,
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

function main(): void {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const mutants = MUTANTS.filter((mutant) => only === undefined || mutant.name.includes(only));
  const survivors: string[] = [];
  for (const mutant of mutants) {
    const file = path.join(PROJECT_ROOT, mutant.file);
    const original = readFileSync(file, 'utf8');
    if (original.split(mutant.find).length !== 2)
      throw new Error(`mutant "${mutant.name}": its text must occur once in ${mutant.file}`);
    const restore = () => writeFileSync(file, original);
    process.once('SIGINT', restore);
    try {
      writeFileSync(file, original.replace(mutant.find, mutant.replace));
      const caught = !runTests(mutant.caughtBy);
      console.log(`${caught ? 'caught  ' : 'SURVIVED'} ${mutant.name}`);
      if (!caught) survivors.push(mutant.name);
    } finally {
      restore();
      process.removeListener('SIGINT', restore);
    }
  }
  console.log(`\n${mutants.length - survivors.length} of ${mutants.length} mutants caught`);
  process.exitCode = survivors.length > 0 ? 1 : 0;
}

main();
