/**
 * The console's roles and what each may do (issue 14). One table, read by the console for every
 * page and action and by the admin API when it manages users.
 */
export const CONSOLE_ROLES = ['viewer', 'finance', 'admin'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export type ConsolePermission =
  /** accounts, ledgers, balances at a moment, the dashboard */
  | 'read'
  /** run a reconciliation or a matching, save a match run, reopen the history */
  | 'reconcile'
  /** statements, ledger exports, match results as files */
  | 'download'
  /** the audit log */
  | 'audit'
  /** console users: create, change roles, disable, end sessions */
  | 'manage-users';

const GRANTS: Record<ConsoleRole, ReadonlySet<ConsolePermission>> = {
  viewer: new Set(['read']),
  finance: new Set(['read', 'reconcile', 'download', 'audit']),
  admin: new Set(['read', 'reconcile', 'download', 'audit', 'manage-users']),
};

export function roleAllows(role: ConsoleRole, permission: ConsolePermission): boolean {
  return GRANTS[role].has(permission);
}
