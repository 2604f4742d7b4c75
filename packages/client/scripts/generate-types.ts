import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GENERATED_TYPES_FILE, REGENERATE_COMMAND, renderOpenApiTypes } from './openapi-types';

/**
 * Rewrites src/generated/openapi.ts from the service's OpenAPI document; with `--check`, writes
 * nothing and exits 1 when the file differs from a fresh rendering (the test that keeps the SDK
 * from drifting from the service runs this).
 */
async function main(): Promise<void> {
  const fresh = await renderOpenApiTypes();
  const file = path.relative(process.cwd(), GENERATED_TYPES_FILE);
  if (!process.argv.includes('--check')) {
    await writeFile(GENERATED_TYPES_FILE, fresh);
    console.log(`wrote ${file}`);
    return;
  }
  const committed = await readFile(GENERATED_TYPES_FILE, 'utf8').catch(() => '');
  if (committed === fresh) {
    console.log(`${file} is up to date`);
    return;
  }
  console.error(`${file} is out of date with the service's OpenAPI document: run \`${REGENERATE_COMMAND}\``);
  process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
