import { bindings, type Database } from '../db/database';

/** One row of the outbox as the relay broadcasts it; the payload keeps its exact JSON text. */
export interface StoredEvent {
  id: bigint;
  channel: string;
  type: string;
  login: bigint;
  orderNo: bigint | null;
  /** The event's `data`, as PostgreSQL wrote it (exact decimals). */
  payloadJson: string;
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
}

interface EventRow {
  xip: string[];
  xmax: string;
  id: string | null;
  channel: string;
  type: string;
  login: string;
  order_no: string | null;
  payload: string;
  created_at: Date;
  late: boolean;
}

/** The outbox reads of the event relay. Each read is one statement: one consistent snapshot. */
export class EventStore {
  constructor(private readonly db: Database) {}

  /** Where a new reader starts: the newest id, and the transactions that might still add below it. */
  async startingPoint(): Promise<{ cursor: bigint; pendingTxids: string[]; pendingFrom: string }> {
    const { rows } = await this.db.raw<{ rows: { cursor: string; xip: string[]; xmax: string }[] }>(
      `SELECT coalesce(max(id), 0) AS cursor, array(SELECT pg_snapshot_xip(pg_current_snapshot())::text) AS xip,
              pg_snapshot_xmax(pg_current_snapshot())::text AS xmax
         FROM events`,
    );
    return { cursor: BigInt(rows[0]!.cursor), pendingTxids: rows[0]!.xip, pendingFrom: rows[0]!.xmax };
  }

  /**
   * Events above the cursor (at most `limit`), plus the events of transactions that were pending at
   * the previous read (listed, or at or above its xmax) and have committed since (they may sit below
   * the cursor), in id order.
   */
  async readAfter(cursor: bigint, pendingTxids: readonly string[], pendingFrom: string | null, limit: number): Promise<EventBatch> {
    const { rows } = await this.db.raw<{ rows: EventRow[] }>(
      `SELECT s.xip, s.xmax, e.id, e.channel, e.type, e.login, e.order_no, e.payload::text AS payload, e.created_at, e.late
         FROM (SELECT array(SELECT pg_snapshot_xip(pg_current_snapshot())::text) AS xip,
                      pg_snapshot_xmax(pg_current_snapshot())::text AS xmax) s
         LEFT JOIN LATERAL (
           (SELECT id, channel, type, login, order_no, payload, created_at, false AS late
              FROM events WHERE id > ? ORDER BY id LIMIT ?)
           UNION ALL
           (SELECT id, channel, type, login, order_no, payload, created_at, true AS late
              FROM events WHERE (txid = ANY (?::xid8[]) OR txid >= ?::xid8) AND id <= ?)
         ) e ON true
        ORDER BY e.id`,
      bindings([cursor, limit, pendingTxids, pendingFrom, cursor]),
    );
    let next = cursor;
    let fresh = 0;
    const events: StoredEvent[] = [];
    for (const row of rows) {
      if (row.id === null) continue;
      const id = BigInt(row.id);
      if (!row.late) {
        fresh += 1;
        if (id > next) next = id;
      }
      events.push({
        id,
        channel: row.channel,
        type: row.type,
        login: BigInt(row.login),
        orderNo: row.order_no === null ? null : BigInt(row.order_no),
        payloadJson: row.payload,
        createdAt: row.created_at,
      });
    }
    // the snapshot row is always there (a LEFT JOIN from it), with or without events
    const snapshot = rows[0]!;
    return { events, cursor: next, pendingTxids: snapshot.xip, pendingFrom: snapshot.xmax, full: fresh >= limit };
  }
}
