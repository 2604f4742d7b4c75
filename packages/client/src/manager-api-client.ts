import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type tls from 'node:tls';
import { ApiError, UncertainOutcomeError } from './errors';
import { EventStream } from './event-stream';
import { ManagerClient, type ManagerAnswer, type ManagerEvent } from './manager-client';
import {
  decodeAcknowledgement,
  decodeFinanceRecord,
  decodeFinanceRecordLookup,
  decodeLogin,
  decodeRecords,
  decodeTradeEvent,
  financeCommandData,
  integer,
  transactionsQueryData,
  type FinanceAcknowledgement,
  type FinanceCommand,
  type FinanceRecord,
  type FinanceRecordLookup,
  type FinanceRecordRequest,
  type LoginResult,
  type TradeEvent,
  type ManagerTransactionsQuery,
} from './manager-types';
import { hostOption, loginOption, portOption, secretOption } from './options';
import { backoffDelayMs } from './retry';

/** How hard the client tries to get a connection back (per outage; a success starts the count again). */
export interface ReconnectLimits {
  attemptsMax: number;
  /** The wait before the second attempt; it doubles with each attempt, up to delayMaxMs. */
  delayInitialMs: number;
  delayMaxMs: number;
}

export interface ManagerApiClientOptions {
  port: number;
  host?: string;
  /** Set: TLS (the service's MANAGER_TLS_CERT_FILE and MANAGER_TLS_KEY_FILE), e.g. `{ ca }` for a private CA; unset: plain TCP. */
  tls?: tls.ConnectionOptions;
  /** The manager user (POST /admin/managers); logged in on every connection. */
  login: number;
  password: string;
  /** A command without an answer by then fails as uncertain; keep it above the service's MANAGER_SYNC_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  reconnect?: Partial<ReconnectLimits>;
  /** Events a subscriber may leave unread before its stream fails (it has fallen behind). */
  eventsBufferedMax?: number;
}

export const DEFAULT_RECONNECT_LIMITS: Readonly<ReconnectLimits> = {
  attemptsMax: 10,
  delayInitialMs: 100,
  delayMaxMs: 5_000,
};
const COMMAND_TIMEOUT_MS_DEFAULT = 15_000;
const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
const EVENTS_BUFFERED_MAX_DEFAULT = 10_000;
const TRADE_EVENT_CHANNEL = 'trade:event';
/** A Sync command's event did not come in time: the operation goes on, its outcome is not known yet. */
const SYNC_TIMEOUT_STATUS = 504;
/** ACCOUNT_BUSY, UNAVAILABLE (nothing applied) or an internal error: retry with the same referenceId. */
const SERVER_ERROR_STATUS_MIN = 500;

type FinanceFamily = 'BalanceIn' | 'BalanceOut' | 'CreditIn' | 'CreditOut';

/**
 * The manager TCP API (ScaleTrade style) with typed methods: Login on every connection, each finance
 * command and its Sync variant, DeleteBalance, GetFinanceRecord, GetTransactionsByLogin, and
 * `subscribe()`, the trade events as an async iterator.
 *
 * A lost connection is made again (bounded backoff), logged in and, when something subscribed,
 * subscribed again; it emits 'disconnected' and 'reconnected'. The service does not replay events
 * sent while no connection was up: after 'reconnected' a subscriber that must see everything
 * catches up with getTransactionsByLogin. A command in flight when the connection drops fails as
 * uncertain: send it again with the same referenceId (retryUncertain).
 */
export class ManagerApiClient extends EventEmitter {
  private connection: ManagerClient | undefined;
  private connecting: Promise<ManagerClient> | undefined;
  /** The Subscribe of each connection, sent once. */
  private readonly subscriptions = new WeakMap<ManagerClient, Promise<void>>();
  private readonly streams = new Set<EventStream<TradeEvent>>();
  private wantsEvents = false;
  private closed = false;
  private session: LoginResult | undefined;
  private readonly reconnectLimits: ReconnectLimits;

  private constructor(private readonly options: ManagerApiClientOptions) {
    super();
    this.reconnectLimits = { ...DEFAULT_RECONNECT_LIMITS, ...options.reconnect };
  }

  /**
   * Connects and logs in (a refused login is thrown as ApiError, not retried). A missing or
   * malformed `port`, `host`, `login` or `password` is a ConfigurationError naming it.
   */
  static async connect(options: ManagerApiClientOptions): Promise<ManagerApiClient> {
    portOption('ManagerApiClient', options.port);
    hostOption('ManagerApiClient', options.host);
    loginOption('ManagerApiClient', options.login);
    secretOption('ManagerApiClient', 'password', options.password, "the manager user's password");
    const client = new ManagerApiClient(options);
    await client.ensureConnection();
    return client;
  }

  /** The session of the current connection's Login. */
  get role(): LoginResult['role'] | undefined {
    return this.session?.role;
  }

  balanceIn(command: FinanceCommand): Promise<FinanceAcknowledgement> {
    return this.finance('BalanceIn', command);
  }

  balanceOut(command: FinanceCommand): Promise<FinanceAcknowledgement> {
    return this.finance('BalanceOut', command);
  }

  creditIn(command: FinanceCommand): Promise<FinanceAcknowledgement> {
    return this.finance('CreditIn', command);
  }

  creditOut(command: FinanceCommand): Promise<FinanceAcknowledgement> {
    return this.finance('CreditOut', command);
  }

  /** Answered with the record of this command's own trade:event (SYNC_TIMEOUT: uncertain, with the order). */
  balanceInSync(command: FinanceCommand): Promise<FinanceRecord> {
    return this.financeSync('BalanceIn', command);
  }

  balanceOutSync(command: FinanceCommand): Promise<FinanceRecord> {
    return this.financeSync('BalanceOut', command);
  }

  creditInSync(command: FinanceCommand): Promise<FinanceRecord> {
    return this.financeSync('CreditIn', command);
  }

  creditOutSync(command: FinanceCommand): Promise<FinanceRecord> {
    return this.financeSync('CreditOut', command);
  }

  /** Reverses a finance record (once: a repeat answers the first deletion). */
  async deleteBalance({ order }: FinanceRecordRequest): Promise<FinanceAcknowledgement> {
    return decodeAcknowledgement(await this.request('DeleteBalance', { order }));
  }

  async deleteBalanceSync({ order }: FinanceRecordRequest): Promise<FinanceRecord> {
    return decodeFinanceRecord(await this.request('DeleteBalanceSync', { order }));
  }

  /**
   * How an uncertain outcome is resolved: the record as it stands, or, for an order named in a
   * SYNC_TIMEOUT that no record has, its command's pending state (ask again) or its refusal. Every
   * order the service named resolves; ApiError NOT_FOUND (404) only for one it never named.
   */
  async getFinanceRecord({ order }: FinanceRecordRequest): Promise<FinanceRecordLookup> {
    return decodeFinanceRecordLookup(await this.request('GetFinanceRecord', { order }));
  }

  /** The login's records, oldest first, at most 1000. */
  async getTransactionsByLogin(query: ManagerTransactionsQuery): Promise<FinanceRecord[]> {
    return decodeRecords(await this.request('GetTransactionsByLogin', transactionsQueryData(query)));
  }

  /** The service's time, unix seconds. */
  async ping(): Promise<number> {
    return integer(await this.request('Ping', {}), 'time');
  }

  /**
   * Subscribes to the trade events; resolves once the service confirmed, so every event committed
   * after that is read from the stream (`for await`, `break` to stop). Each call gets its own stream
   * of every event. The stream fails if the connection cannot be made again within the limits.
   */
  async subscribe(): Promise<AsyncIterableIterator<TradeEvent>> {
    const stream = new EventStream<TradeEvent>(this.options.eventsBufferedMax ?? EVENTS_BUFFERED_MAX_DEFAULT, () =>
      this.streams.delete(stream),
    );
    this.streams.add(stream);
    this.wantsEvents = true;
    try {
      await this.subscribeOn(await this.ensureConnection());
    } catch (error) {
      stream.fail(error as Error);
      throw error;
    }
    return stream;
  }

  /** Closes the connection; open event streams end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.streams) stream.end();
    await this.connection?.close();
  }

  private async finance(family: FinanceFamily, command: FinanceCommand): Promise<FinanceAcknowledgement> {
    return decodeAcknowledgement(await this.request(family, financeCommandData(command)));
  }

  private async financeSync(family: FinanceFamily, command: FinanceCommand): Promise<FinanceRecord> {
    return decodeFinanceRecord(await this.request(`${family}Sync`, financeCommandData(command)));
  }

  /** Sends a command on the current connection (made again if need be); its `data`, or the SDK's error. */
  private async request(command: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const connection = await this.ensureConnection();
    const answer = await connection.command(command, data, {
      timeoutMs: this.options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS_DEFAULT,
    });
    return answerData(command, answer);
  }

  private ensureConnection(): Promise<ManagerClient> {
    if (this.closed) return Promise.reject(new Error('the manager client is closed'));
    if (this.connection) return Promise.resolve(this.connection);
    this.connecting ??= this.establish().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Connects, logs in and subscribes again if needed, retrying lost or refused connections within the limits. */
  private async establish(): Promise<ManagerClient> {
    const { attemptsMax, delayInitialMs, delayMaxMs } = this.reconnectLimits;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.open();
      } catch (error) {
        if (!(error instanceof UncertainOutcomeError) || attempt >= attemptsMax || this.closed) throw error;
        await sleep(backoffDelayMs(attempt, delayInitialMs, delayMaxMs));
      }
    }
  }

  private async open(): Promise<ManagerClient> {
    const { host = '127.0.0.1', port, tls: tlsOptions } = this.options;
    const connection = await ManagerClient.connect(port, host, {
      plainNumbers: false,
      connectTimeoutMs: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      ...(tlsOptions ? { tls: tlsOptions } : {}),
    });
    try {
      const timeoutMs = this.options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS_DEFAULT;
      this.session = decodeLogin(
        answerData(
          'Login',
          await connection.command(
            'Login',
            { login: this.options.login, password: this.options.password },
            { timeoutMs },
          ),
        ),
      );
      connection.on('event', (event: ManagerEvent) => this.dispatch(event));
      if (this.wantsEvents) await this.subscribeOn(connection);
    } catch (error) {
      await connection.close();
      throw error;
    }
    if (this.closed || connection.socket.destroyed) {
      await connection.close();
      throw new UncertainOutcomeError(
        'network',
        this.closed ? 'the manager client was closed while connecting' : 'the connection closed while logging in',
      );
    }
    connection.once('close', () => this.lost(connection));
    this.connection = connection;
    return connection;
  }

  private subscribeOn(connection: ManagerClient): Promise<void> {
    let subscribed = this.subscriptions.get(connection);
    if (!subscribed) {
      subscribed = connection
        .command(
          'Subscribe',
          { channels: [TRADE_EVENT_CHANNEL] },
          { timeoutMs: this.options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS_DEFAULT },
        )
        .then((answer) => void answerData('Subscribe', answer));
      this.subscriptions.set(connection, subscribed);
    }
    return subscribed;
  }

  private dispatch(event: ManagerEvent): void {
    if (event.event !== TRADE_EVENT_CHANNEL) return;
    const decoded = decodeTradeEvent(event);
    for (const stream of this.streams) stream.push(decoded);
  }

  /** The connection dropped: subscribers get a new one at once, commands when they next need one. */
  private lost(connection: ManagerClient): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.emit('disconnected');
    if (this.closed || this.streams.size === 0) return;
    this.ensureConnection().then(
      () => this.emit('reconnected'),
      (error: Error) => {
        for (const stream of this.streams) stream.fail(error);
      },
    );
  }
}

/** The `data` of a 200 answer; a 5xx (ACCOUNT_BUSY, SYNC_TIMEOUT...) is uncertain, any other status an ApiError. */
function answerData(command: string, answer: ManagerAnswer): Record<string, unknown> {
  const data = (answer.data ?? {}) as Record<string, unknown>;
  if (answer.status === 200) return data;
  const code = typeof data.error === 'string' ? data.error : `STATUS_${answer.status}`;
  const message = typeof data.message === 'string' ? data.message : JSON.stringify(answer.data);
  if (answer.status === SYNC_TIMEOUT_STATUS) {
    throw new UncertainOutcomeError('timeout', `${command}: ${code}, order ${String(data.order)}`, {
      httpStatus: answer.status,
      code,
      order: integer(data, 'order'),
    });
  }
  if (answer.status >= SERVER_ERROR_STATUS_MIN)
    throw new UncertainOutcomeError('unavailable', `${command}: ${code}: ${message}`, {
      httpStatus: answer.status,
      code,
    });
  throw new ApiError(code, answer.status, `${command}: ${message}`);
}
