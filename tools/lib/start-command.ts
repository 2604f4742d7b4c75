/**
 * The service's start command exactly as `npm start` runs it (package.json scripts.start), so that
 * the benchmark and the chaos tool run the service the way an operator does, with the same Node
 * flags, without npm and a shell in between.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function serviceStartCommand(projectRoot: string): { command: string; args: string[] } {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [program, ...args] = manifest.scripts.start
    .trim()
    .replace(/^exec\s+/, '')
    .split(/\s+/);
  if (program !== 'node') throw new Error(`scripts.start must run node directly, found: ${manifest.scripts.start}`);
  return { command: process.execPath, args };
}
