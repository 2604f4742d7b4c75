/**
 * One chaos run: set up accounts, run the workload from many clients while killing service
 * instances (SIGKILL), hurting the database (an immediate shutdown of the one PostgreSQL, or the
 * primary's death or pause in the HA cluster) and locking account rows from outside, then resolve
 * every uncertain request and check the outcome against a simple in-memory model of the
 * acknowledged operations.
 */
import { ManagerClient } from '@wallet-service/client';
import { hashPassword } from '../../../src/shared/password-hash';
import { INVARIANT_QUERIES } from '../../../src/core/reconciliation/invariant-queries';
import { hashToken } from '../../../src/shared/tokens';
import { ChaosCluster, sleep, type ChaosDatabase, type Instance } from './cluster';
import { EventWatchers } from './event-watchers';
import { ChaosClients, FOREIGN_ANSWER, tokenOf, type Op, type OpKind } from './workload';

export interface ChaosOptions {
  durationMs: number;
  instances: number;
  workers: number;
  accounts: number;
  /** The database under test, with its own faults. */
  database: ChaosDatabase;
  /** Mean time between two instance kills, between two faults of the database, between two account locks. */
  killEveryMs: number;
  databaseFaultEveryMs: number;
  lockEveryMs: number;
  /** How long uncertain requests may take to resolve after the faults stop. */
  resolveMs: number;
  syncTimeoutMs: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  durationMs: number;
  operations: {
    started: number;
    acknowledged: number;
    refused: number;
    unresolved: number;
    attempts: number;
    uncertainAttempts: number;
  };
  byKind: Record<string, { acknowledged: number; refused: number }>;
  deliberateMismatches: { sent: number; refused: number };
  deliberateReplays: { sent: number; accepted: number };
  /** instanceKills, accountLocks, and each of the database's faults by name (postgresRestarts, primaryKills, ...). */
  faults: Record<string, number>;
  /** Answers that carried another command's data (login, amount, comment or order): must be none. */
  foreignAnswers: number;
  /** trade:events the subscribers on the instances received (each checked against the books). */
  eventsReceived: number;
  /** What the database measured (the HA cluster: how long writes were unavailable after each failover). */
  database?: Record<string, unknown>;
  throughputPerS: number;
  violations: string[];
}

/** An instance that cannot start again within this time fails the run. */
const RESTART_DEADLINE_MS = 120_000;
const MANAGER_LOGIN = 77_001;
const MANAGER_PASSWORD = 'chaos-manager-password';
const FIRST_LOGIN = 100_001;
const INITIAL_BALANCE_MINOR = 100_000_000n;
/** Share of acknowledged operations sent again: same content (must replay), other amount (must be refused). */
const REPLAY_SHARE = 0.08;
const MISMATCH_SHARE = 0.05;
const KIND_WEIGHTS: Array<[OpKind, number]> = [
  ['open', 40],
  ['orphan', 4],
  ['admin-add', 10],
  ['admin-sub', 8],
  ['manager-in', 8],
  ['manager-in-sync', 8],
];

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const cluster = new ChaosCluster(options.database);
  const violations: string[] = [];
  const ops: Op[] = [];
  const faults: Record<string, number> = { instanceKills: 0, accountLocks: 0 };
  for (const fault of options.database.faults()) faults[fault.name] = 0;
  const deliberate = { mismatchSent: 0, mismatchRefused: 0, replaySent: 0, replayAccepted: 0 };
  try {
    await cluster.start(options.instances, options.syncTimeoutMs);
    const logins = await setUp(cluster, options.accounts);
    const managerToken = await managerSession(cluster.instances[0]!);
    const clients = new ChaosClients(cluster.instances, managerToken);
    const watchers = new EventWatchers(cluster.instances, managerToken);
    watchers.start();
    const startedAt = Date.now();
    const workloadEnd = startedAt + options.durationMs;
    const resolveDeadline = workloadEnd + options.resolveMs;
    let nextKey = 0;
    const newOp = (kind: OpKind, login: number, amountMinor: bigint, key = `k${nextKey++}`): Op => {
      const op: Op = { kind, login, key, amountMinor, outcome: 'pending', attempts: 0 };
      ops.push(op);
      return op;
    };
    const settle = async (op: Op) => {
      const answer = await clients.settle(op, resolveDeadline);
      if (answer.definitive) {
        op.outcome = answer.accepted ? 'acked' : 'refused';
        op.detail = answer.detail;
      }
      return op.outcome;
    };
    /** Sends an acknowledged op again, with the same content or another amount. */
    const probe = async (op: Op) => {
      if (Math.random() < REPLAY_SHARE) {
        deliberate.replaySent += 1;
        const answer = await clients.settle({ ...op, attempts: 0 }, resolveDeadline);
        if (answer.definitive && answer.accepted) deliberate.replayAccepted += 1;
        else if (answer.definitive) violations.push(`replay of ${op.kind} ${op.key} was refused (${answer.detail})`);
      } else if (Math.random() < MISMATCH_SHARE) {
        deliberate.mismatchSent += 1;
        const answer = await clients.settle({ ...op, attempts: 0 }, resolveDeadline, op.amountMinor + 1n);
        if (answer.definitive && !answer.accepted) deliberate.mismatchRefused += 1;
        else if (answer.definitive)
          violations.push(`${op.kind} ${op.key} with another amount was accepted: a key applied twice`);
      }
    };

    const worker = async () => {
      while (Date.now() < workloadEnd) {
        const login = logins[Math.floor(Math.random() * logins.length)]!;
        const kind = pickKind();
        if (kind === 'open') {
          const stake = BigInt(100 + Math.floor(Math.random() * 900));
          const open = newOp('open', login, stake);
          if ((await settle(open)) !== 'acked') continue;
          await probe(open);
          const close = newOp('close', login, Math.random() < 0.5 ? 0n : stake * 2n, open.key);
          close.stakeMinor = stake;
          if ((await settle(close)) === 'acked') await probe(close);
        } else if (kind === 'orphan') {
          const orphan = newOp('orphan', login, 500n);
          if ((await settle(orphan)) === 'acked' && Math.random() < 0.5) {
            const late = newOp('open-after-orphan', login, 500n, orphan.key);
            await settle(late);
          }
        } else {
          const amount =
            kind === 'admin-sub'
              ? BigInt(1 + Math.floor(Math.random() * 99))
              : BigInt(100 + Math.floor(Math.random() * 10_000));
          const op = newOp(kind, login, amount);
          if ((await settle(op)) === 'acked') await probe(op);
        }
      }
    };

    const injector = injectFaults(cluster, options, workloadEnd, faults, logins);
    await Promise.all(Array.from({ length: options.workers }, worker));
    await injector;
    // Every fault is over: bring everything up so that the uncertain requests can resolve.
    for (const instance of cluster.instances) if (!instance.up) await restart(cluster, instance, options.log);
    await Promise.all(ops.filter((op) => op.outcome === 'pending').map((op) => settle(op)));
    clients.close();
    await watchers.stop();

    const acknowledged = ops.filter((op) => op.outcome === 'acked');
    violations.push(...clients.foreignAnswers, ...(options.database.violations?.() ?? []));
    violations.push(...(await verify(cluster, logins, ops)));
    violations.push(...(await cluster.sql((client) => watchers.verify(client))));
    const byKind: ChaosReport['byKind'] = {};
    for (const op of ops) {
      byKind[op.kind] ??= { acknowledged: 0, refused: 0 };
      if (op.outcome === 'acked') byKind[op.kind]!.acknowledged += 1;
      if (op.outcome === 'refused') byKind[op.kind]!.refused += 1;
    }
    return {
      durationMs: options.durationMs,
      operations: {
        started: ops.length,
        acknowledged: acknowledged.length,
        refused: ops.filter((op) => op.outcome === 'refused').length,
        unresolved: ops.filter((op) => op.outcome === 'pending').length,
        attempts: clients.attempts,
        uncertainAttempts: clients.uncertain,
      },
      byKind,
      deliberateMismatches: { sent: deliberate.mismatchSent, refused: deliberate.mismatchRefused },
      deliberateReplays: { sent: deliberate.replaySent, accepted: deliberate.replayAccepted },
      faults,
      foreignAnswers: violations.filter((violation) => violation.startsWith(FOREIGN_ANSWER)).length,
      eventsReceived: watchers.received,
      ...(options.database.report ? { database: options.database.report() } : {}),
      throughputPerS: acknowledged.length / (options.durationMs / 1000),
      violations,
    };
  } finally {
    await cluster.stop();
  }
}

function pickKind(): OpKind {
  const total = KIND_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = Math.random() * total;
  for (const [kind, weight] of KIND_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'open';
}

/** Accounts with a large balance and a wallet token each, and a manager, straight in the database. */
async function setUp(cluster: ChaosCluster, accounts: number): Promise<number[]> {
  const logins = Array.from({ length: accounts }, (_, i) => FIRST_LOGIN + i);
  const passwordHash = await hashPassword(MANAGER_PASSWORD);
  await cluster.sql(async (client) => {
    await client.query(`INSERT INTO accounts (login, currency) SELECT unnest($1::bigint[]), 'USD'`, [logins]);
    await client.query(
      `SELECT balance_operation_apply(l, nextval('order_numbers'), NULL, 6::smallint, 'add', 'balance', 'cash', $2, 'chaos set-up', NULL,
                                      NULL, NULL, 'admin', 'chaos', NULL, '\\x00', NULL) FROM unnest($1::bigint[]) AS l`,
      [logins, INITIAL_BALANCE_MINOR.toString()],
    );
    await client.query(
      `INSERT INTO wallet_tokens (token_hash, login, expires_at) SELECT unnest($1::bytea[]), unnest($2::bigint[]), now() + interval '1 day'`,
      [logins.map((login) => hashToken(tokenOf(login))), logins],
    );
    await client.query(`INSERT INTO managers (login, role, password_hash) VALUES ($1, 'SESSION_MANAGER', $2)`, [
      MANAGER_LOGIN,
      passwordHash,
    ]);
  });
  return logins;
}

async function managerSession(instance: Instance): Promise<string> {
  const client = await ManagerClient.connect(instance.managerPort);
  try {
    const answer = await client.login(MANAGER_LOGIN, MANAGER_PASSWORD);
    if (answer.status !== 200) throw new Error(`chaos manager login failed: ${JSON.stringify(answer)}`);
    return String(answer.data.token);
  } finally {
    await client.close();
  }
}

/** Starts an instance again, retrying while PostgreSQL is itself restarting; bounded in time. */
async function restart(cluster: ChaosCluster, instance: Instance, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + RESTART_DEADLINE_MS;
  for (;;) {
    try {
      await cluster.startInstance(instance);
      return;
    } catch (error) {
      log(`instance ${instance.index} did not start (${(error as Error).message}); retrying`);
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** An account's row is held locked from outside for a random time in this range. */
const ACCOUNT_LOCK_MS_MIN = 5_000;
const ACCOUNT_LOCK_MS_MAX = 15_000;

/**
 * Kills instances, hurts the database (its faults in turn, one at a time) and locks an account's
 * row from outside at random moments until the workload ends (three independent loops).
 */
async function injectFaults(
  cluster: ChaosCluster,
  options: ChaosOptions,
  until: number,
  faults: ChaosReport['faults'],
  logins: number[],
): Promise<void> {
  const jitter = (mean: number) => mean * (0.5 + Math.random());
  const waitUntil = async (moment: number) => {
    while (Date.now() < Math.min(moment, until)) await sleep(50);
    return moment < until;
  };
  const kills = async () => {
    while (await waitUntil(Date.now() + jitter(options.killEveryMs))) {
      const victim = cluster.instances[Math.floor(Math.random() * cluster.instances.length)]!;
      options.log(`fault: SIGKILL instance ${victim.index}`);
      await cluster.killInstance(victim);
      faults.instanceKills += 1;
      await sleep(200 + Math.random() * 1000);
      await restart(cluster, victim, options.log);
    }
  };
  const databaseFaults = async () => {
    const kinds = options.database.faults();
    for (let next = 0; await waitUntil(Date.now() + jitter(options.databaseFaultEveryMs)); next += 1) {
      const fault = kinds[next % kinds.length]!;
      options.log(`fault: ${fault.name}`);
      const note = await fault.run();
      if (note) options.log(`  ${note}`);
      faults[fault.name] = (faults[fault.name] ?? 0) + 1;
    }
  };
  const locks = async () => {
    while (await waitUntil(Date.now() + jitter(options.lockEveryMs))) {
      const login = logins[Math.floor(Math.random() * logins.length)]!;
      const ms = ACCOUNT_LOCK_MS_MIN + Math.random() * (ACCOUNT_LOCK_MS_MAX - ACCOUNT_LOCK_MS_MIN);
      options.log(`fault: account ${login} locked from outside for ${Math.round(ms)} ms`);
      faults.accountLocks += 1;
      await cluster.lockAccountRow(login, ms);
    }
  };
  await Promise.all([kills(), databaseFaults(), locks()]);
}

/** Compares the database with the model of the acknowledged operations; returns the violations. */
async function verify(cluster: ChaosCluster, logins: number[], ops: Op[]): Promise<string[]> {
  const violations: string[] = [];
  const expected = new Map(logins.map((login) => [login, { balance: INITIAL_BALANCE_MINOR, held: 0n }]));
  for (const op of ops) {
    if (op.outcome === 'pending') violations.push(`${op.kind} ${op.key} never got a definitive answer`);
    if (op.outcome !== 'acked') continue;
    const account = expected.get(op.login)!;
    if (op.kind === 'open') {
      account.balance -= op.amountMinor;
      account.held += op.amountMinor;
    } else if (op.kind === 'close') {
      account.held -= op.stakeMinor!;
      account.balance += op.amountMinor;
    } else if (op.kind === 'admin-add' || op.kind === 'manager-in' || op.kind === 'manager-in-sync') {
      account.balance += op.amountMinor;
    } else if (op.kind === 'admin-sub') {
      account.balance -= op.amountMinor;
    } else if (op.kind === 'open-after-orphan') {
      violations.push(`opentrade ${op.key} after its orphan close was accepted`);
    }
  }
  await cluster.sql(async (client) => {
    const { rows } = await client.query<{
      login: string;
      balance_minor: string;
      credit_minor: string;
      held_minor: string;
    }>(`SELECT login, balance_minor, credit_minor, held_minor FROM accounts WHERE login = ANY($1::bigint[])`, [logins]);
    for (const row of rows) {
      const model = expected.get(Number(row.login))!;
      if (
        BigInt(row.balance_minor) !== model.balance ||
        BigInt(row.held_minor) !== model.held ||
        row.credit_minor !== '0'
      ) {
        violations.push(
          `account ${row.login}: database balance ${row.balance_minor} held ${row.held_minor}, model balance ${model.balance} held ${model.held}`,
        );
      }
    }
    violations.push(...(await exactlyOnce(client, ops)));
    violations.push(...(await answeredOrders(client, ops)));
    for (const query of INVARIANT_QUERIES) {
      const found = await client.query(query.sql);
      for (const row of found.rows) violations.push(`invariant ${query.check}: ${JSON.stringify(row)}`);
    }
  });
  return violations;
}

/** Every acknowledged key is in the ledger exactly once; refused and orphan keys moved nothing. */
async function exactlyOnce(client: import('pg').Client, ops: Op[]): Promise<string[]> {
  const violations: string[] = [];
  const { rows: tradeEntries } = await client.query<{ key: string; operation: string; n: number }>(
    `SELECT actor AS key, operation, count(*)::int AS n FROM journal_entries WHERE actor LIKE 'chaos:%' GROUP BY 1, 2`,
  );
  const tradeCount = new Map(tradeEntries.map((row) => [`${row.key}|${row.operation}`, row.n]));
  const { rows: records } = await client.query<{ key: string; n: number; entries: number }>(
    `WITH entries AS (SELECT idempotency_key AS key, count(*) AS n FROM journal_entries WHERE idempotency_key LIKE 'k%' GROUP BY 1)
     SELECT r.reference_id AS key, count(*)::int AS n, coalesce(max(e.n), 0)::int AS entries
       FROM finance_records r LEFT JOIN entries e ON e.key = r.reference_id
      WHERE r.reference_id LIKE 'k%' GROUP BY r.reference_id`,
  );
  const recordCount = new Map(records.map((row) => [row.key, row]));
  for (const op of ops) {
    if (op.kind === 'open' || op.kind === 'close') {
      const operation = op.kind === 'open' ? 'trade_open' : 'trade_close';
      const n = tradeCount.get(`chaos:${op.key}|${operation}`) ?? 0;
      const want = op.outcome === 'acked' ? 1 : 0;
      if (n !== want) violations.push(`${op.kind} ${op.key} (${op.outcome}) has ${n} ledger entries, expected ${want}`);
    } else if (op.kind === 'orphan') {
      const n =
        (tradeCount.get(`chaos:${op.key}|trade_open`) ?? 0) + (tradeCount.get(`chaos:${op.key}|trade_close`) ?? 0);
      if (n !== 0) violations.push(`orphan close ${op.key} moved money (${n} entries)`);
    } else if (op.kind !== 'open-after-orphan') {
      const found = recordCount.get(op.key);
      const want = op.outcome === 'acked' ? 1 : 0;
      if ((found?.n ?? 0) !== want || (found?.entries ?? 0) !== want) {
        violations.push(
          `${op.kind} ${op.key} (${op.outcome}) has ${found?.n ?? 0} records and ${found?.entries ?? 0} entries, expected ${want}`,
        );
      }
    }
  }
  return violations;
}

/** The order a manager command was answered with is the order of the record its own key created. */
async function answeredOrders(client: import('pg').Client, ops: Op[]): Promise<string[]> {
  const answered = ops.filter((op) => op.outcome === 'acked' && op.order !== undefined);
  const { rows } = await client.query<{ key: string; order_no: string }>(
    `SELECT reference_id AS key, order_no::text FROM finance_records WHERE reference_id = ANY ($1::text[])`,
    [answered.map((op) => op.key)],
  );
  const orderOf = new Map(rows.map((row) => [row.key, row.order_no]));
  return answered
    .filter((op) => orderOf.get(op.key) !== String(op.order))
    .map(
      (op) =>
        `${FOREIGN_ANSWER}: ${op.kind} ${op.key} was answered with order ${op.order}, its record is order ${orderOf.get(op.key)}`,
    );
}
