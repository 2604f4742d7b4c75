import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import type pg from 'pg';
import { ledgerDiscrepancies, type TestService } from '../../support/test-service';

/**
 * The property-based fuzz suite's harness: run counts and seed, the state snapshot a refused
 * request must leave untouched, liveness checks, and raw HTTP and TCP clients that send any bytes.
 *
 * Short mode (the default, inside `npm test`): a few dozen cases per property. Long mode:
 * `FUZZ_RUNS=10000 npx jest test/system/fuzz` (or `npm run fuzz`) runs that many cases per property.
 * The seed is fixed (`FUZZ_SEED` varies it); a failure prints the seed and the path of the
 * counterexample, which `FUZZ_SEED=<seed> FUZZ_PATH=<path> npx jest test/system/fuzz/<file> -t '<property>'`
 * replays (on a fresh service, so a case that needs the state the run built may pass). The totals
 * (cases, requests, outcomes per property) are written to test/artifacts/fuzz/; FUZZ_DEBUG=1 prints
 * every wallet and manager request with its answer.
 */

export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261122;
const FUZZ_RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;
export const LONG_MODE = FUZZ_RUNS !== undefined;

/** Each property gets its own seed, derived from FUZZ_SEED and its name, so that they explore differently. */
function seedFor(name: string): number {
  let hash = FUZZ_SEED | 0;
  for (const char of name) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/** Cases of one property: `shortRuns` by default, FUZZ_RUNS in long mode. */
export function runsFor(shortRuns: number): number {
  return FUZZ_RUNS ?? shortRuns;
}

/** A Jest timeout for a property of `shortRuns` cases taking up to `msPerRun` each. */
export function timeoutFor(shortRuns: number, msPerRun = 500): number {
  return 60_000 + runsFor(shortRuns) * msPerRun;
}

interface Tally {
  property: string;
  runs: number;
  requests: number;
  seconds: number;
  failed: boolean;
  /** How often each outcome (status) was seen: shows that the cases reach past validation. */
  outcomes: Record<string, number>;
}

const tallies: Tally[] = [];
let requestsSent = 0;
let outcomes: Record<string, number> = {};

/** Records the outcome of one fuzzed request (its status) for the report. */
export function noteOutcome(outcome: string | number): void {
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
}

/** Counts requests (HTTP requests, TCP lines or raw sends) for the report. */
export function countRequests(count = 1): void {
  requestsSent += count;
}

/**
 * Runs an async property with the suite's seed and run count, records the totals for the report,
 * and fails with fast-check's report (seed, counterexample, path) when a case fails.
 */
export async function checkProperty<T>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<T>,
  shortRuns: number,
  exactRuns?: number,
): Promise<void> {
  const startedRequests = requestsSent;
  const startedAt = Date.now();
  outcomes = {};
  const replay = process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {};
  const details = await fc.check(property, {
    numRuns: exactRuns ?? runsFor(shortRuns),
    seed: seedFor(name),
    ...replay,
  });
  tallies.push({
    property: name,
    runs: details.numRuns,
    requests: requestsSent - startedRequests,
    seconds: Math.round((Date.now() - startedAt) / 100) / 10,
    failed: details.failed,
    outcomes,
  });
  if (details.failed) {
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    const replayHint = `replay: FUZZ_SEED=${FUZZ_SEED} FUZZ_PATH=${details.counterexamplePath ?? ''} npx jest test/system/fuzz -t '${name}'`;
    throw new Error(
      `${fc.defaultReportMessage(details) ?? `property ${name} failed`}\n${replayHint}\n\nError of the counterexample: ${cause}`,
    );
  }
}

/** Writes the totals so far of a fuzz file to test/artifacts/fuzz/ (and prints them in long mode). */
function writeReport(file: string, print = false): void {
  const directory = path.resolve(__dirname, '../../artifacts/fuzz');
  mkdirSync(directory, { recursive: true });
  const report = { file, seed: FUZZ_SEED, runsPerProperty: FUZZ_RUNS ?? 'short', properties: tallies };
  // long runs get their own file, so that a short run (npm test) does not overwrite their totals
  writeFileSync(
    path.join(directory, LONG_MODE ? `${file}-${FUZZ_RUNS}-runs.json` : `${file}.json`),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  if (print && LONG_MODE) {
    const lines = tallies.map(
      (t) =>
        `${t.failed ? 'FAILED' : 'ok'}  ${t.property}: ${t.runs} cases, ${t.requests} requests, ${t.seconds} s ${JSON.stringify(t.outcomes)}`,
    );
    console.log(`fuzz ${file} (seed ${FUZZ_SEED})\n${lines.join('\n')}`);
  }
}

/** Everything a refused request must leave untouched. */
export interface Snapshot {
  accounts: string;
  journal_entries: number;
  postings: number;
  trades: number;
  finance_records: number;
  idempotency_keys: number;
  events: number;
  refused_duplicates: number;
  managers: number;
  launch_tokens: number;
  wallet_tokens: number;
  reconciliation_runs: number;
}

/** Tables that only grow, counted from a baseline by their ever-increasing key (cheap on a large ledger). */
const GROWING_TABLES = [
  ['journal_entries', 'id'],
  ['postings', 'entry_id'],
  ['trades', 'order_no'],
  ['events', 'id'],
  ['refused_duplicates', 'id'],
] as const;
// finance records are not among them: Sync commands take their order numbers from blocks reserved in advance
const SMALL_TABLES = [
  'finance_records',
  'idempotency_keys',
  'managers',
  'launch_tokens',
  'wallet_tokens',
  'reconciliation_runs',
] as const;
/** Snapshots between two full counts. */
const SNAPSHOTS_PER_BASELINE = 500;

interface Baseline {
  counts: Record<string, number>;
  maxKeys: string[];
  uses: number;
}

const baselines = new WeakMap<pg.Pool, Baseline>();

/**
 * Every account's buckets, status and version (as a digest, with the account count), and the row
 * count of every table a request can add to. Counts are exact: the large append-only tables are
 * counted once in a while in full, and in between as the full count plus the rows whose key is
 * above the largest key seen then (the service writes only while a request of the test runs, and
 * keys come from sequences, so a row written later always has a larger key).
 */
export async function snapshot(sql: pg.Pool): Promise<Snapshot> {
  let baseline = baselines.get(sql);
  if (!baseline || baseline.uses >= SNAPSHOTS_PER_BASELINE) {
    const { rows } = await sql.query(
      `SELECT ${GROWING_TABLES.map(([table, key]) => `(SELECT count(*) FROM ${table})::int AS ${table}, (SELECT coalesce(max(${key}), 0) FROM ${table})::text AS ${table}_max`).join(', ')}`,
    );
    const row = rows[0] as Record<string, number | string>;
    baseline = {
      counts: Object.fromEntries(GROWING_TABLES.map(([table]) => [table, row[table] as number])),
      maxKeys: GROWING_TABLES.map(([table]) => row[`${table}_max`] as string),
      uses: 0,
    };
    baselines.set(sql, baseline);
  }
  baseline.uses += 1;
  const { rows } = await sql.query(
    `SELECT (SELECT count(*) || ':' || coalesce(md5(string_agg(
                 concat_ws(':', login, currency, coalesce(name, '-'), status, balance_minor, credit_minor, held_minor, version), ','
                 ORDER BY login)), '') FROM accounts) AS accounts,
            ${GROWING_TABLES.map(([table, key], index) => `(SELECT count(*) FROM ${table} WHERE ${key} > $${index + 1})::int AS ${table}`).join(', ')},
            ${SMALL_TABLES.map((table) => `(SELECT count(*) FROM ${table})::int AS ${table}`).join(', ')}`,
    baseline.maxKeys,
  );
  const row = rows[0] as Record<string, number | string>;
  for (const [table] of GROWING_TABLES) row[table] = (row[table] as number) + baseline.counts[table]!;
  return row as unknown as Snapshot;
}

/**
 * The snapshot after a refused request must equal the one before. A refused duplicate (a key reused
 * with other content: wallet DuplicateTransaction, HTTP or TCP 409) is recorded for the finance team
 * by design, so it may add exactly one row to refused_duplicates and nothing else.
 */
export function expectUnchanged(before: Snapshot, after: Snapshot, refusedDuplicate: boolean, context: unknown): void {
  const allowed =
    refusedDuplicate && after.refused_duplicates === before.refused_duplicates + 1
      ? { ...after, refused_duplicates: before.refused_duplicates }
      : after;
  if (JSON.stringify(allowed) !== JSON.stringify(before)) {
    throw new Error(
      `a refused request changed the state:\n before ${JSON.stringify(before)}\n after  ${JSON.stringify(after)}\n request/answer ${brief(context)}`,
    );
  }
}

/** The service still serves HTTP (/healthz 200) and the manager API (Ping 200). */
async function expectAlive(target: TestService): Promise<void> {
  const health = await rawHttpRequest(target.service.httpPort, 'GET', '/healthz', null, {});
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}: ${health.text}`);
  const connection = await TcpProbe.open(target.service.managerPort);
  try {
    connection.write('{"command":"Ping","extID":"alive"}\r\n');
    const answer = await connection.answer();
    if (answer?.status !== 200) throw new Error(`Ping answered ${JSON.stringify(answer)}`);
  } finally {
    connection.destroy();
  }
}

export interface RawHttpResponse {
  status: number;
  text: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

const agents = new Map<number, http.Agent>();

/** An HTTP request with any body bytes and headers (Content-Length set unless given). */
export function rawHttpRequest(
  port: number,
  method: string,
  requestPath: string,
  body: string | Buffer | null,
  headers: Record<string, string>,
): Promise<RawHttpResponse> {
  countRequests();
  let agent = agents.get(port);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    agents.set(port, agent);
  }
  const payload = body === null ? null : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path: requestPath,
        headers: { ...(payload ? { 'Content-Length': String(payload.length) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON (HTML pages, CSV)
          }
          resolve({ status: res.statusCode ?? 0, text, body: parsed, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload ?? undefined);
  });
}

function closeHttpAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/** A manager API answer line. */
export interface TcpAnswer {
  extID: unknown;
  status: number;
  data: Record<string, unknown>;
}

/**
 * A raw TCP connection to the manager API: writes any bytes, collects every line the server sends
 * (each must be a JSON object), and tells answers from subscribed events.
 */
export class TcpProbe {
  readonly answers: TcpAnswer[] = [];
  readonly badLines: string[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number): Promise<TcpProbe> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TcpProbe(socket));
      });
    });
  }

  write(bytes: string | Buffer): void {
    countRequests();
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Waits until `count` answers arrived, the connection closed, or `timeoutMs` passed. */
  async waitForAnswers(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next answer (not an event): undefined when the connection closed first or nothing came in time. */
  async answer(timeoutMs = 10_000): Promise<TcpAnswer | undefined> {
    const index = this.answers.length;
    await this.waitForAnswers(index + 1, timeoutMs);
    return this.answers[index];
  }

  /** Waits for the server to close the connection (true) or `timeoutMs` to pass (false). */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (let newline = this.buffer.indexOf(10); newline !== -1; newline = this.buffer.indexOf(10)) {
      const line = this.buffer.subarray(0, newline).toString('utf8').replace(/\r$/, '');
      this.buffer = this.buffer.subarray(newline + 1);
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.badLines.push(line);
        continue;
      }
      if (typeof message.event === 'string') continue;
      this.answers.push(message as unknown as TcpAnswer);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Short text of a request or answer for failure messages (buffers as hex). */
export function brief(value: unknown): string {
  const text = JSON.stringify(value, (_key, inner: unknown) => {
    const buffer = inner as { type?: unknown; data?: unknown } | null;
    if (buffer && buffer.type === 'Buffer' && Array.isArray(buffer.data)) {
      return `<${buffer.data.length} bytes: ${Buffer.from(buffer.data as number[])
        .toString('hex')
        .slice(0, 400)}>`;
    }
    return inner;
  });
  return text === undefined ? String(value) : text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/**
 * The hooks of every fuzz file: after each property its totals are written, the ledger invariants
 * checked and the service shown alive; at the end the totals are printed (long mode), the raw HTTP
 * agents closed and `stop` run.
 */
export function fuzzHooks(file: string, target: () => TestService, stop: () => Promise<void>): void {
  afterEach(async () => {
    writeReport(file);
    expect(await ledgerDiscrepancies(target().sql)).toEqual([]);
    await expectAlive(target());
  });
  afterAll(async () => {
    writeReport(file, true);
    closeHttpAgents();
    await stop();
  });
}
