import pg from 'pg';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import type { EventStore, StoredEvent } from './event-store';

/** Rows read from the outbox per query. */
export const EVENT_BATCH_SIZE_MAX = 1000;
/** Safety-net poll while anyone listens, in case a notification was lost (e.g. during a reconnect). */
export const EVENT_POLL_INTERVAL_MS = 250;
/** Back-off before reconnecting the LISTEN connection, in milliseconds. */
export const LISTEN_RECONNECT_DELAY_MS = 1000;
/** PostgreSQL channel on which instances tell each other that events were committed. */
export const EVENTS_NOTIFY_CHANNEL = 'wallet_events';

export type EventListener = (event: StoredEvent) => void;

/**
 * Broadcasts the outbox (`events`) to listeners on this instance, in id order, each event once.
 *
 * Ids are taken while the account row is locked, so per account the id order is the commit order.
 * Across accounts a lower id may commit later than a higher one; the relay therefore remembers the
 * transactions that were in progress at its last read (the snapshot's xip list, and every xid at or
 * above its xmax: a transaction with an xid above the latest completed one is in progress without
 * being listed) and reads their events when they commit, even below its cursor. An event is never
 * skipped and never repeated. Across a failover (deploy/ha) it reads only from a primary on the
 * highest WAL timeline it has seen: a standby, or a former primary woken before its demotion, is
 * never read from (their history may hold transactions the new primary does not have).
 *
 * Wake-ups: a local commit (`committed()`), a NOTIFY from another instance, or the poll timer. The
 * relay only reads while someone listens; a new listener starts from "now".
 */
export class EventRelay {
  private readonly listeners = new Set<EventListener>();
  private cursor = 0n;
  private pendingTxids: string[] = [];
  private pendingFrom: string | null = null;
  /** The highest WAL timeline read from: never read again from a server on a lower one. */
  private timeline = 0;
  private starting: Promise<void> | undefined;
  private draining = false;
  private drainAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private listenClient: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private notifyInFlight = false;
  private notifyAgain = false;
  private wakeScheduled = false;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly databaseUrl: string,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Opens the LISTEN connection (used to hear other instances and to tell them). */
  async start(): Promise<void> {
    await this.connectListener();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    await this.listenClient?.end().catch(() => undefined);
    this.listenClient = undefined;
  }

  /**
   * Adds a listener; resolves once the relay sees every event committed from now on. Returns the
   * function that removes it.
   */
  async listen(listener: EventListener): Promise<() => void> {
    this.listeners.add(listener);
    if (this.listeners.size === 1 || this.starting) {
      this.starting ??= this.begin();
      await this.starting;
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) clearInterval(this.pollTimer);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** A transaction of this instance committed events: read them, and tell the other instances. */
  committed(): void {
    // After the I/O callbacks of this turn: the answer of the command that committed is written
    // before the relay's read and the NOTIFY go out (a lone request's answer waited for both), and
    // the commits of one turn share one wake-up.
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      if (this.stopped) return;
      if (this.listeners.size > 0) void this.drain();
      void this.notifyOthers();
    });
  }

  private async begin(): Promise<void> {
    try {
      const start = await this.store.startingPoint();
      this.cursor = start.cursor;
      this.pendingTxids = start.pendingTxids;
      this.pendingFrom = start.pendingFrom;
      this.timeline = Math.max(this.timeline, start.timeline);
      clearInterval(this.pollTimer);
      this.pollTimer = setInterval(() => void this.drain(), EVENT_POLL_INTERVAL_MS);
      this.pollTimer.unref();
    } finally {
      this.starting = undefined;
    }
  }

  private async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      let full = true;
      while ((full || this.drainAgain) && this.listeners.size > 0 && !this.stopped) {
        this.drainAgain = false;
        const batch = await this.store.readAfter(
          this.cursor,
          this.pendingTxids,
          this.pendingFrom,
          EVENT_BATCH_SIZE_MAX,
        );
        if (batch.timeline < this.timeline) {
          // A former primary, woken after a failover and not yet demoted, reached through the proxy:
          // its history forks from the new primary's and would announce transactions a rewind erases.
          this.logger.warn(
            { timeline: batch.timeline, current: this.timeline },
            'event relay read a former primary; reading again later',
          );
          return;
        }
        this.timeline = batch.timeline;
        this.cursor = batch.cursor;
        this.pendingTxids = batch.pendingTxids;
        this.pendingFrom = batch.pendingFrom;
        full = batch.full;
        for (const event of batch.events) this.dispatch(event);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'event relay read failed; retrying on the next wake-up');
    } finally {
      this.draining = false;
    }
  }

  private dispatch(event: StoredEvent): void {
    this.metrics.eventLag.observe(Math.max(0, Date.now() - event.createdAt.getTime()) / 1000);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, eventId: event.id.toString() }, 'event listener failed');
      }
    }
  }

  /** One NOTIFY at a time; commits during a NOTIFY are covered by one more afterwards. */
  private async notifyOthers(): Promise<void> {
    if (this.notifyInFlight) {
      this.notifyAgain = true;
      return;
    }
    const client = this.listenClient;
    if (!client) return;
    this.notifyInFlight = true;
    try {
      do {
        this.notifyAgain = false;
        await client.query(`NOTIFY ${EVENTS_NOTIFY_CHANNEL}`);
      } while (this.notifyAgain && !this.stopped);
    } catch (error) {
      this.logger.warn({ err: error }, 'NOTIFY failed; other instances will poll');
    } finally {
      this.notifyInFlight = false;
    }
  }

  private async connectListener(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'wallet-event-relay' });
    client.on('notification', (message) => {
      const ownPid = (client as unknown as { processID: number }).processID;
      if (message.processId !== ownPid && this.listeners.size > 0) void this.drain();
    });
    client.on('error', (error) => {
      if (this.stopped) return;
      this.logger.warn({ err: error }, 'event relay LISTEN connection lost; reconnecting');
      if (this.listenClient === client) this.listenClient = undefined;
      this.reconnectLater();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_NOTIFY_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      // stop() ran while this connection was being made: it must not outlive the relay
      await client.end().catch(() => undefined);
      return;
    }
    this.listenClient = client;
  }

  /** One reconnection at a time, however many failures report the loss. */
  private reconnectLater(): void {
    if (this.reconnectTimer || this.stopped) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectListener().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'event relay could not reconnect; trying again');
        this.reconnectLater();
      });
    }, LISTEN_RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }
}
