import net from 'node:net';
import tls from 'node:tls';
import { z } from 'zod';
import type { StoredEvent } from '../../core/events/event-store';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { parseJsonObject, stringifyJson } from '../../shared/json';
import { parseWith, text } from '../../shared/validation';
import type { CommandContext, SubscribableChannel } from './command-context';
import { EventHub } from './event-hub';
import { managerCommand, type ManagerCommand } from './manager-commands';
import type { Core } from '../../core/core';
import { INTERNAL_ERROR_ANSWER, managerErrorAnswer, protocolErrorAnswer, type ManagerAnswer } from './manager-errors';
import type { ManagerSession } from '../../core/managers/manager-store';
import { SyncCommands } from './sync-commands';
import { managerSecureContext, type ManagerTlsFiles } from './manager-tls';
import { tradeEventDataJson } from './trade-event-format';

/** One message (one line) at most, in bytes (ScaleTrade's client refuses more than 64 KB too). */
export const TCP_MESSAGE_BYTES_MAX = 64 * 1024;
export const TCP_CONNECTIONS_MAX = 1000;
export const COMMANDS_IN_FLIGHT_PER_CONNECTION_MAX = 64;
export const SYNC_WAITERS_PER_CONNECTION_MAX = 256;
/** A peer that lets this much unread output pile up (a stalled subscriber) is disconnected. */
export const SOCKET_WRITE_BUFFER_BYTES_MAX = 4 * 1024 * 1024;
/**
 * A connection must Login (or send a command with a valid __token) within this time after it
 * connects, however active it is meanwhile (a deadline, not an idle timeout: a client trickling
 * bytes or sending Pings does not hold a connection open without credentials).
 */
export const UNAUTHENTICATED_IDLE_TIMEOUT_MS = 30_000;
/** An authenticated connection that is silent this long, with no subscription or waiter, is closed. */
export const IDLE_TIMEOUT_MS = 10 * 60_000;
export const EXT_ID_LENGTH_MAX = 128;
export const COMMAND_NAME_LENGTH_MAX = 64;
/** How long a stop lets the SYNC_TIMEOUT answers it gives be recorded, at least. */
export const SYNC_EXPIRY_GRACE_MS = 2000;
/** Every request: the command, its correlation id, its data, and optionally a session token. */
export const envelopeSchema = z.strictObject({
  command: text(COMMAND_NAME_LENGTH_MAX).min(1),
  extID: text(EXT_ID_LENGTH_MAX),
  data: z.record(z.string(), z.unknown()).optional(),
  __token: z.string().min(1).max(256).optional(),
});
type Envelope = z.output<typeof envelopeSchema>;

interface Connection {
  id: number;
  socket: net.Socket;
  address: string;
  session: ManagerSession | null;
  pending: Buffer;
  /** extIDs of the commands in flight: a second command with one of them is refused, not run. */
  extIDsInFlight: Set<string>;
  channels: Set<string>;
  releaseHub: (() => void) | undefined;
  closing: boolean;
  /** Closes the connection unless it authenticates first (cleared by Login or a valid __token). */
  loginDeadline: NodeJS.Timeout | undefined;
}

export interface ManagerTcpServerDeps {
  /** The part of the core's front door the manager API uses. */
  core: Pick<Core, 'accounts' | 'finance' | 'managers' | 'events'>;
  metrics: Metrics;
  logger: Logger;
  syncTimeoutMs: number;
  /** How long a connection may stay without logging in; UNAUTHENTICATED_IDLE_TIMEOUT_MS unless given. */
  loginTimeoutMs?: number;
  /** TLS on the port with this certificate and key (read by `listen`); plain TCP when unset. */
  tls?: ManagerTlsFiles | undefined;
}

/**
 * The manager TCP API transport: `\r\n`-framed JSON, answers correlated by extID (in any order),
 * flow control, the trade:event stream for subscribers. Each command is looked up in the command
 * table (manager-commands.ts) and run with what its connection offers it (its session, Subscribe,
 * and the Sync answer of sync-commands.ts); this file frames what comes out.
 *
 * With TLS, each accepted TCP socket is wrapped in a server TLSSocket here rather than accepted by
 * `tls.createServer`, which hands a connection over only after its handshake (under its own 120 s
 * handshake timeout): so the login deadline runs from the TCP connect, as for plain connections, and
 * one server keeps the connection limit and the graceful stop the same for both.
 */
export class ManagerTcpServer {
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly connections = new Map<number, Connection>();
  private readonly syncCommands: SyncCommands;
  private readonly hub: EventHub;
  /** Set by `listen` when the port speaks TLS. */
  private secureContext: tls.SecureContext | undefined;
  private nextConnectionId = 1;
  private inFlight = 0;
  private stopping = false;

  constructor(private readonly deps: ManagerTcpServerDeps) {
    this.server.maxConnections = TCP_CONNECTIONS_MAX;
    this.hub = new EventHub(deps.core.events, (event) => this.broadcast(event));
    this.syncCommands = new SyncCommands({
      timeoutMs: deps.syncTimeoutMs,
      waitersPerConnectionMax: SYNC_WAITERS_PER_CONNECTION_MAX,
      acquireEvents: () => this.hub.acquire(),
      onWaitersChange: (count) => deps.metrics.syncWaiters.set(count),
      logger: deps.logger,
    });
  }

  /** Listens; with TLS, first reads the certificate and key (a ConfigError when they are no valid pair). */
  async listen(host: string, port: number): Promise<number> {
    if (this.deps.tls) this.secureContext = managerSecureContext(this.deps.tls);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  /** Stops accepting, lets in-flight commands finish (Sync ones until their timeout), then closes. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // the SYNC_TIMEOUT answers are given once recorded, and what became of their orders is recorded
    // once their work ends: both before the connections close (and the core's pools after them)
    await this.syncCommands.expireAll(Math.max(deadline, Date.now() + SYNC_EXPIRY_GRACE_MS));
    for (const connection of this.connections.values()) connection.socket.end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const connection of this.connections.values()) connection.socket.destroy();
    this.hub.close();
    await closed;
  }

  private accept(tcpSocket: net.Socket): void {
    tcpSocket.setNoDelay(true);
    // a handshake failure (a plain-text client on a TLS port) is an 'error' then 'close' of this socket
    const socket = this.secureContext
      ? new tls.TLSSocket(tcpSocket, { isServer: true, secureContext: this.secureContext })
      : tcpSocket;
    const connection: Connection = {
      id: this.nextConnectionId++,
      socket,
      address: tcpSocket.remoteAddress ?? 'unknown',
      session: null,
      pending: Buffer.alloc(0),
      extIDsInFlight: new Set(),
      channels: new Set(),
      releaseHub: undefined,
      closing: false,
      loginDeadline: undefined,
    };
    this.connections.set(connection.id, connection);
    this.deps.metrics.managerConnections.set(this.connections.size);
    const loginTimeoutMs = this.deps.loginTimeoutMs ?? UNAUTHENTICATED_IDLE_TIMEOUT_MS;
    connection.loginDeadline = setTimeout(() => socket.destroy(), loginTimeoutMs);
    socket.setTimeout(IDLE_TIMEOUT_MS);
    socket.on('timeout', () => {
      const busy = connection.channels.size > 0 || connection.extIDsInFlight.size > 0;
      if (!busy) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.receive(connection, chunk));
    socket.on('error', () => undefined); // 'close' follows and cleans up
    socket.on('close', () => this.forget(connection));
  }

  private forget(connection: Connection): void {
    clearTimeout(connection.loginDeadline);
    this.connections.delete(connection.id);
    this.deps.metrics.managerConnections.set(this.connections.size);
    this.syncCommands.dropConnection(connection.id);
    connection.releaseHub?.();
  }

  /** Splits the byte stream into lines (`\r\n`, or a bare `\n`), refusing oversized messages. */
  private receive(connection: Connection, chunk: Buffer): void {
    if (connection.closing) return;
    const buffer = connection.pending.length === 0 ? chunk : Buffer.concat([connection.pending, chunk]);
    let start = 0;
    for (let newline = buffer.indexOf(10, start); newline !== -1; newline = buffer.indexOf(10, start)) {
      const end = newline > start && buffer[newline - 1] === 13 ? newline - 1 : newline;
      if (end - start > TCP_MESSAGE_BYTES_MAX) {
        this.refuseAndClose(connection, `a message may not exceed ${TCP_MESSAGE_BYTES_MAX} bytes`);
        return;
      }
      if (end > start) this.receiveLine(connection, buffer.subarray(start, end));
      if (connection.closing) return;
      start = newline + 1;
    }
    connection.pending = buffer.subarray(start);
    if (connection.pending.length > TCP_MESSAGE_BYTES_MAX) {
      this.refuseAndClose(connection, `a message may not exceed ${TCP_MESSAGE_BYTES_MAX} bytes`);
    }
  }

  private receiveLine(connection: Connection, line: Buffer): void {
    let message: Record<string, unknown>;
    try {
      message = parseJsonObject(line);
    } catch (error) {
      this.refuseAndClose(connection, (error as Error).message);
      return;
    }
    let envelope: Envelope;
    try {
      envelope = parseWith(envelopeSchema, message);
    } catch (error) {
      const extID = typeof message.extID === 'string' ? message.extID : null;
      this.answer(connection, extID, managerErrorAnswer(error)!);
      return;
    }
    void this.execute(connection, envelope);
  }

  /** A line that is not a JSON object, or too long: one error answer, then the connection closes. */
  private refuseAndClose(connection: Connection, message: string): void {
    this.answer(connection, null, protocolErrorAnswer('INVALID_DATA', message));
    connection.closing = true;
    connection.socket.end();
    setTimeout(() => connection.socket.destroy(), 1000).unref();
  }

  private async execute(connection: Connection, envelope: Envelope): Promise<void> {
    const { extID } = envelope;
    const refusal = this.refusalBeforeRunning(connection, extID);
    if (refusal) {
      this.answer(connection, extID, refusal);
      return;
    }
    const command = managerCommand(envelope.command);
    const commandLabel = command ? envelope.command : 'unknown';
    const stopTimer = this.deps.metrics.managerDuration.startTimer({ command: commandLabel });
    connection.extIDsInFlight.add(extID);
    this.inFlight += 1;
    let status = 500;
    try {
      status = await this.run(connection, envelope, command);
    } finally {
      connection.extIDsInFlight.delete(extID);
      this.inFlight -= 1;
      stopTimer();
      this.deps.metrics.managerCommands.inc({ command: commandLabel, status: String(status) });
    }
  }

  /** Flow control: a command is not run while the server stops, twice at once, or beyond the limit. */
  private refusalBeforeRunning(connection: Connection, extID: string): ManagerAnswer | undefined {
    if (this.stopping) return protocolErrorAnswer('SHUTTING_DOWN', 'the server is stopping');
    if (connection.extIDsInFlight.has(extID)) {
      const message = `a command with extID ${extID} is still in flight on this connection; this one was not run`;
      return protocolErrorAnswer('DUPLICATE_EXTID', message);
    }
    if (connection.extIDsInFlight.size >= COMMANDS_IN_FLIGHT_PER_CONNECTION_MAX) {
      const message = `at most ${COMMANDS_IN_FLIGHT_PER_CONNECTION_MAX} commands in flight per connection`;
      return protocolErrorAnswer('TOO_MANY_REQUESTS', message);
    }
    return undefined;
  }

  /** Runs a command with its session (of `__token`, or of the connection) and answers; returns the status. */
  private async run(connection: Connection, envelope: Envelope, command: ManagerCommand | undefined): Promise<number> {
    const { extID } = envelope;
    try {
      const session = envelope.__token ? await this.deps.core.managers.session(envelope.__token) : connection.session;
      if (session) clearTimeout(connection.loginDeadline);
      if (!command) {
        const unknown = protocolErrorAnswer('UNKNOWN_COMMAND', `unknown command ${envelope.command}`);
        return this.answer(connection, extID, unknown);
      }
      const result = await command.run(envelope.data ?? {}, this.contextOf(connection, envelope, session));
      if (result.adoptSession) {
        connection.session = result.adoptSession;
        clearTimeout(connection.loginDeadline);
      }
      return this.answer(connection, extID, result);
    } catch (error) {
      return this.answerError(connection, extID, error, command?.permission.refusedAs);
    }
  }

  /** What a command is given: the core, its session, and its connection's Subscribe and Sync answer. */
  private contextOf(connection: Connection, envelope: Envelope, session: ManagerSession | null): CommandContext {
    const caller = {
      connectionId: connection.id,
      extID: envelope.extID,
      command: envelope.command,
      managerLogin: session?.managerLogin ?? null,
    };
    return {
      core: this.deps.core,
      session,
      address: connection.address,
      subscribe: (channels) => this.subscribe(connection, channels),
      answerWithOwnEvent: (work) => this.syncCommands.answer(caller, work),
    };
  }

  /** The connection receives these channels' events from now on; resolves with all of its channels. */
  private async subscribe(connection: Connection, channels: readonly SubscribableChannel[]): Promise<string[]> {
    if (!connection.releaseHub) {
      connection.releaseHub = await this.hub.acquire();
      if (connection.socket.destroyed) connection.releaseHub();
    }
    for (const channel of channels) connection.channels.add(channel);
    return [...connection.channels];
  }

  /** One event to every subscriber of its channel (formatted once), then to the Sync command that wrote it. */
  private broadcast(event: StoredEvent): void {
    const dataJson = tradeEventDataJson(event);
    const head = `{"event":${JSON.stringify(event.channel)},"type":${JSON.stringify(event.type)}`;
    const line = Buffer.from(`${head},"data":${dataJson}}\r\n`);
    for (const connection of this.connections.values()) {
      if (connection.channels.has(event.channel)) this.write(connection, line);
    }
    this.syncCommands.deliver(event.channel, event.commandId, dataJson);
  }

  private answerError(connection: Connection, extID: string, error: unknown, permissionError?: string): number {
    const answer = managerErrorAnswer(error, permissionError);
    if (!answer) this.deps.logger.error({ err: error, extID }, 'manager command failed');
    return this.answer(connection, extID, answer ?? INTERNAL_ERROR_ANSWER);
  }

  private answer(connection: Connection, extID: string | null, answer: ManagerAnswer): number {
    if (answer.unwritten) return answer.status;
    const data = answer.dataJson ?? stringifyJson(answer.data ?? {});
    const line = `{"extID":${JSON.stringify(extID)},"status":${answer.status},"data":${data}}\r\n`;
    this.write(connection, Buffer.from(line));
    return answer.status;
  }

  private write(connection: Connection, line: Buffer): void {
    const { socket } = connection;
    if (socket.destroyed || !socket.writable) return;
    socket.write(line);
    if (socket.writableLength > SOCKET_WRITE_BUFFER_BYTES_MAX) {
      this.deps.logger.warn({ connection: connection.id }, 'manager peer does not read its output; disconnecting');
      socket.destroy();
    }
  }
}
