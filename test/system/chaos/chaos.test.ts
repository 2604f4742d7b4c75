import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ChaosReport } from '../../../tools/lib/chaos/engine';

const run = promisify(execFile);

/**
 * The short, fixed chaos run of `npm test` (the long one is `npm run chaos -- --duration 10m`), in
 * its own process with its own PostgreSQL: two instances, clients retrying every request, at least
 * one instance kill, one PostgreSQL immediate restart and one account row locked from outside; every
 * acknowledged operation must be in the ledger exactly once, and every answer its command's own.
 */
describe('chaos', () => {
  it('loses no acknowledged operation and applies no key twice under kills, database restarts and locked rows', async () => {
    const args = [
      'tools/chaos.ts',
      '--json',
      '--duration',
      '12s',
      '--workers',
      '8',
      '--accounts',
      '8',
      '--kill-every',
      '4s',
      '--postgres-restart-every',
      '6s',
      '--lock-every',
      '4s',
    ];
    const result = await run(path.resolve('node_modules/.bin/tsx'), args, { maxBuffer: 16 * 1024 * 1024 }).catch(
      (error: { stdout: string }) => error,
    );
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ChaosReport;
    expect(report.violations).toEqual([]);
    expect(report.operations.unresolved).toBe(0);
    expect(report.operations.acknowledged).toBeGreaterThan(100);
    expect(report.faults.instanceKills).toBeGreaterThanOrEqual(1);
    expect(report.faults.postgresRestarts).toBeGreaterThanOrEqual(1);
    expect(report.faults.accountLocks).toBeGreaterThanOrEqual(1);
    expect(report.foreignAnswers).toBe(0);
    expect(report.eventsReceived).toBeGreaterThan(0);
    expect(report.deliberateMismatches.refused).toBe(report.deliberateMismatches.sent);
  }, 240_000);
});
