import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * The SDK's HTTP types are the service's OpenAPI document rendered by openapi-typescript: a change of
 * a zod schema or a response of the service that is not regenerated into the SDK fails here. The
 * check runs in its own process: openapi-typescript's dependencies are ES modules, which Jest's
 * CommonJS runtime cannot load.
 */
const GENERATOR = 'packages/client/scripts/generate-types.ts';
const CHECK_TIMEOUT_MS = 50_000;

it('the SDK types are generated from the service OpenAPI document as it is now', async () => {
  const run = promisify(execFile)(process.execPath, ['--import', 'tsx', GENERATOR, '--check'], {
    timeout: CHECK_TIMEOUT_MS,
  });
  const { stdout } = await run.catch((failure: { stdout?: string; stderr?: string }) => {
    throw new Error(`${failure.stderr ?? ''}${failure.stdout ?? ''}`);
  });
  expect(stdout).toContain('is up to date');
});
