import type { ConsoleRole } from '../../core/access/console-roles';
import type { ConsoleUser } from '../../core/access/console-user-store';
import type { AuditEntry } from '../../core/audit/audit-log';

/** A console user (never its password). */
export interface PresentedUser {
  username: string;
  role: ConsoleRole;
  disabled: boolean;
  createdAt: string;
  /** The actor that created it. */
  createdBy: string;
}

export function presentUser(user: ConsoleUser): PresentedUser {
  return {
    username: user.username,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    createdBy: user.createdBy,
  };
}

/** One line of the audit log: who did what, on what. */
export interface PresentedAuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

export function presentAuditEntry(entry: AuditEntry): PresentedAuditEntry {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    detail: entry.detail,
  };
}
