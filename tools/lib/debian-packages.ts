import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's PostgreSQL 15 binaries (package postgresql-15). */
export const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** A tool's Debian packages are missing and cannot be installed here (not root, no apt, no network). */
export class PackagesUnavailableError extends Error {}

/**
 * Installs the Debian packages that are missing (as root), saying so, or says plainly why it cannot.
 * `packages` pairs each package with a file it provides, by which it is known to be installed.
 */
export function ensureDebianPackages(
  packages: ReadonlyArray<[name: string, providedFile: string]>,
  purpose: string,
  log: (line: string) => void,
): void {
  const missing = packages.filter(([, file]) => !existsSync(file)).map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new PackagesUnavailableError(
      `${purpose} needs the Debian packages ${missing.join(', ')}; install them as root`,
    );
  log(`installing Debian packages for ${purpose}: ${missing.join(', ')}`);
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    throw new PackagesUnavailableError(
      `${purpose}: could not install ${missing.join(', ')}: ${(error as Error).message}`,
    );
  }
}
