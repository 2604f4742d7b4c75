import { TestApi } from '../support/api';
import { managerClient } from '../support/manager';
import { startTestService, type TestService } from '../support/test-service';

/**
 * /metrics keeps Prometheus's naming rules, which `promtool check metrics` enforces (CI runs the
 * real promtool on a live /metrics: tools/check-metrics.ts): a counter's name ends in `_total`, no
 * other type's does, only histograms and summaries have `_bucket`/`_count`/`_sum` series, and names
 * are snake case. Read from the text a scraper gets, after every kind of traffic has been served, so
 * that no metric is missing for having had nothing to count.
 */

let target: TestService;
let api: TestApi;

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
});
afterAll(async () => {
  api?.close();
  await target?.stop();
});

/** Each metric's `# TYPE` line: name and type. */
function declaredTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match) types.set(match[1]!, match[2]!);
  }
  return types;
}

/** The metric name of every sample line. */
function sampleNames(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => /^[^{\s]+/.exec(line)![0]);
}

it('names counters with _total and nothing else so, and every series after a metric of a type that has it', async () => {
  const { token } = await api.player('10.00');
  await api.wallet.call('getbalance', { token, currency: 'USD' });
  const { client } = await managerClient(api, target.service.managerPort);
  await client.close();
  await api.http.request('GET', '/no-such-page', null);

  const response = await api.http.request('GET', '/metrics', null);
  expect(response.status).toBe(200);
  const types = declaredTypes(response.text);
  expect(types.get('wallet_http_requests_total')).toBe('counter');
  expect(types.get('wallet_manager_commands_total')).toBe('counter');
  expect(types.get('nodejs_active_handles')).toBe('gauge');

  const misnamed = [...types]
    .filter(([name, type]) => (type === 'counter') !== name.endsWith('_total'))
    .map(([name, type]) => `${name} (${type})`);
  expect(misnamed).toEqual([]);
  expect([...types.keys()].filter((name) => !/^[a-z][a-z0-9_]*$/.test(name))).toEqual([]);

  const orphans = sampleNames(response.text).filter((name) => {
    if (types.has(name)) return false;
    const base = /^(.*)_(bucket|count|sum)$/.exec(name)?.[1];
    return !(base && ['histogram', 'summary'].includes(types.get(base) ?? ''));
  });
  expect(orphans).toEqual([]);
});
