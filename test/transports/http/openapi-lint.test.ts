import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { API_DOCUMENT } from '../../../src/app/http-app';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
/** Where the document is written for the linter (.redocly.lint-ignore.yaml names this path). */
const DOCUMENT_FILE = 'test/artifacts/openapi.json';

/**
 * The OpenAPI document, generated from the schemas that validate the requests, passes Redocly's
 * recommended rules (a pinned devDependency) with no error and no warning; the only exceptions are
 * listed with their reason in .redocly.lint-ignore.yaml.
 */
describe('the OpenAPI document', () => {
  it('passes redocly lint with 0 errors and 0 warnings', async () => {
    mkdirSync(path.join(ROOT, 'test/artifacts'), { recursive: true });
    writeFileSync(path.join(ROOT, DOCUMENT_FILE), JSON.stringify(API_DOCUMENT, null, 1));
    const result = await run(
      path.join(ROOT, 'node_modules/.bin/redocly'),
      ['lint', DOCUMENT_FILE, '--format=summary'],
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      },
    ).catch((error: { stdout: string; stderr: string; code: number }) => error);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).toMatch(/Woohoo! Your API description is valid/);
    expect(output).not.toMatch(/\b(error|warning)\s+[a-z0-9-]+: \d+/);
  }, 60_000);

  it('documents the requests with the schemas that validate them', () => {
    const paths = API_DOCUMENT.paths as Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
    >;
    const balance = paths['/admin/balance']!.post!.requestBody!.content['application/json']!.schema;
    expect(balance).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['accountId', 'operation', 'amount'],
      properties: {
        operation: { enum: ['add', 'sub', 'credit', 'debit', 'adjustment', 'commission', 'swap'] },
        comment: { maxLength: 500 },
      },
    });
    const trade = paths['/wallet/opentrade']!.post!.requestBody!.content['application/json']!.schema;
    expect(trade).toMatchObject({
      required: ['token', 'currency', 'amount', 'externalTradeType', 'externalTradeId'],
      properties: { externalTradeType: { maxLength: 64 } },
    });
  });
});
