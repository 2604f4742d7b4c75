import type { Readable } from 'node:stream';
import { bindings, type Database } from './database';

/** Rows fetched per round trip while streaming a query (memory stays bounded by this). */
export const STREAM_BATCH_ROWS = 1000;
/**
 * How long one streamed read may take, its reader's pace included (a statement or an export
 * downloaded over a slow link): the pools' 30-second statement timeout would cut a large one half-way.
 */
export const STREAMED_READ_TIMEOUT_MS = 60 * 60_000;
/**
 * How long a reader may take for one row before the read is abandoned (a download stalled on a
 * closed TCP window): its transaction must not hold a pooled connection, nor vacuum back, for an hour.
 */
export const STREAMED_READ_STALL_MS = 60_000;

export class StreamedReadStalledError extends Error {
  constructor(stallMs: number) {
    super(`the reader took no row for ${stallMs} ms: the read was abandoned`);
  }
}

/**
 * Streams a query's rows with a server-side cursor, so that memory stays constant whatever the
 * ledger's size, in a read-only transaction of its own whose statement timeout is
 * STREAMED_READ_TIMEOUT_MS. A reader that stops early (an HTTP client gone) closes the cursor and
 * ends the transaction; one that takes no row for `stallMs` has its transaction ended for it, and
 * gets StreamedReadStalledError when it reads again.
 */
export async function* streamedQuery<T>(
  db: Database,
  sql: string,
  values: readonly unknown[],
  stallMs = STREAMED_READ_STALL_MS,
): AsyncIterable<T> {
  const trx = await db.transaction({ readOnly: true });
  let rows: (Readable & AsyncIterable<T>) | undefined;
  // One watch for the whole read, not a timer per row (arming and clearing one cost 0.3 µs a row,
  // most of a second of a 2,000,000-row export): it looks at the reader every quarter of stallMs,
  // so a stall is caught after stallMs to 1.25 × stallMs.
  const watchMs = Math.max(1, Math.floor(stallMs / 4));
  let handedOut = 0;
  let holding = false;
  let lastSeen = -1;
  let heldForMs = 0;
  const watch = setInterval(() => {
    if (!holding || handedOut !== lastSeen) {
      lastSeen = handedOut;
      heldForMs = 0;
      return;
    }
    heldForMs += watchMs;
    if (heldForMs < stallMs) return;
    clearInterval(watch);
    rows?.destroy(new StreamedReadStalledError(stallMs));
    trx.rollback().catch(() => undefined);
  }, watchMs);
  try {
    await trx.raw(`SET LOCAL statement_timeout = ${STREAMED_READ_TIMEOUT_MS}`);
    rows = trx
      .raw(sql, bindings(values))
      .stream({ batchSize: STREAM_BATCH_ROWS, highWaterMark: STREAM_BATCH_ROWS }) as unknown as Readable &
      AsyncIterable<T>;
    for await (const row of rows) {
      // the generator is suspended here until the reader asks again: that is the time watched
      handedOut += 1;
      holding = true;
      yield row;
      holding = false;
      if (trx.isCompleted()) throw new StreamedReadStalledError(stallMs);
    }
    await trx.commit();
  } finally {
    clearInterval(watch);
    if (!trx.isCompleted()) await trx.rollback();
  }
}
