import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/db/embedded-postgres';
import { ensureDebianPackages, PG_BIN_DIR } from './debian-packages';

const DATABASE = 'wallet';
const ROLE = 'wallet';

/**
 * A throw-away server of Debian's PostgreSQL 15 (installed when missing, as root), as production
 * runs one: its own data directory, password authentication over TCP, a database and a role that
 * owns it. Run as the `postgres` user when we are root (PostgreSQL refuses root).
 */
export class SystemPostgres {
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'wallet-pg-'));
  private readonly dataDir = path.join(this.dir, 'data');
  private readonly password = `pw-${process.pid}-${Date.now()}`;
  private port = 0;
  private running = false;

  constructor(private readonly log: (line: string) => void) {}

  /** The URL the service gets as DATABASE_URL (a non-superuser owning its database). */
  get url(): string {
    return `postgres://${ROLE}:${this.password}@127.0.0.1:${this.port}/${DATABASE}`;
  }

  async start(): Promise<void> {
    ensureDebianPackages(
      [['postgresql-15', path.join(PG_BIN_DIR, 'postgres')]],
      "the production path's PostgreSQL",
      this.log,
    );
    this.port = await findFreePort();
    chmodSync(this.dir, 0o755);
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
      chownSync(this.dir, id('-u'), id('-g'));
    }
    this.run('initdb', [
      '-D',
      this.dataDir,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
    ]);
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
    this.running = true;
    const setup = path.join(this.dir, 'setup.sql');
    writeFileSync(
      setup,
      `CREATE ROLE ${ROLE} LOGIN PASSWORD '${this.password}';\nCREATE DATABASE ${DATABASE} OWNER ${ROLE};\n`,
    );
    chmodSync(setup, 0o644);
    this.run('psql', [
      '-h',
      this.dir,
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-f',
      setup,
    ]);
    this.log(`Debian PostgreSQL 15 on 127.0.0.1:${this.port}`);
  }

  stop(): void {
    if (this.running) this.run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
    this.running = false;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A PostgreSQL program, as the postgres user when we are root. */
  private run(program: string, args: string[]): void {
    const binary = path.join(PG_BIN_DIR, program);
    const [command, commandArgs] =
      process.getuid?.() === 0 ? ['/usr/sbin/runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
    execFileSync(command, commandArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}
