/**
 * CPU time of processes from /proc (Linux): on a small machine the load generator, the service
 * and PostgreSQL share the cores, so "where did the CPU go" explains a throughput figure.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { WindowObserver } from './load';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const CLOCK_TICKS_PER_S = 100;
const MS_PER_TICK = 1000 / CLOCK_TICKS_PER_S;

/** Fields of /proc/<pid>/stat after the command name: utime, stime, cutime, cstime (1-based 14..17). */
const UTIME_FIELD = 14;
const CUTIME_FIELD = 16;
const CSTIME_FIELD = 17;

/**
 * CPU milliseconds used by a process and everything it started, including children that already
 * exited (their time is added to the parent's cutime/cstime when reaped: PostgreSQL backends of
 * closed connections still count). Undefined when the process is gone or /proc is unavailable.
 */
export function processTreeCpuMs(pid: number): number | undefined {
  const own = statTicks(pid);
  if (own === undefined) return undefined;
  const children = childrenOf(pid).reduce((sum, child) => sum + (processTreeCpuMs(child) ?? 0), 0);
  return own * MS_PER_TICK + children;
}

/** CPU milliseconds of the whole machine (every core, busy time only), from /proc/stat. */
export function machineBusyCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    const total = fields.reduce((sum, value) => sum + value, 0);
    return (total - idle) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

export const CPU_COUNT = os.cpus().length;

function statTicks(pid: number | 'self', firstField = UTIME_FIELD): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const offset = 3; // fields[0] is field 3 (state)
    let ticks = 0;
    for (let field = firstField; field <= CSTIME_FIELD; field += 1) ticks += Number(fields[field - offset]);
    return ticks;
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds of this process's children that have exited and been reaped (cutime + cstime):
 * a pgbench run by the bench counts as load generator once it has finished. Running children (the
 * service, the embedded server) are not included.
 */
function reapedChildrenCpuMs(): number {
  return (statTicks('self', CUTIME_FIELD) ?? 0) * MS_PER_TICK;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU used by each of several parties between `start` and `stop`. */
export class CpuMeter {
  private before: Record<string, number | undefined> = {};

  constructor(private readonly parties: Record<string, () => number | undefined>) {}

  start(): void {
    this.before = this.read();
  }

  /** CPU milliseconds per party since start (null where it could not be read). */
  stop(): Record<string, number | null> {
    const after = this.read();
    return Object.fromEntries(
      Object.keys(this.parties).map((name) => {
        const start = this.before[name];
        const end = after[name];
        return [name, start === undefined || end === undefined ? null : end - start];
      }),
    );
  }

  private read(): Record<string, number | undefined> {
    return Object.fromEntries(Object.entries(this.parties).map(([name, read]) => [name, read()]));
  }
}

/** CPU milliseconds per request of each party (null where it could not be measured). */
export interface CpuShare {
  /** This process, plus its finished child processes (pgbench). */
  client: number | null;
  service: number | null;
  postgres: number | null;
  /** Every other process on the machine: noise, when the machine is not ours alone. */
  other: number | null;
}

/**
 * CPU use of each party over a scenario's measured window (runClosedLoop opens and closes it),
 * so that set-up and warm-up do not count.
 */
export class WindowCpu implements WindowObserver {
  private measured: Record<string, number | null> | undefined;
  private readonly meter: CpuMeter;

  constructor(servicePid: number, postgresPid: number | undefined) {
    this.meter = new CpuMeter({
      client: () => {
        const usage = process.cpuUsage();
        return (usage.user + usage.system) / 1000 + reapedChildrenCpuMs();
      },
      service: () => processTreeCpuMs(servicePid),
      postgres: () => (postgresPid === undefined ? undefined : processTreeCpuMs(postgresPid)),
      machine: machineBusyCpuMs,
    });
  }

  reset(): void {
    this.measured = undefined;
  }

  onStart(): void {
    this.meter.start();
  }

  onEnd(): void {
    this.measured = this.meter.stop();
  }

  perRequest(requests: number): CpuShare | null {
    const cpu = this.measured;
    if (cpu === undefined || requests === 0) return null;
    const per = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms / requests);
    const known = (cpu.client ?? 0) + (cpu.service ?? 0) + (cpu.postgres ?? 0);
    const other = cpu.machine === null || cpu.machine === undefined ? null : Math.max(0, cpu.machine - known);
    return { client: per(cpu.client), service: per(cpu.service), postgres: per(cpu.postgres), other: per(other) };
  }
}
