import { API_DOCUMENT } from '../../../src/app/http-app';
import { TestApi } from '../../support/api';
import { startTestService, type TestService } from '../../support/test-service';

/**
 * Every change an admin makes through the admin API is in the audit log, with its actor and what it
 * changed, written by the core in the change's own transaction; a refused write records nothing.
 * Balance operations are the exception: the ledger keeps each with its actor. The list of writes is
 * read from the OpenAPI document, so a new write endpoint without a case here fails this file.
 */

interface AuditRow {
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

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

async function auditRows(): Promise<AuditRow[]> {
  const { rows } = await target.sql.query<AuditRow>('SELECT actor, action, target, detail FROM audit_log ORDER BY id');
  return rows;
}

/** Runs `write` and returns the audit rows it added. */
async function recordedBy(write: () => Promise<{ status: number }>, status: number): Promise<AuditRow[]> {
  const before = (await auditRows()).length;
  const response = await write();
  expect(response.status).toBe(status);
  return (await auditRows()).slice(before);
}

/** Balance operations are in the ledger with their actor, not in the audit log. */
const LEDGER_WRITES = new Set(['POST /admin/balance']);

/** Each write of the admin API, done once, and the one audit row it must leave. */
const WRITES: Record<string, () => Promise<AuditRow>> = {
  'POST /admin/accounts': async () => {
    const login = api.takeLogin();
    const rows = await recordedBy(
      () => api.admin('POST', '/admin/accounts', { login, currency: 'EUR', name: 'Ada Audit' }),
      201,
    );
    expect(rows).toEqual([
      {
        actor: 'admin-api',
        action: 'account.create',
        target: String(login),
        detail: { currency: 'EUR', name: 'Ada Audit' },
      },
    ]);
    return rows[0]!;
  },
  'PATCH /admin/accounts/{login}': async () => {
    const login = await api.createAccount();
    const disabled = await recordedBy(
      () => api.admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' }),
      200,
    );
    expect(disabled).toEqual([
      {
        actor: 'admin-api',
        action: 'account.disable',
        target: String(login),
        detail: { status: 'disabled', previous: 'active' },
      },
    ]);
    const enabled = await recordedBy(() => api.admin('PATCH', `/admin/accounts/${login}`, { status: 'active' }), 200);
    expect(enabled).toEqual([
      {
        actor: 'admin-api',
        action: 'account.enable',
        target: String(login),
        detail: { status: 'active', previous: 'disabled' },
      },
    ]);
    return enabled[0]!;
  },
  'POST /admin/managers': async () => {
    const login = api.takeLogin() + 500_000;
    const password = 'a-manager-password-1';
    const rows = await recordedBy(
      () => api.admin('POST', '/admin/managers', { login, password, role: 'SESSION_DEALER' }),
      201,
    );
    expect(rows).toEqual([
      { actor: 'admin-api', action: 'manager.create', target: String(login), detail: { role: 'SESSION_DEALER' } },
    ]);
    expect(JSON.stringify(rows)).not.toContain(password);
    return rows[0]!;
  },
  'POST /admin/users': async () => {
    const rows = await recordedBy(
      () =>
        api.admin('POST', '/admin/users', {
          username: 'audrey',
          password: 'a console password, long enough',
          role: 'viewer',
        }),
      201,
    );
    expect(rows).toEqual([expect.objectContaining({ actor: 'admin-api', action: 'user.create', target: 'audrey' })]);
    return rows[0]!;
  },
  'PATCH /admin/users/{username}': async () => {
    const rows = await recordedBy(() => api.admin('PATCH', '/admin/users/audrey', { role: 'finance' }), 200);
    expect(rows).toEqual([
      expect.objectContaining({
        actor: 'admin-api',
        action: 'user.update',
        target: 'audrey',
        detail: expect.objectContaining({ role: 'finance' }),
      }),
    ]);
    return rows[0]!;
  },
  'DELETE /admin/users/{username}/sessions': async () => {
    const rows = await recordedBy(() => api.admin('DELETE', '/admin/users/audrey/sessions'), 200);
    expect(rows).toEqual([
      expect.objectContaining({ actor: 'admin-api', action: 'user.sessions.revoke', target: 'audrey' }),
    ]);
    return rows[0]!;
  },
  'POST /admin/reconciliation/match': async () => {
    const csv = `reference,amount,currency,date\nnot-in-ledger,1.00,USD,${new Date().toISOString()}\n`;
    const rows = await recordedBy(
      () =>
        api.http.request('POST', '/admin/reconciliation/match', csv, {
          Authorization: `Bearer ${target.config.adminApiKey}`,
          'Content-Type': 'text/csv',
        }),
      200,
    );
    expect(rows).toEqual([expect.objectContaining({ actor: 'admin-api', action: 'match.run' })]);
    return rows[0]!;
  },
};

it('has a case here for every write of the admin API', () => {
  const writes = Object.entries(API_DOCUMENT.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, operations]) =>
      Object.keys(operations)
        .filter((method) => ['post', 'put', 'patch', 'delete'].includes(method) && path.startsWith('/admin/'))
        .map((method) => `${method.toUpperCase()} ${path}`),
  );
  expect(writes.filter((write) => !LEDGER_WRITES.has(write)).sort()).toEqual(Object.keys(WRITES).sort());
});

it.each(Object.keys(WRITES))('%s is recorded with its actor and what it changed', async (write) => {
  const row = await WRITES[write]!();
  expect(row.actor).toBe('admin-api');
});

describe('a refused write records nothing', () => {
  let existing: number;
  let existingManager: number;

  beforeAll(async () => {
    existing = await api.createAccount();
    existingManager = api.takeLogin() + 500_000;
    expect(
      (
        await api.admin('POST', '/admin/managers', {
          login: existingManager,
          password: 'a-manager-password-2',
          role: 'SESSION_MANAGER',
        })
      ).status,
    ).toBe(201);
  });

  it.each<[string, () => Promise<{ status: number }>, number]>([
    [
      'an account whose login is taken',
      () => api.admin('POST', '/admin/accounts', { login: existing, currency: 'USD' }),
      409,
    ],
    [
      'an account in an unknown currency',
      () => api.admin('POST', '/admin/accounts', { login: api.takeLogin(), currency: 'XXXXX' }),
      400,
    ],
    [
      'an account with a wrong admin key',
      () =>
        api.admin(
          'POST',
          '/admin/accounts',
          { login: api.takeLogin(), currency: 'USD' },
          'not-the-admin-key-0123456789',
        ),
      401,
    ],
    [
      'a status of an unknown account',
      () => api.admin('PATCH', '/admin/accounts/987654321', { status: 'disabled' }),
      404,
    ],
    [
      'a status that does not exist',
      () => api.admin('PATCH', `/admin/accounts/${existing}`, { status: 'closed' }),
      400,
    ],
    [
      'a manager whose login is taken',
      () =>
        api.admin('POST', '/admin/managers', {
          login: existingManager,
          password: 'a-manager-password-3',
          role: 'SESSION_ADMIN',
        }),
      409,
    ],
    [
      'a manager with too short a password',
      () =>
        api.admin('POST', '/admin/managers', {
          login: api.takeLogin() + 500_000,
          password: 'short',
          role: 'SESSION_MANAGER',
        }),
      400,
    ],
  ])('%s', async (_what, write, status) => {
    expect(await recordedBy(write, status)).toEqual([]);
  });

  it('and the account stays as it was', async () => {
    const { rows } = await target.sql.query<{ status: string }>('SELECT status FROM accounts WHERE login = $1', [
      existing,
    ]);
    expect(rows).toEqual([{ status: 'active' }]);
  });
});
