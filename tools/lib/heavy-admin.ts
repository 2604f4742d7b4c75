/**
 * heavy-admin: issue 15's "heap settings that are safe for the heaviest admin work". On the
 * service as `npm start` runs it (its heap limits included), one step at a time:
 *
 * 1. a ledger of 1,000,000 journal entries on one account (tools/lib/ledger-generator.ts);
 * 2. that account's statement over HTTP, as CSV and as JSON (both streamed by the service);
 * 3. the ledger export of the same period (CSV, one line per posting: about 2,300,000 lines);
 * 4. a 200,000-row matching upload (a dry run; MATCH_FILE_ROWS_MAX rows);
 * 5. 1,000 logged-in manager connections (TCP_CONNECTIONS_MAX), held idle.
 *
 * Each step must complete (every byte read and counted, the answer complete) with the service
 * still running; the service's peak RSS is sampled per step. A step that fails fails the run.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { MATCH_FILE_ROWS_MAX } from '../../src/core/reconciliation/match-service';
import { TCP_CONNECTIONS_MAX } from '../../src/transports/manager-api/tcp-server';
import { sleep } from './concurrency';
import { GROWTH_FIRST_LOGIN } from './growth';
import { generateLedger } from './ledger-generator';
import { closeManagerConnections, openManagerConnections } from './manager-connections';
import { RssSampler } from './rss-sampler';
import { noLoadMeasurement, type BenchContext, type Scenario, type ScenarioMeasurement } from './scenario';
import { BENCH_CURRENCY } from './trade-load';

/** Far above the growth scenario's generated logins (GROWTH_FIRST_LOGIN + at most 10,000). */
export const HEAVY_LOGIN = GROWTH_FIRST_LOGIN + 1_000_000;
export const HEAVY_ENTRIES = 1_000_000;
const HEAVY_QUICK_ENTRIES = 100_000;
/** How long the idle manager connections are held while memory is sampled. */
const IDLE_HOLD_MS = 5_000;
/** Any one step gives up after this (the JSON statement of a million entries takes the longest). */
const STEP_TIMEOUT_MS = 10 * 60_000;

export interface HeavyStep {
  name: string;
  ms: number;
  /** What was read or sent: lines of a CSV, bytes of a JSON answer, rows uploaded, connections held. */
  size: number;
  unit: string;
  rssPeakMib: number;
}

export function heavyAdminScenario(): Scenario {
  return {
    name: 'heavy-admin',
    description: `the heaviest back-office work on the service's own heap settings: a ${HEAVY_ENTRIES.toLocaleString('en')}-entry statement (CSV, JSON) and ledger export over HTTP, a ${MATCH_FILE_ROWS_MAX.toLocaleString('en')}-row matching upload, ${TCP_CONNECTIONS_MAX.toLocaleString('en')} idle manager connections`,
    transport: 'http',
    run: runHeavyAdmin,
  };
}

async function runHeavyAdmin(context: BenchContext): Promise<ScenarioMeasurement> {
  const entries = context.options.quick ? HEAVY_QUICK_ENTRIES : HEAVY_ENTRIES;
  const sampler = new RssSampler(context.service.servicePid);
  sampler.start();
  const steps: HeavyStep[] = [];
  const step = async (name: string, unit: string, work: () => Promise<number>): Promise<void> => {
    sampler.startWindow();
    const started = performance.now();
    const size = await work();
    const exit = context.service.exitStatus();
    if (exit) throw new Error(`heavy-admin: the service exited during "${name}" (${exit})`);
    steps.push({ name, ms: performance.now() - started, size, unit, rssPeakMib: sampler.windowPeakMib });
    process.stderr.write(
      `heavy-admin: ${name}: ${size.toLocaleString('en')} ${unit}, peak RSS ${sampler.windowPeakMib.toFixed(0)} MiB\n`,
    );
  };
  try {
    const from = await generateHeavyLedger(context.databaseUrl, entries);
    const period = `from=${encodeURIComponent(from)}`;
    const admin = { Authorization: `Bearer ${context.credentials.adminApiKey}` };
    const base = context.service.baseUrl;
    // every entry is a line of the statement, and at least one posting line of the export
    await step('statement CSV', 'lines', async () =>
      atLeast(
        entries,
        'statement lines',
        await streamLines(`${base}/admin/accounts/${HEAVY_LOGIN}/statement?format=csv&${period}`, admin),
      ),
    );
    await step('statement JSON', 'bytes', () =>
      streamBytes(`${base}/admin/accounts/${HEAVY_LOGIN}/statement?${period}`, admin),
    );
    await step('ledger export', 'lines', async () =>
      atLeast(entries, 'export lines', await streamLines(`${base}/admin/ledger/export?${period}`, admin)),
    );
    await step('matching upload', 'rows', () =>
      uploadMatchFile(`${base}/admin/reconciliation/match`, admin, MATCH_FILE_ROWS_MAX),
    );
    await step('idle manager connections', 'connections', async () => {
      const manager = await context.manager('SESSION_VIEWER');
      const connections = await openManagerConnections(
        context.service.managerPort,
        new URL(base).hostname,
        manager,
        TCP_CONNECTIONS_MAX,
      );
      await sleep(IDLE_HOLD_MS);
      await closeManagerConnections(connections);
      return connections.length;
    });
  } finally {
    sampler.stop();
  }
  return {
    ...noLoadMeasurement(1, 1),
    durationMs: steps.reduce((sum, done) => sum + done.ms, 0),
    requests: steps.length,
    latencyMeanOnly: true,
    extra: { entries, steps },
  };
}

/** The ledger of one account; returns the moment just before it (the `from` of the period that holds only it). */
async function generateHeavyLedger(databaseUrl: string, entries: number): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'wallet-bench-heavy-admin' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ from: string }>(
      `SELECT to_char((now() - interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS from`,
    );
    process.stderr.write(
      `heavy-admin: generating ${entries.toLocaleString('en')} journal entries on account ${HEAVY_LOGIN}\n`,
    );
    await generateLedger(client, { entries, accounts: 1, firstLogin: HEAVY_LOGIN });
    return rows[0]!.from;
  } finally {
    await client.end();
  }
}

function atLeast(expected: number, what: string, measured: number): number {
  if (measured < expected)
    throw new Error(
      `heavy-admin: ${measured.toLocaleString('en')} ${what}, expected at least ${expected.toLocaleString('en')}`,
    );
  return measured;
}

/** GETs `url` and counts its lines as they stream, keeping none of them. */
function streamLines(url: string, headers: Record<string, string>): Promise<number> {
  return streamGet(url, headers, (chunk, count) => {
    let lines = count;
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) lines += 1;
    return lines;
  });
}

/** GETs `url` and counts its bytes as they stream. */
function streamBytes(url: string, headers: Record<string, string>): Promise<number> {
  return streamGet(url, headers, (chunk, count) => count + chunk.length);
}

function streamGet(
  url: string,
  headers: Record<string, string>,
  count: (chunk: Buffer, sofar: number) => number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, timeout: STEP_TIMEOUT_MS }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`heavy-admin: GET ${url} answered ${response.statusCode}`));
        return;
      }
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total = count(chunk, total);
      });
      response.on('end', () =>
        response.complete ? resolve(total) : reject(new Error(`heavy-admin: GET ${url} ended before its end`)),
      );
      response.on('error', reject);
    });
    request.on('timeout', () =>
      request.destroy(new Error(`heavy-admin: GET ${url} took longer than ${STEP_TIMEOUT_MS} ms`)),
    );
    request.on('error', reject);
  });
}

/** POSTs a matching file of `rows` rows (references the ledger does not know: every row is an exception). */
async function uploadMatchFile(url: string, headers: Record<string, string>, rows: number): Promise<number> {
  const lines = ['reference,amount,currency,date'];
  for (let row = 0; row < rows; row += 1)
    lines.push(`heavy-${row},${(row % 1000) + 1}.25,${BENCH_CURRENCY},2026-11-01`);
  const body = Buffer.from(`${lines.join('\n')}\n`);
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'text/csv', 'Content-Length': body.length },
        timeout: STEP_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`heavy-admin: the matching upload took longer than ${STEP_TIMEOUT_MS} ms`)),
    );
    request.on('error', reject);
    request.end(body);
  });
  const report = answer.status === 200 ? (JSON.parse(answer.text) as { fileRows?: number }) : undefined;
  if (report?.fileRows !== rows)
    throw new Error(`heavy-admin: the matching upload answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return rows;
}
