import { bindings, type Database } from '../../db/database';
import { minorFromDb } from '../money/amount';
import { knownOutcome } from '../../shared/outcomes';

/** The events of a finance record's life and of a wallet trade's (ScaleTrade's trade:event types). */
export const TRADE_EVENT_TYPES = ['EV_RECORD_ADD', 'EV_RECORD_UPDATE', 'EV_RECORD_DELETE'] as const;
export type TradeEventType = (typeof TRADE_EVENT_TYPES)[number];

/**
 * What a money transaction did, as its event records it (typed: the manager transport formats it).
 * For a finance record: its cmd, state, signed amount (profit), comment and times as they stood
 * after this transaction. For a wallet trade (cmd 0): also the stake, the payout and the trade key.
 */
export interface TradeEventData {
  orderNo: bigint;
  login: bigint;
  cmd: number;
  state: number;
  currency: string;
  profitMinor: bigint;
  comment: string | null;
  openTime: bigint;
  closeTime: bigint;
  stakeMinor: bigint | null;
  payoutMinor: bigint | null;
  tradeType: string | null;
  tradeId: string | null;
}

/** One row of the outbox as the relay broadcasts it. */
export interface StoredEvent extends TradeEventData {
  id: bigint;
  channel: string;
  type: TradeEventType;
  /** The command whose transaction wrote this event (null when it came from no manager command). */
  commandId: string | null;
  createdAt: Date;
}

export interface EventBatch {
  events: StoredEvent[];
  /** Highest id among the rows read above the cursor (unchanged when none). */
  cursor: bigint;
  /** Transactions in progress at the batch's snapshot: they may still commit events below the cursor. */
  pendingTxids: string[];
  /**
   * The snapshot's xmax: a transaction at or above it may be in progress without being listed in
   * `pendingTxids` (xmax is the latest completed xid + 1, not the next xid to be assigned), so it
   * may still commit events below the cursor too.
   */
  pendingFrom: string;
  /** True when the batch was cut at the limit: more rows wait above the cursor. */
  full: boolean;
  /** The server's WAL timeline: a primary promoted at a failover writes on a higher one than the old. */
  timeline: number;
}

interface EventRow {
  id: string;
  channel: string;
  type: string;
  login: string;
  order_no: string;
  command_id: string | null;
  cmd: number;
  state: number;
  currency: string;
  profit_minor: string;
  comment: string | null;
  open_time: string;
  close_time: string;
  stake_minor: string | null;
  payout_minor: string | null;
  trade_type: string | null;
  trade_id: string | null;
  created_at: Date;
}

/**
 * The server's timeline, from the name of its current WAL file (readable without privileges; it
 * fails on a standby, where the relay must not read anyway: a standby may lag or be a dead fork).
 */
const TIMELINE_SQL = `('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int`;

interface BatchRow extends Omit<EventRow, 'id'> {
  xip: string[];
  xmax: string;
  timeline: number;
  id: string | null;
  late: boolean;
}

const EVENT_COLUMNS = `id, channel, type, login, order_no, command_id, cmd, state, currency, profit_minor, comment,
  open_time, close_time, stake_minor, payout_minor, trade_type, trade_id, created_at`;

/** The outbox reads of the event relay. Each read is one statement: one consistent snapshot. */
export class EventStore {
  constructor(private readonly db: Database) {}

  /** Where a new reader starts: the newest id, and the transactions that might still add below it. */
  async startingPoint(): Promise<{ cursor: bigint; pendingTxids: string[]; pendingFrom: string; timeline: number }> {
    const { rows } = await this.db.raw<{ rows: { cursor: string; xip: string[]; xmax: string; timeline: number }[] }>(
      `SELECT coalesce(max(id), 0) AS cursor, array(SELECT pg_snapshot_xip(pg_current_snapshot())::text) AS xip,
              pg_snapshot_xmax(pg_current_snapshot())::text AS xmax, ${TIMELINE_SQL} AS timeline
         FROM events`,
    );
    const row = rows[0]!;
    return { cursor: BigInt(row.cursor), pendingTxids: row.xip, pendingFrom: row.xmax, timeline: row.timeline };
  }

  /**
   * Events above the cursor (at most `limit`), plus the events of transactions that were pending at
   * the previous read (listed, or at or above its xmax) and have committed since (they may sit below
   * the cursor), in id order.
   */
  async readAfter(
    cursor: bigint,
    pendingTxids: readonly string[],
    pendingFrom: string | null,
    limit: number,
  ): Promise<EventBatch> {
    const { rows } = await this.db.raw<{ rows: BatchRow[] }>(
      `SELECT s.xip, s.xmax, s.timeline, e.*
         FROM (SELECT array(SELECT pg_snapshot_xip(pg_current_snapshot())::text) AS xip,
                      pg_snapshot_xmax(pg_current_snapshot())::text AS xmax, ${TIMELINE_SQL} AS timeline) s
         LEFT JOIN LATERAL (
           (SELECT ${EVENT_COLUMNS}, false AS late FROM events WHERE id > ? ORDER BY id LIMIT ?)
           UNION ALL
           (SELECT ${EVENT_COLUMNS}, true AS late FROM events
             WHERE (txid = ANY (?::xid8[]) OR txid >= ?::xid8) AND id <= ?)
         ) e ON true
        ORDER BY e.id`,
      bindings([cursor, limit, pendingTxids, pendingFrom, cursor]),
    );
    let next = cursor;
    let fresh = 0;
    const events: StoredEvent[] = [];
    for (const row of rows) {
      if (row.id === null) continue;
      const event = toStoredEvent(row as EventRow);
      if (!row.late) {
        fresh += 1;
        if (event.id > next) next = event.id;
      }
      events.push(event);
    }
    // the snapshot row is always there (a LEFT JOIN from it), with or without events
    const snapshot = rows[0]!;
    return {
      events,
      cursor: next,
      pendingTxids: snapshot.xip,
      pendingFrom: snapshot.xmax,
      full: fresh >= limit,
      timeline: snapshot.timeline,
    };
  }

  /** One event by id (the first outcome a replayed command answers with). */
  async byId(id: bigint): Promise<StoredEvent | undefined> {
    const { rows } = await this.db.raw<{ rows: EventRow[] }>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`,
      bindings([id]),
    );
    return rows[0] === undefined ? undefined : toStoredEvent(rows[0]);
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: BigInt(row.id),
    channel: row.channel,
    type: knownOutcome(TRADE_EVENT_TYPES, row.type, 'events'),
    commandId: row.command_id,
    orderNo: BigInt(row.order_no),
    login: BigInt(row.login),
    cmd: row.cmd,
    state: row.state,
    currency: row.currency,
    profitMinor: minorFromDb(row.profit_minor),
    comment: row.comment,
    openTime: BigInt(row.open_time),
    closeTime: BigInt(row.close_time),
    stakeMinor: row.stake_minor === null ? null : minorFromDb(row.stake_minor),
    payoutMinor: row.payout_minor === null ? null : minorFromDb(row.payout_minor),
    tradeType: row.trade_type,
    tradeId: row.trade_id,
    createdAt: row.created_at,
  };
}
