import { bindings, type Database } from '../../db/database';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors';
import { knownOutcome } from '../../shared/outcomes';

/** A Sync command answered SYNC_TIMEOUT, naming `order`. */
export interface SyncTimeout {
  order: bigint;
  command: string;
  extID: string;
  managerLogin: bigint | null;
}

/** The finance command behind a named order: what a retry of it is recognised by. */
export interface NamedCommand {
  login: bigint;
  cmd: number;
  scope: 'admin' | 'manager';
  referenceId: string | null;
  requestDigest: Buffer;
}

/** What became of a named order's command, when no record took the order. */
export type Resolution = { appliedOrderNo: bigint } | { code: ErrorCode; message: string };

/** A named order no record took: its command has not ended (pending), or was refused, or applied as another order. */
export type NamedOrderTrace =
  | { kind: 'pending'; login: bigint; cmd: number }
  | { kind: 'refused'; login: bigint; cmd: number; code: ErrorCode; message: string }
  | { kind: 'applied-as'; appliedOrderNo: bigint };

interface TraceRow {
  login: string;
  cmd: number;
  error_code: string | null;
  message: string | null;
  applied_order_no: string | null;
}

/**
 * The orders named in SYNC_TIMEOUT answers and what became of them (every order the service names
 * resolves for ever: docs/manager-api.md#looking-up-an-order). `sync_timeouts` lists the 504s (the
 * finance team reviews them in the reconciliation); `order_resolutions` keeps, per named order that
 * no record took, its command's refusal or the other order it was applied as.
 */
export class SyncTimeoutStore {
  constructor(private readonly db: Database) {}

  async insert(timeout: SyncTimeout, command: NamedCommand | null): Promise<void> {
    await this.db('sync_timeouts').insert({
      order_no: timeout.order.toString(),
      command: timeout.command,
      ext_id: timeout.extID,
      manager_login: timeout.managerLogin?.toString() ?? null,
      login: command?.login.toString() ?? null,
      cmd: command?.cmd ?? null,
      scope: command?.scope ?? null,
      reference_id: command?.referenceId ?? null,
      request_digest: command?.requestDigest ?? null,
    });
  }

  /**
   * The orders an earlier command with this once-only key and content already has: the one it was
   * applied under, and the first one a SYNC_TIMEOUT named while no record took it.
   */
  async ordersOfKey(
    command: NamedCommand & { referenceId: string },
  ): Promise<{ appliedOrderNo?: bigint; namedOrderNo?: bigint }> {
    const { rows } = await this.db.raw<{ rows: { applied: string | null; named: string | null }[] }>(
      `SELECT (SELECT k.order_no FROM idempotency_keys k WHERE k.scope = ? AND k.key = ? AND k.request_digest = ?)::text AS applied,
              (SELECT s.order_no FROM sync_timeouts s
                WHERE s.scope = ? AND s.reference_id = ? AND s.request_digest = ?
                  AND NOT EXISTS (SELECT 1 FROM finance_records f WHERE f.order_no = s.order_no)
                ORDER BY s.id LIMIT 1)::text AS named`,
      bindings([
        command.scope,
        command.referenceId,
        command.requestDigest,
        command.scope,
        command.referenceId,
        command.requestDigest,
      ]),
    );
    const { applied, named } = rows[0] ?? { applied: null, named: null };
    return {
      ...(applied === null ? {} : { appliedOrderNo: BigInt(applied) }),
      ...(named === null ? {} : { namedOrderNo: BigInt(named) }),
    };
  }

  /** Keeps what became of a named order's command; a later outcome of a retry under the order replaces it. */
  async resolve(orderNo: bigint, command: NamedCommand, outcome: Resolution): Promise<void> {
    const refusal = 'code' in outcome ? outcome : null;
    const row = {
      order_no: orderNo.toString(),
      login: command.login.toString(),
      cmd: command.cmd,
      error_code: refusal?.code ?? null,
      message: refusal?.message ?? null,
      applied_order_no: 'appliedOrderNo' in outcome ? outcome.appliedOrderNo.toString() : null,
      resolved_at: this.db.fn.now(),
    };
    await this.db('order_resolutions').insert(row).onConflict('order_no').merge();
  }

  /** What is known of a named order that has no record; undefined when the service never named it. */
  async trace(orderNo: bigint): Promise<NamedOrderTrace | undefined> {
    const { rows } = await this.db.raw<{ rows: TraceRow[] }>(
      `SELECT login, cmd, error_code, message, applied_order_no FROM (
         SELECT 0 AS rank, login::text, cmd, error_code, message, applied_order_no::text FROM order_resolutions WHERE order_no = ?
         UNION ALL
         (SELECT 1, login::text, cmd, NULL, NULL, NULL FROM sync_timeouts WHERE order_no = ? AND login IS NOT NULL ORDER BY id LIMIT 1)
       ) named ORDER BY rank LIMIT 1`,
      bindings([orderNo, orderNo]),
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.applied_order_no !== null) return { kind: 'applied-as', appliedOrderNo: BigInt(row.applied_order_no) };
    const named = { login: BigInt(row.login), cmd: row.cmd };
    if (row.error_code === null) return { kind: 'pending', ...named };
    return {
      kind: 'refused',
      ...named,
      code: knownOutcome(ERROR_CODES, row.error_code, 'order resolutions'),
      message: row.message ?? '',
    };
  }
}
