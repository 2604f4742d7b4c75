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
 * Streams a query's rows with a server-side cursor, so that memory stays constant whatever the
 * ledger's size, in a read transaction of its own whose statement timeout is STREAMED_READ_TIMEOUT_MS.
 * A reader that stops early (an HTTP client gone) closes the cursor and ends the transaction.
 */
export async function* streamedQuery<T>(db: Database, sql: string, values: readonly unknown[]): AsyncIterable<T> {
  const trx = await db.transaction();
  try {
    await trx.raw(`SET LOCAL statement_timeout = ${STREAMED_READ_TIMEOUT_MS}`);
    const rows = trx.raw(sql, bindings(values)).stream({ batchSize: STREAM_BATCH_ROWS, highWaterMark: STREAM_BATCH_ROWS }) as unknown as Readable & AsyncIterable<T>;
    yield* rows;
    await trx.commit();
  } finally {
    if (!trx.isCompleted()) await trx.rollback();
  }
}
