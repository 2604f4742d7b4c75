import type { ChaosDatabase, DatabaseFault } from '../chaos/cluster';
import { HaCluster } from './ha-cluster';

/** How long a paused primary stays stopped: well past the leader key's TTL (deploy/ha/patroni.yml). */
const PRIMARY_PAUSE_MS = 20_000;

/**
 * The HA cluster as the chaos run's database. Its faults, in turn: the primary killed, killed
 * again, paused past the TTL (then woken: it must not acknowledge a write), a replica restarted;
 * after each, the run waits for the cluster to be whole again (three nodes, a synchronous standby).
 * It measures how long writes were unavailable after each primary fault.
 */
export class HaChaosDatabase implements ChaosDatabase {
  private readonly cluster: HaCluster;
  private readonly writesBackMs: number[] = [];
  private oldPrimaryAcknowledgedWrites = 0;

  constructor(log: (line: string) => void) {
    this.cluster = new HaCluster(log);
  }

  get url(): string {
    return this.cluster.url;
  }

  start(): Promise<void> {
    return this.cluster.start();
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }

  faults(): DatabaseFault[] {
    const kill: DatabaseFault = {
      name: 'primaryKills',
      run: async () => {
        const { killed, writesBackMs } = await this.cluster.killPrimary();
        this.writesBackMs.push(writesBackMs);
        await this.cluster.settle();
        return `${killed} killed; writes back after ${writesBackMs} ms`;
      },
    };
    const pause: DatabaseFault = {
      name: 'primaryPauses',
      run: async () => {
        const { paused, writesBackMs, oldPrimaryAcknowledgedWrite } = await this.cluster.pausePrimary(PRIMARY_PAUSE_MS);
        this.writesBackMs.push(writesBackMs);
        if (oldPrimaryAcknowledgedWrite) this.oldPrimaryAcknowledgedWrites += 1;
        await this.cluster.settle();
        return `${paused} paused ${PRIMARY_PAUSE_MS} ms; writes back after ${writesBackMs} ms; the woken old primary ${oldPrimaryAcknowledgedWrite ? 'ACKNOWLEDGED A WRITE' : 'acknowledged no write'}`;
      },
    };
    const replicaRestart: DatabaseFault = {
      name: 'replicaRestarts',
      run: async () => {
        const restarted = await this.cluster.restartReplica();
        await this.cluster.settle();
        return `${restarted ?? 'no replica'} restarted`;
      },
    };
    return [kill, kill, pause, replicaRestart];
  }

  /** Measured for the report; a woken old primary that acknowledged a write is a violation. */
  report(): {
    writesUnavailableMs: { count: number; p50: number | null; max: number | null };
    oldPrimaryAcknowledgedWrites: number;
  } {
    const sorted = [...this.writesBackMs].sort((a, b) => a - b);
    return {
      writesUnavailableMs: {
        count: sorted.length,
        p50: sorted[Math.floor((sorted.length - 1) / 2)] ?? null,
        max: sorted.at(-1) ?? null,
      },
      oldPrimaryAcknowledgedWrites: this.oldPrimaryAcknowledgedWrites,
    };
  }

  violations(): string[] {
    return this.oldPrimaryAcknowledgedWrites > 0
      ? [`a paused old primary acknowledged a write after it woke (${this.oldPrimaryAcknowledgedWrites} times)`]
      : [];
  }
}
