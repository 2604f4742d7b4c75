/**
 * A PostgreSQL cluster as operators of real money run it, on loopback ports under a temporary
 * directory: etcd, three PostgreSQL 15 nodes under Patroni (synchronous_mode and
 * synchronous_mode_strict), and HAProxy routing a write port to the primary and a read port to the
 * replicas with Patroni's REST checks. Built from Debian's packages (installed when missing, as
 * root), with the configuration of deploy/ha/. Faults: SIGKILL of the primary (Patroni and
 * PostgreSQL), SIGSTOP of the primary longer than the leader TTL, a restart of a replica.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findFreePort } from '../../../src/db/embedded-postgres';
import { sleep } from '../chaos/cluster';
import { ensureDebianPackages, PG_BIN_DIR } from '../debian-packages';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const DEPLOY_DIR = path.join(PROJECT_ROOT, 'deploy', 'ha');
/** The Debian packages of the topology, and a binary each provides. */
const PACKAGES: Array<[string, string]> = [
  ['etcd-server', '/usr/bin/etcd'],
  ['patroni', '/usr/bin/patroni'],
  ['haproxy', '/usr/sbin/haproxy'],
  ['postgresql-15', path.join(PG_BIN_DIR, 'postgres')],
];
const NODES = 3;
const DATABASE = 'wallet';
const SUPERUSER_PASSWORD = 'ha-superuser-password';
const REPLICATION_PASSWORD = 'ha-replication-password';
/** The cluster must have a leader and a synchronous standby within this time of starting. */
const CLUSTER_READY_TIMEOUT_MS = 120_000;
const POLL_MS = 200;
/** A write probe waits this long for its answer (a write blocked on a missing standby never answers). */
const WRITE_PROBE_TIMEOUT_MS = 2_000;
const WRITES_BACK_TIMEOUT_MS = 120_000;

/** Installs the topology's Debian packages that are missing (as root), or says plainly why it cannot. */
function ensureHaPackages(log: (line: string) => void): void {
  ensureDebianPackages(PACKAGES, 'the HA cluster', log);
}

interface Node {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
  config: string;
  patroni: ChildProcess | undefined;
}

export interface Member {
  name: string;
  role: 'leader' | 'sync_standby' | 'replica' | string;
  state: string;
  timeline?: number;
}

export class HaCluster {
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'wallet-ha-'));
  private readonly nodes: Node[] = [];
  private etcd: ChildProcess | undefined;
  private haproxy: ChildProcess | undefined;
  private etcdPort = 0;
  private writePort = 0;
  private readPort = 0;

  constructor(private readonly log: (line: string) => void) {}

  /** The service's DATABASE_URL: HAProxy's write port, always the primary. */
  get url(): string {
    return `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${this.writePort}/${DATABASE}`;
  }

  /** HAProxy's read port: the replicas (DATABASE_READ_URL). */
  get readUrl(): string {
    return `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${this.readPort}/${DATABASE}`;
  }

  async start(): Promise<void> {
    ensureHaPackages(this.log);
    chmodSync(this.dir, 0o755);
    chownSync(this.dir, ...postgresUser());
    this.etcdPort = await findFreePort();
    const etcdPeerPort = await findFreePort();
    this.writePort = await findFreePort();
    this.readPort = await findFreePort();
    for (let index = 0; index < NODES; index += 1) {
      const name = `node${index}`;
      this.nodes.push({
        name,
        pgPort: await findFreePort(),
        restPort: await findFreePort(),
        dataDir: path.join(this.dir, name),
        config: path.join(this.dir, `${name}.yml`),
        patroni: undefined,
      });
    }
    this.etcd = this.spawnLogged('etcd', '/usr/bin/etcd', [
      '--name',
      'etcd0',
      '--data-dir',
      path.join(this.dir, 'etcd'),
      '--enable-v2=true',
      '--log-level',
      'warn',
      '--listen-client-urls',
      `http://127.0.0.1:${this.etcdPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${this.etcdPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${etcdPeerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${etcdPeerPort}`,
      '--initial-cluster',
      `etcd0=http://127.0.0.1:${etcdPeerPort}`,
      '--initial-cluster-state',
      'new',
    ]);
    await this.until(
      async () => (await fetchJson(`http://127.0.0.1:${this.etcdPort}/version`)) !== undefined,
      'etcd answers',
    );
    for (const node of this.nodes) {
      writeFileSync(node.config, this.patroniConfig(node));
      chownSync(node.config, ...postgresUser());
      this.startPatroni(node);
      // one at a time: the first bootstraps, the others clone it
      await this.until(
        async () => (await this.members()).some((member) => member.name === node.name && member.state === 'running'),
        `${node.name} runs`,
      );
    }
    await this.until(
      async () => this.hasLeaderAndSyncStandby(await this.members()),
      'a leader and a synchronous standby',
    );
    writeFileSync(path.join(this.dir, 'haproxy.cfg'), this.haproxyConfig());
    this.haproxy = this.spawnLogged('haproxy', '/usr/sbin/haproxy', ['-f', path.join(this.dir, 'haproxy.cfg'), '-db']);
    // HAProxy takes every server for up until its first checks: wait until writes go through steadily
    await this.until(
      async () => (await this.writeSucceeds('postgres')) && (await this.writeSucceeds('postgres')),
      'writes through HAProxy',
    );
    await this.until(async () => {
      await withClient(this.url.replace(`/${DATABASE}`, '/postgres'), async (client) => {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
        if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
      });
      await withClient(this.url, (client) =>
        client.query(
          'CREATE TABLE IF NOT EXISTS ha_probe (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz DEFAULT now())',
        ),
      );
      return true;
    }, `the ${DATABASE} database`);
  }

  /** The members as Patroni's REST API reports them (from any node that answers). */
  async members(): Promise<Member[]> {
    for (const node of this.nodes) {
      const cluster = (await fetchJson(`http://127.0.0.1:${node.restPort}/cluster`)) as
        { members?: Member[] } | undefined;
      if (cluster?.members) return cluster.members;
    }
    return [];
  }

  async leader(): Promise<string | undefined> {
    return (await this.members()).find((member) => member.role === 'leader')?.name;
  }

  /** SIGKILL of the primary's Patroni and PostgreSQL; then how long until a write succeeds again. */
  async killPrimary(): Promise<{ killed: string; writesBackMs: number }> {
    const node = await this.leaderNode();
    const killedAt = Date.now();
    this.kill(node, 'SIGKILL');
    const writesBackMs = await this.writesBackAfter(killedAt);
    this.startPatroni(node); // it rejoins as a replica (pg_rewind)
    return { killed: node.name, writesBackMs };
  }

  /**
   * SIGSTOP of the primary's Patroni and PostgreSQL for `pauseMs` (longer than the leader TTL: a
   * replica takes over), then SIGCONT. Returns whether the old primary acknowledged a write after it
   * woke (it must not: it has no synchronous standby any more, and Patroni demotes it).
   */
  async pausePrimary(
    pauseMs: number,
  ): Promise<{ paused: string; writesBackMs: number; oldPrimaryAcknowledgedWrite: boolean }> {
    const node = await this.leaderNode();
    const pausedAt = Date.now();
    this.kill(node, 'SIGSTOP');
    const writesBackMs = await this.writesBackAfter(pausedAt);
    await sleep(Math.max(0, pausedAt + pauseMs - Date.now()));
    this.kill(node, 'SIGCONT');
    // a real row: a commit that writes data waits for the synchronous standby the woken primary no longer has
    const oldPrimaryAcknowledgedWrite = await this.writeSucceeds(DATABASE, node.pgPort);
    return { paused: node.name, writesBackMs, oldPrimaryAcknowledgedWrite };
  }

  /** A replica's Patroni and PostgreSQL stopped at once and started again. */
  async restartReplica(): Promise<string | undefined> {
    const members = await this.members();
    const replica = members.find((member) => member.role !== 'leader' && member.state === 'running');
    const node = this.nodes.find((candidate) => candidate.name === replica?.name);
    if (!node) return undefined;
    this.kill(node, 'SIGKILL');
    await sleep(1000);
    this.startPatroni(node);
    return node.name;
  }

  /** Waits until every node runs again and a synchronous standby is back (after the faults). */
  async settle(): Promise<void> {
    await this.until(async () => {
      const members = await this.members();
      return (
        members.length === NODES &&
        members.every((member) => member.state === 'running' || member.state === 'streaming') &&
        this.hasLeaderAndSyncStandby(members)
      );
    }, 'every node running with a synchronous standby');
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      this.kill(node, 'SIGCONT');
      this.kill(node, 'SIGKILL');
    }
    this.haproxy?.kill('SIGKILL');
    this.etcd?.kill('SIGKILL');
    await sleep(500);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private hasLeaderAndSyncStandby(members: Member[]): boolean {
    return (
      members.some((member) => member.role === 'leader') && members.some((member) => member.role === 'sync_standby')
    );
  }

  private async leaderNode(): Promise<Node> {
    const name = await this.leader();
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error('the cluster has no leader');
    return node;
  }

  private async writesBackAfter(since: number): Promise<number> {
    const deadline = since + WRITES_BACK_TIMEOUT_MS;
    while (!(await this.writeSucceeds(DATABASE))) {
      if (Date.now() > deadline) throw new Error(`writes did not come back within ${WRITES_BACK_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
    return Date.now() - since;
  }

  /** One write, through HAProxy or straight to a node's port; true only when it is acknowledged. */
  private async writeSucceeds(database: string, port = this.writePort): Promise<boolean> {
    const url = `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/${database}`;
    const sql = database === DATABASE ? 'INSERT INTO ha_probe DEFAULT VALUES' : 'SELECT txid_current()';
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: WRITE_PROBE_TIMEOUT_MS });
    client.on('error', () => undefined);
    const timeout = sleep(WRITE_PROBE_TIMEOUT_MS).then(() => false);
    const attempt = (async () => {
      await client.connect();
      await client.query(sql);
      return true;
    })().catch(() => false);
    const acknowledged = await Promise.race([attempt, timeout]);
    void client.end().catch(() => undefined);
    return acknowledged;
  }

  private startPatroni(node: Node): void {
    node.patroni = this.spawnLogged(node.name, '/usr/sbin/runuser', [
      '-u',
      'postgres',
      '--',
      '/usr/bin/patroni',
      node.config,
    ]);
  }

  /** Sends a signal to a node's Patroni and to its PostgreSQL postmaster and backends. */
  private kill(node: Node, signal: NodeJS.Signals): void {
    const pids = [
      node.patroni?.pid,
      ...descendants(node.patroni?.pid),
      postmasterPid(node.dataDir),
      ...descendants(postmasterPid(node.dataDir)),
    ];
    for (const pid of new Set(pids)) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  private spawnLogged(name: string, command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (/\b(PANIC|CRITICAL)\b/.test(line)) this.log(`${name}: ${line.trim()}`);
    });
    return child;
  }

  private patroniConfig(node: Node): string {
    const template = readFileSync(path.join(DEPLOY_DIR, 'patroni.yml'), 'utf8');
    return template
      .replaceAll('{{NAME}}', node.name)
      .replaceAll('{{REST_PORT}}', String(node.restPort))
      .replaceAll('{{ETCD}}', `127.0.0.1:${this.etcdPort}`)
      .replaceAll('{{PG_PORT}}', String(node.pgPort))
      .replaceAll('{{DATA_DIR}}', node.dataDir)
      .replaceAll('{{RUN_DIR}}', this.dir)
      .replaceAll('{{PG_BIN_DIR}}', PG_BIN_DIR)
      .replaceAll('{{SUPERUSER_PASSWORD}}', SUPERUSER_PASSWORD)
      .replaceAll('{{REPLICATION_PASSWORD}}', REPLICATION_PASSWORD);
  }

  private haproxyConfig(): string {
    const servers = this.nodes
      .map((node) => `    server ${node.name} 127.0.0.1:${node.pgPort} check port ${node.restPort}`)
      .join('\n');
    return readFileSync(path.join(DEPLOY_DIR, 'haproxy.cfg'), 'utf8')
      .replaceAll('{{WRITE_PORT}}', String(this.writePort))
      .replaceAll('{{READ_PORT}}', String(this.readPort))
      .replaceAll('{{SERVERS}}', servers);
  }

  private async until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
    while (!(await condition().catch(() => false))) {
      if (Date.now() > deadline)
        throw new Error(`HA cluster: not reached within ${CLUSTER_READY_TIMEOUT_MS} ms: ${what}`);
      await sleep(POLL_MS);
    }
  }
}

/** The postgres user's uid and gid: Patroni and PostgreSQL refuse to run as root. */
function postgresUser(): [number, number] {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return [id('-u'), id('-g')];
}

function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Child processes (all generations) of a process, from /proc. */
function descendants(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    return children.flatMap((child) => [child, ...descendants(child)]);
  } catch {
    return [];
  }
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
