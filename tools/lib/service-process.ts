/**
 * The service under test as a child process, started the way an operator starts it (`npm start`'s
 * command, see start-command.ts), so that the benchmark measures a real process: its own event loop, its own
 * pool, its own memory, and no sharing of CPU time with the load generator's JavaScript.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { serviceStartCommand } from './start-command';

/** Migrations, SQL definitions and tsx's first compile happen before the service listens. */
const SERVICE_START_TIMEOUT_MS = 90_000;
/** The service finishes in-flight work on SIGTERM (its own grace is 10 s); after this we SIGKILL. */
const SERVICE_STOP_TIMEOUT_MS = 20_000;
/** Lines of the child's output kept for error messages. */
const OUTPUT_TAIL_LINES = 60;
const LISTENING_LINE = /Wallet service listening on (http:\/\/\S+)/;
/** Printed right after LISTENING_LINE: the manager TCP API's address (MANAGER_PORT=0 picks a free port). */
const MANAGER_LISTENING_LINE = /Manager TCP API listening on \S+:(\d+)/;
/** pino's numeric levels of `error` and `fatal`. */
const PINO_ERROR_LEVEL_MIN = 50;

export interface ServiceCredentials {
  walletSecret: string;
  operatorApiKey: string;
  adminApiKey: string;
}

export interface ServiceLaunchOptions {
  projectRoot: string;
  databaseUrl: string;
  credentials: ServiceCredentials;
  logLevel: string;
  /** Node flags added before npm start's own (--cpu-prof, which NODE_OPTIONS refuses). */
  nodeFlags?: string[];
  /** Extra environment for the service (a later scenario may tune it). */
  env?: Record<string, string>;
}

export interface ServiceProcess {
  baseUrl: string;
  /** Port of the manager TCP API, on the same host as baseUrl. */
  managerPort: number;
  /** The node process that runs src/main.ts (npm start's command runs node directly: no wrapper). */
  servicePid: number;
  /** Log lines at level error or fatal seen so far. */
  errorLogLines(): number;
  /** How the process ended, when it has ("code 1", "signal SIGKILL"); undefined while it runs. */
  exitStatus(): string | undefined;
  outputTail(): string[];
  /** SIGTERM, wait for a clean exit (SIGKILL after SERVICE_STOP_TIMEOUT_MS); returns the exit code. */
  stop(): Promise<number | null>;
}

export async function launchService(options: ServiceLaunchOptions): Promise<ServiceProcess> {
  const start = serviceStartCommand(options.projectRoot);
  const child = spawn(start.command, [...(options.nodeFlags ?? []), ...start.args], {
    cwd: options.projectRoot,
    env: serviceEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputWatcher(child);
  let exitStatus: string | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      resolve(code);
    }),
  );
  // Last resort when this process exits without running its cleanup (an uncaught error, or a
  // signal handler that calls process.exit): never leave the service running.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    const code = await stopChild(child, exited);
    process.off('exit', killOnExit);
    return code;
  };
  try {
    const { baseUrl, managerPort } = await waitForListening(output, exited);
    return {
      baseUrl,
      managerPort,
      servicePid: child.pid!,
      errorLogLines: () => output.errorLines,
      exitStatus: () => exitStatus,
      outputTail: () => output.tail(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Only what the service needs: a stray WALLET_* or DATA_DIR of the caller's shell must not leak in.
 * (main.ts also reads a local .env, but never over variables that are set, so these win.)
 */
function serviceEnv(options: ServiceLaunchOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: options.databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    MANAGER_PORT: '0',
    LOG_LEVEL: options.logLevel,
    WALLET_SIGNATURE_MODE: 'v2', // the benchmark signs like the current platform
    WALLET_SECRETS: options.credentials.walletSecret,
    OPERATOR_API_KEY: options.credentials.operatorApiKey,
    ADMIN_API_KEY: options.credentials.adminApiKey,
    ...options.env,
  };
}

/** Reads the child's stdout and stderr line by line: finds the listening line, keeps a tail, counts error logs. */
class OutputWatcher {
  errorLines = 0;
  private readonly lines: string[] = [];
  private readonly listeners: ((line: string) => void)[] = [];

  constructor(child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) readline.createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  onLineMatching(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  tail(): string[] {
    return [...this.lines];
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.shift();
    const level = /"level":(\d+)/.exec(line);
    if (level && Number(level[1]) >= PINO_ERROR_LEVEL_MIN) this.errorLines += 1;
    for (const listener of this.listeners) listener(line);
  }
}

function waitForListening(
  output: OutputWatcher,
  exited: Promise<number | null>,
): Promise<{ baseUrl: string; managerPort: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`the service did not listen within ${SERVICE_START_TIMEOUT_MS} ms:\n${output.tail().join('\n')}`),
        ),
      SERVICE_START_TIMEOUT_MS,
    );
    let baseUrl: string | undefined;
    let managerPort: number | undefined;
    output.onLineMatching((line) => {
      baseUrl ??= LISTENING_LINE.exec(line)?.[1];
      const manager = MANAGER_LISTENING_LINE.exec(line);
      if (manager) managerPort ??= Number(manager[1]);
      if (baseUrl === undefined || managerPort === undefined) return;
      clearTimeout(timer);
      resolve({ baseUrl, managerPort });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with code ${code} before listening:\n${output.tail().join('\n')}`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<number | null>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, SERVICE_STOP_TIMEOUT_MS);
  });
  const code = await Promise.race([exited, killed]);
  clearTimeout(timer);
  return code;
}
