/**
 * Everything a script started, stopped in reverse order exactly once: from `finally`, and from a
 * SIGINT/SIGTERM handler, so that no service process or PostgreSQL server outlives the script.
 */
import { withTimeout } from './concurrency';

/** One stop step may take this long (a stop that waits for an exit that already happened must not hang us). */
const CLEANUP_STEP_TIMEOUT_MS = 30_000;

export class CleanupStack {
  private readonly steps: { what: string; run: () => Promise<unknown> | unknown }[] = [];
  private running: Promise<void> | undefined;

  push(what: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ what, run });
  }

  /** Runs every step (latest first), reporting failures without stopping the others. */
  runAll(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  /** On SIGINT/SIGTERM: stop what we started, then exit with 128 + signal number as shells expect. */
  exitOnSignals(): void {
    const handle = (signal: NodeJS.Signals, code: number) => {
      process.stderr.write(`\n${signal}: stopping what was started...\n`);
      void this.runAll().finally(() => process.exit(code));
    };
    process.once('SIGINT', () => handle('SIGINT', 130));
    process.once('SIGTERM', () => handle('SIGTERM', 143));
  }

  private async runSteps(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await withTimeout(Promise.resolve().then(step.run), CLEANUP_STEP_TIMEOUT_MS, `cleanup: ${step.what}`);
      } catch (error) {
        process.stderr.write(
          `cleanup: ${step.what} failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
  }
}
