import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(__dirname, '../..');
/** tsx's loader by absolute URL: an entry point may run from any working directory (for its .env). */
export const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
/**
 * tsx reads tsconfig.json from the working directory; elsewhere it would miss the project's `paths`
 * (the SDK's sources) and load the SDK's build, which a clean clone does not have.
 */
export const TSX_ENV = { TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json') };
/** A failing start-up or a CLI command on the embedded server (first start: initdb) ends well within this. */
const ENTRY_POINT_TIMEOUT_MS = 90_000;

export type EntryPoint = 'src/main.ts' | 'src/migrate.ts' | 'src/transports/cli/main.ts';

export interface EntryPointRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface EntryPointOptions {
  /** The whole environment beyond PATH and HOME: nothing of the test runner's leaks in. */
  env?: Record<string, string>;
  cwd?: string;
  /** Close our end of its stdout at once, as `| head` does when it has read enough. */
  closeStdout?: boolean;
  /** Written to its standard input, which is then closed (else it has none). */
  input?: string;
}

/** Runs one of the product's entry points as an operator does, until it exits. */
export function runEntryPoint(
  entryPoint: EntryPoint,
  args: string[],
  options: EntryPointOptions = {},
): Promise<EntryPointRun> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, entryPoint), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...TSX_ENV, ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout!.destroy();
  else child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ENTRY_POINT_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
