import { ManagerClient } from '@wallet-service/client';
import type { TestApi } from './api';

export const MANAGER_PASSWORD = 'manager-password-1';

/** Creates a manager of this role through the admin API and returns a logged-in client. */
export async function managerClient(
  api: TestApi,
  port: number,
  role = 'SESSION_MANAGER',
): Promise<{ client: ManagerClient; login: number }> {
  const login = api.takeLogin() + 500_000;
  const created = await api.admin('POST', '/admin/managers', { login, password: MANAGER_PASSWORD, role });
  if (created.status !== 201) throw new Error(`manager creation failed: ${created.text}`);
  const client = await ManagerClient.connect(port);
  const answer = await client.login(login, MANAGER_PASSWORD);
  if (answer.status !== 200) throw new Error(`login failed: ${JSON.stringify(answer)}`);
  return { client, login };
}

/** Collects the events a subscribed client receives. */
export function collectEvents(client: ManagerClient): Array<{ type: string; data: Record<string, unknown> }> {
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  client.on('event', (event: { type: string; data: Record<string, unknown> }) => events.push(event));
  return events;
}

/** Waits until `condition` holds, polling; fails after `timeoutMs` (a bound, not a timing assertion). */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
