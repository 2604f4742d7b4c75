/**
 * Manager TCP API scenarios (issue 3):
 *
 * - manager-sync: BalanceInSync round trips from 32 logged-in connections, each sending one command
 *   at a time (closed loop) on a random spread account. A round trip covers the commit and the
 *   trade:event that the answer waits for.
 * - event-fanout: 100 subscribed SESSION_VIEWER connections and one writer sending plain BalanceIn
 *   at a steady rate (open loop, bounded in time and count). Per event and subscriber: the time
 *   from the writer holding its answer (the answer means committed) to the subscriber holding the
 *   event of that order; and every subscriber must get every event exactly once.
 */
import { performance } from 'node:perf_hooks';
import type { ManagerAnswer, ManagerEvent } from '@wallet-service/client';
import { sleep, withTimeout } from './concurrency';
import { LatencyRecorder, type LatencySummary } from './latency';
import { REQUEST_TIMEOUT_MS, runClosedLoop, type Verdict } from './load';
import { closeManagerConnections, openManagerConnections, type ManagerConnection } from './manager-connections';
import type { BenchContext, Scenario, ScenarioMeasurement } from './scenario';
import { pickIndex } from './trade-load';

/** Connections of manager-sync (the figure, independent of --connections). */
export const MANAGER_SYNC_CONNECTIONS = 32;
/** Each command deposits this much (a JSON number, as the manager API carries amounts: docs/manager-api.md#amounts). */
const DEPOSIT_AMOUNT = 1;
const TRADE_EVENT = 'trade:event';
const CMD_BALANCE_IN = 6;
const STATE_FINAL = 3;
const STATE_OPEN_REQUEST = 10;

export const FANOUT_SUBSCRIBERS = 100;
/** The writer's steady rate: moderate, so that the figure is delivery latency, not a queue behind a saturated writer. */
export const FANOUT_RATE_PER_S = 200;
/** Whatever warm-up and duration say, the writer sends no more commands than this. */
const FANOUT_EVENTS_MAX = 20_000;
/** Writer commands in flight at most (the server allows 64 per connection); beyond it, the schedule slips. */
const WRITER_IN_FLIGHT_MAX = 32;
/** After the writer's last answer, subscribers get this long to receive the last events. */
const FANOUT_DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 20;
/** Subscribe commands in flight at once during set-up. */
const SUBSCRIBE_CONCURRENCY = 16;
const ERROR_KINDS_MAX = 20;

function hostOf(context: BenchContext): string {
  return new URL(context.service.baseUrl).hostname;
}

// ---------------------------------------------------------------------------------------------
// manager-sync

export function managerSyncScenario(): Scenario {
  return {
    name: 'manager-sync',
    description: `BalanceInSync round trips over the manager TCP API from ${MANAGER_SYNC_CONNECTIONS} logged-in connections, one command at a time each, on random spread accounts`,
    transport: 'tcp',
    run: runManagerSync,
  };
}

async function runManagerSync(context: BenchContext): Promise<ScenarioMeasurement> {
  const { options } = context;
  const accounts = await context.spreadAccounts();
  const manager = await context.manager('SESSION_MANAGER');
  const connections = await openManagerConnections(
    context.service.managerPort,
    hostOf(context),
    manager,
    MANAGER_SYNC_CONNECTIONS,
  );
  try {
    const result = await runClosedLoop(
      {
        workers: connections.length,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        window: context.window,
      },
      async ({ worker, meter }) => {
        const login = accounts[pickIndex(accounts.length)]!.login;
        const data = { login, amount: DEPOSIT_AMOUNT, comment: 'bench sync deposit' };
        await meter.measure(
          () => connections[worker]!.command('BalanceInSync', data),
          (answer) => syncVerdict(answer, login),
        );
      },
    );
    return {
      ...result,
      accounts: accounts.length,
      extra: { connections: connections.length, command: 'BalanceInSync' },
    };
  } finally {
    await closeManagerConnections(connections);
  }
}

/** The answer of a Sync command is the event's data: the final record of this deposit. */
function syncVerdict(answer: ManagerAnswer, login: number): Verdict {
  if (answer.status !== 200) return { error: `status ${answer.status} ${String(answer.data.error ?? '')}`.trim() };
  const { data } = answer;
  const ok =
    data.login === login &&
    data.cmd === CMD_BALANCE_IN &&
    data.state === STATE_FINAL &&
    data.profit === DEPOSIT_AMOUNT &&
    typeof data.order === 'number';
  return ok ? 'ok' : { error: 'unexpected answer data' };
}

// ---------------------------------------------------------------------------------------------
// event-fanout

/** The fan-out figures beyond the common ones (in `extra`, and in the manager table of the report). */
export interface FanoutFigures {
  subscribers: number;
  targetRatePerS: number;
  /** Commands the schedule called for (rate x run time, capped): fewer sent means the writer fell behind. */
  planned: number;
  /** Commands sent, and answered with an acknowledgement, over the whole run (warm-up included). */
  issued: number;
  acknowledged: number;
  /** Acknowledged events of the measured window, and their deliveries (events x subscribers that got them). */
  windowEvents: number;
  windowDeliveries: number;
  deliveriesPerS: number;
  /** Over the whole run: (subscriber, event) pairs never received, received more than once, or with other data. */
  missing: number;
  duplicates: number;
  wrongData: number;
  /** Events of orders the writer never got an acknowledgement for (e.g. a command that timed out). */
  foreignEvents: number;
  /** Deliveries that reached the subscriber before the writer's answer (recorded as 0 ms latency). */
  beforeAnswer: number;
  /**
   * From the writer sending the command to the subscriber holding the event: an upper bound of
   * commit-to-event, which the answer-based figure can only bound from below when the event wins.
   */
  sendToEvent: LatencySummary;
  /** Subscribers whose sequence of the writer's events differs from the first subscriber's. */
  sequencesDiffering: number;
  /** From the writer's last answer until every subscriber had every event (or the drain timed out). */
  drainMs: number;
  writerLatency: LatencySummary;
}

export function eventFanoutScenario(): Scenario {
  return {
    name: 'event-fanout',
    description: `commit-to-event latency of plain BalanceIn at ${FANOUT_RATE_PER_S}/s to ${FANOUT_SUBSCRIBERS} trade:event subscribers (SESSION_VIEWER); each must get each event exactly once`,
    transport: 'tcp',
    run: runEventFanout,
  };
}

interface Acknowledged {
  login: number;
  sentAt: number;
  answeredAt: number;
}

interface Arrival {
  at: number;
  login: unknown;
  copies: number;
  wrongData: boolean;
}

/** What the subscribers received: per subscriber, each order's first arrival time and copy count. */
class SubscriberLog {
  readonly arrivals = new Map<number, Arrival>();
  /** Orders in the order they arrived (first copies only). */
  readonly sequence: number[] = [];

  receive(event: ManagerEvent, at: number): void {
    if (event.event !== TRADE_EVENT) return;
    const order = event.data.order;
    if (typeof order !== 'number') return;
    const seen = this.arrivals.get(order);
    if (seen) {
      seen.copies += 1;
      return;
    }
    const { data } = event;
    const wrongData =
      event.type !== 'EV_RECORD_ADD' ||
      data.cmd !== CMD_BALANCE_IN ||
      data.state !== STATE_FINAL ||
      data.profit !== DEPOSIT_AMOUNT;
    this.arrivals.set(order, { at, login: data.login, copies: 1, wrongData });
    this.sequence.push(order);
  }
}

class ErrorCounter {
  total = 0;
  readonly kinds = new Map<string, number>();

  add(kind: string, count = 1): void {
    if (count === 0) return;
    this.total += count;
    const key = this.kinds.has(kind) || this.kinds.size < ERROR_KINDS_MAX ? kind : 'other';
    this.kinds.set(key, (this.kinds.get(key) ?? 0) + count);
  }
}

async function runEventFanout(context: BenchContext): Promise<ScenarioMeasurement> {
  const { options } = context;
  const accounts = await context.spreadAccounts();
  const viewer = await context.manager('SESSION_VIEWER');
  const writerManager = await context.manager('SESSION_MANAGER');
  const host = hostOf(context);
  const opened: ManagerConnection[] = [];
  try {
    const subscribers = await openManagerConnections(context.service.managerPort, host, viewer, FANOUT_SUBSCRIBERS);
    opened.push(...subscribers);
    const [writer] = await openManagerConnections(context.service.managerPort, host, writerManager, 1);
    opened.push(writer!);

    const logs = subscribers.map((subscriber) => {
      const log = new SubscriberLog();
      subscriber.client.on('event', (event: ManagerEvent) => log.receive(event, performance.now()));
      return log;
    });
    await subscribeAll(subscribers);

    const errors = new ErrorCounter();
    const writerLatency = new LatencyRecorder();
    const acknowledged = new Map<number, Acknowledged>();
    const startedAt = performance.now();
    const windowStart = startedAt + options.warmupMs;
    const windowEnd = windowStart + options.durationMs;
    const total = Math.min(
      FANOUT_EVENTS_MAX,
      Math.round((FANOUT_RATE_PER_S * (options.warmupMs + options.durationMs)) / 1000),
    );
    const startTimer = setTimeout(() => context.window.onStart(), options.warmupMs);
    const endTimer = setTimeout(() => context.window.onEnd(), options.warmupMs + options.durationMs);
    let issued: number;
    try {
      issued = await writeSteadily(
        writer!,
        accounts.map((account) => account.login),
        total,
        startedAt,
        windowEnd,
        errors,
        writerLatency,
        acknowledged,
      );
    } finally {
      clearTimeout(startTimer);
      clearTimeout(endTimer);
    }
    const drainStarted = performance.now();
    await waitForDeliveries(logs, acknowledged);
    const drainMs = performance.now() - drainStarted;

    const latency = new LatencyRecorder();
    const figures = tally(logs, acknowledged, windowStart, windowEnd, latency, errors);
    const durationS = options.durationMs / 1000;
    const extra: FanoutFigures = {
      subscribers: subscribers.length,
      targetRatePerS: FANOUT_RATE_PER_S,
      planned: total,
      issued,
      acknowledged: acknowledged.size,
      ...figures,
      deliveriesPerS: figures.windowDeliveries / durationS,
      drainMs,
      writerLatency: writerLatency.summary(),
    };
    return {
      workers: subscribers.length,
      durationMs: options.durationMs,
      requests: figures.windowEvents,
      pairs: 0,
      insufficientFunds: 0,
      errors: errors.total,
      errorKinds: Object.fromEntries(errors.kinds),
      requestsPerS: figures.windowEvents / durationS,
      pairsPerS: 0,
      latency: latency.summary(),
      accounts: accounts.length,
      extra: { ...extra },
    };
  } finally {
    await closeManagerConnections(opened);
  }
}

async function subscribeAll(subscribers: readonly ManagerConnection[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < subscribers.length) {
      const subscriber = subscribers[next++]!;
      const answer = await withTimeout(
        subscriber.command('Subscribe', { channels: [TRADE_EVENT] }),
        REQUEST_TIMEOUT_MS,
        'Subscribe',
      );
      if (answer.status !== 200) throw new Error(`Subscribe answered ${answer.status} ${JSON.stringify(answer.data)}`);
    }
  };
  await Promise.all(Array.from({ length: SUBSCRIBE_CONCURRENCY }, lane));
}

/**
 * Open loop: command i is due at startedAt + i / rate, whatever the answers of earlier ones; at
 * most WRITER_IN_FLIGHT_MAX wait for an answer (beyond that the schedule slips rather than the
 * server refusing with 429). Stops after `total` commands or at `stopAt`; returns how many were sent.
 */
async function writeSteadily(
  writer: ManagerConnection,
  logins: readonly number[],
  total: number,
  startedAt: number,
  stopAt: number,
  errors: ErrorCounter,
  writerLatency: LatencyRecorder,
  acknowledged: Map<number, Acknowledged>,
): Promise<number> {
  const intervalMs = 1000 / FANOUT_RATE_PER_S;
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  for (; sent < total; sent += 1) {
    const wait = startedAt + sent * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight.size >= WRITER_IN_FLIGHT_MAX) await Promise.race(inFlight);
    if (performance.now() >= stopAt) break;
    const login = logins[pickIndex(logins.length)]!;
    const request = sendOne(writer, login, errors, writerLatency, acknowledged);
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }
  await Promise.all(inFlight);
  return sent;
}

async function sendOne(
  writer: ManagerConnection,
  login: number,
  errors: ErrorCounter,
  writerLatency: LatencyRecorder,
  acknowledged: Map<number, Acknowledged>,
): Promise<void> {
  const sentAt = performance.now();
  let answer: ManagerAnswer;
  try {
    answer = await withTimeout(
      writer.command('BalanceIn', { login, amount: DEPOSIT_AMOUNT, comment: 'bench fan-out deposit' }),
      REQUEST_TIMEOUT_MS,
      'BalanceIn',
    );
  } catch (error) {
    errors.add(`writer: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200));
    return;
  }
  const answeredAt = performance.now();
  writerLatency.record(answeredAt - sentAt);
  const { status, data } = answer;
  const ok =
    status === 200 &&
    data.accepted === true &&
    data.state === STATE_OPEN_REQUEST &&
    data.cmd === CMD_BALANCE_IN &&
    data.login === login &&
    typeof data.order === 'number';
  if (!ok) {
    errors.add(`writer: status ${status} ${String(data.error ?? 'unexpected answer')}`);
    return;
  }
  acknowledged.set(data.order as number, { login, sentAt, answeredAt });
}

/** Until every subscriber holds every acknowledged order, or the drain times out (the rest is counted missing). */
async function waitForDeliveries(
  logs: readonly SubscriberLog[],
  acknowledged: ReadonlyMap<number, Acknowledged>,
): Promise<void> {
  const deadline = performance.now() + FANOUT_DRAIN_TIMEOUT_MS;
  const orders = [...acknowledged.keys()];
  let complete = 0; // logs[0..complete) are known to hold every order
  while (performance.now() < deadline) {
    while (complete < logs.length && orders.every((order) => logs[complete]!.arrivals.has(order))) complete += 1;
    if (complete === logs.length) return;
    await sleep(DRAIN_POLL_MS);
  }
}

function tally(
  logs: readonly SubscriberLog[],
  acknowledged: ReadonlyMap<number, Acknowledged>,
  windowStart: number,
  windowEnd: number,
  latency: LatencyRecorder,
  errors: ErrorCounter,
): Omit<
  FanoutFigures,
  | 'subscribers'
  | 'targetRatePerS'
  | 'planned'
  | 'issued'
  | 'acknowledged'
  | 'deliveriesPerS'
  | 'drainMs'
  | 'writerLatency'
> {
  let windowEvents = 0;
  let windowDeliveries = 0;
  let missing = 0;
  let duplicates = 0;
  let wrongData = 0;
  let beforeAnswer = 0;
  const sendToEvent = new LatencyRecorder();
  for (const [order, ack] of acknowledged) {
    const inWindow = ack.sentAt >= windowStart && ack.answeredAt < windowEnd;
    if (inWindow) windowEvents += 1;
    for (const log of logs) {
      const arrival = log.arrivals.get(order);
      if (!arrival) {
        missing += 1;
        continue;
      }
      if (arrival.copies > 1) duplicates += arrival.copies - 1;
      if (arrival.wrongData || arrival.login !== ack.login) wrongData += 1;
      if (!inWindow) continue;
      windowDeliveries += 1;
      const delay = arrival.at - ack.answeredAt;
      if (delay < 0) beforeAnswer += 1;
      latency.record(Math.max(0, delay));
      sendToEvent.record(arrival.at - ack.sentAt);
    }
  }
  let foreignEvents = 0;
  for (const log of logs) for (const order of log.arrivals.keys()) if (!acknowledged.has(order)) foreignEvents += 1;
  const sequenceOf = (log: SubscriberLog) => log.sequence.filter((order) => acknowledged.has(order)).join(',');
  const first = logs[0] === undefined ? '' : sequenceOf(logs[0]);
  const sequencesDiffering = logs.filter((log) => sequenceOf(log) !== first).length;
  errors.add('subscriber: event missing', missing);
  errors.add('subscriber: event received more than once', duplicates);
  errors.add('subscriber: event data not as acknowledged', wrongData);
  return {
    windowEvents,
    windowDeliveries,
    missing,
    duplicates,
    wrongData,
    foreignEvents,
    beforeAnswer,
    sendToEvent: sendToEvent.summary(),
    sequencesDiffering,
  };
}
