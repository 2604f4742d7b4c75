import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../support/database';
import { TSX_ENV, TSX_LOADER } from '../support/entry-points';

/**
 * The README's first session, exactly as printed: every bash block marked `<!-- walkthrough -->`
 * runs, in order, in one shell against a freshly started service (secrets generated into
 * `.data/secrets.json` of its working directory), and every answer it prints matches the `# ...`
 * line that follows it in the README (`…` stands for a value that differs each run, `,...` for the
 * fields left out). A README that drifts from the service fails here. The README says the session
 * is safe to run twice: run again, it books no journal entry and leaves the account and the books as
 * the first run left them.
 */

const ROOT = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 60_000;
/** The service's start, the whole session twice and its stop, on a busy machine. */
const WALKTHROUGH_TIMEOUT_MS = 210_000;
const WALKTHROUGH_MARK = '<!-- walkthrough -->';

interface Step {
  script: string;
  expected: string[];
}

/** The marked bash blocks, each with the answers its comments promise. */
function walkthroughBlocks(readme: string): Step[] {
  const blocks = readme
    .split(WALKTHROUGH_MARK)
    .slice(1)
    .map((part) => /^\s*```bash\n([\s\S]*?)```/.exec(part)?.[1]);
  return blocks.map((block, index) => {
    if (block === undefined) throw new Error(`walkthrough mark ${index + 1} is not followed by a bash block`);
    const expected = block
      .split('\n')
      .filter((line) => line.startsWith('# ') && !line.startsWith('# in '))
      .map((line) => line.slice(2));
    return { script: block, expected };
  });
}

/** An expected answer as a pattern: `…` any text inside a value, `,...}` any further fields. */
function answerPattern(expected: string): RegExp {
  const escaped = expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replaceAll('…', '[^"]*?').replaceAll(',\\.\\.\\.', ',.*')}$`);
}

let workDir: string;
let database: { url: string; drop: () => Promise<void> };
let service: ChildProcess;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-readme-'));
  chmodSync(workDir, 0o755);
  database = await createTestDatabase();
});
afterAll(async () => {
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
  }
  await database.drop();
  rmSync(workDir, { recursive: true, force: true });
});

function startService(): Promise<{ base: string; managerPort: string }> {
  service = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'src/main.ts')], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...TSX_ENV,
      DATABASE_URL: database.url,
      PORT: '0',
      MANAGER_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output}`)), START_TIMEOUT_MS);
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.once('exit', (code) => reject(new Error(`the service exited ${code} at start:\n${output}`)));
    service.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const http = /listening on (http:\/\/\S+)/.exec(output);
      const manager = /Manager TCP API listening on \S+:(\d+)/.exec(output);
      if (http && manager) {
        clearTimeout(timer);
        resolve({ base: http[1]!, managerPort: manager[1]! });
      }
    });
  });
}

function runBash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bash = spawn('bash', ['-c', script], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  bash.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  bash.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => bash.once('close', (code) => resolve({ code, stdout, stderr })));
}

it(
  "runs the README's first session and gets the answers it shows",
  async () => {
    const steps = walkthroughBlocks(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(steps.length).toBeGreaterThanOrEqual(5);
    const { base, managerPort } = await startService();

    // one shell for the whole session, as a reader pastes block after block; `set -e` stops at a failure
    const script = ['set -euo pipefail', ...steps.map((step) => step.script)].join('\n');
    const run = await runBash(script, { BASE: base, MANAGER_PORT: managerPort });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // curl prints an answer without a newline: split the output into its JSON values and lines
    const printed = splitAnswers(run.stdout);
    const expected = steps.flatMap((step) => step.expected);
    expect(printed).toHaveLength(expected.length);
    expected.forEach((answer, index) => expect(printed[index]).toMatch(answerPattern(answer)));

    // again, as a reader who pastes it twice: every key applies once, so no money moves twice
    const entriesBefore = await journalEntries();
    const again = await runBash(script, { BASE: base, MANAGER_PORT: managerPort });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(await journalEntries()).toBe(entriesBefore);
    const reprinted = splitAnswers(again.stdout);
    expect(reprinted).toHaveLength(expected.length);
    // the session ends with the account and the reconciliation: both as the first run left them
    for (const index of [expected.length - 2, expected.length - 1])
      expect(reprinted[index]).toMatch(answerPattern(expected[index]!));
  },
  WALKTHROUGH_TIMEOUT_MS,
);

async function journalEntries(): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  client.on('error', () => undefined); // a failed query rejects on its own; a dropped connection must not crash the run
  await client.connect();
  try {
    return (await client.query<{ entries: number }>('SELECT count(*)::int AS entries FROM journal_entries')).rows[0]!
      .entries;
  } finally {
    await client.end();
  }
}

/** Top-level JSON values and plain lines, in the order printed (`}{` between two curl answers). */
function splitAnswers(output: string): string[] {
  const answers: string[] = [];
  let depth = 0;
  let inString = false;
  let current = '';
  for (let index = 0; index < output.length; index += 1) {
    const char = output[index]!;
    if (depth === 0 && (char === '\n' || char === '\r')) {
      if (current.trim()) answers.push(current.trim());
      current = '';
      continue;
    }
    if (depth === 0 && (char === '{' || char === '[') && current.trim()) {
      answers.push(current.trim()); // a scalar answer (`true`) right before a JSON one
      current = '';
    }
    current += char;
    if (inString) {
      if (char === '\\') current += output[++index] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth += 1;
    else if ((char === '}' || char === ']') && --depth === 0) {
      answers.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) answers.push(current.trim());
  return answers;
}
