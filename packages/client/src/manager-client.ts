import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { parse, stringify } from 'lossless-json';
import { UncertainOutcomeError, WalletServiceError } from './errors';

/** An answer of the manager API. Numbers are kept exact (LosslessNumber) unless `plainNumbers`. */
export interface ManagerAnswer<T = Record<string, unknown>> {
  extID: string | null;
  status: number;
  data: T;
}

export interface ManagerEvent {
  event: string;
  type: string;
  data: Record<string, unknown>;
}

export interface ManagerConnectOptions {
  /** Answers parsed with JSON.parse (amounts become doubles: fine for tests); false keeps them exact (LosslessNumber). */
  plainNumbers?: boolean;
  /** Set: TLS (the service's MANAGER_TLS_CERT_FILE); unset: plain TCP. */
  tls?: tls.ConnectionOptions;
  /** A connection (with its TLS handshake) not made by then fails as uncertain (`timeout`); unset: the system's. */
  connectTimeoutMs?: number;
}

export interface ManagerCommandOptions {
  extID?: string;
  token?: string;
  /** No answer by then: rejected as uncertain (`timeout`), and a late answer is dropped. */
  timeoutMs?: number;
}

/**
 * One connection of the manager TCP API, at the wire level (tests, tools, and ManagerApiClient under
 * its typed methods): sends commands, matches answers by extID, and emits 'event' for subscribed
 * events and 'answer' for every answer. It does not reconnect; ManagerApiClient does.
 */
/** How long close() waits for the service to close its side before dropping the connection. */
const CLOSE_GRACE_MS = 1_000;

export class ManagerClient extends EventEmitter {
  private readonly pending = new Map<
    string,
    { resolve: (answer: ManagerAnswer) => void; reject: (error: Error) => void }
  >();
  private buffer = '';
  private nextExtId = 1;
  private token: string | undefined;

  private constructor(
    readonly socket: net.Socket,
    private readonly plainNumbers: boolean,
  ) {
    super();
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => {
      // Commands still waiting will never be answered on this connection: their outcome is unknown.
      for (const waiting of this.pending.values())
        waiting.reject(new UncertainOutcomeError('network', 'connection closed before the answer'));
      this.pending.clear();
      this.emit('close');
    });
    socket.on('error', (error) => this.emit('socketError', error));
  }

  static connect(port: number, host = '127.0.0.1', options: ManagerConnectOptions = {}): Promise<ManagerClient> {
    return new Promise((resolve, reject) => {
      const socket = options.tls ? tls.connect({ port, host, ...options.tls }) : net.connect(port, host);
      const fail = (error: Error) => {
        socket.destroy();
        reject(connectFailure(`manager connection to ${host}:${port}`, error));
      };
      socket.once('error', fail);
      if (options.connectTimeoutMs !== undefined) {
        socket.setTimeout(options.connectTimeoutMs, () =>
          fail(
            new UncertainOutcomeError(
              'timeout',
              `manager connection to ${host}:${port}: not made within ${options.connectTimeoutMs} ms`,
            ),
          ),
        );
      }
      socket.once(options.tls ? 'secureConnect' : 'connect', () => {
        socket.off('error', fail);
        socket.setTimeout(0);
        resolve(new ManagerClient(socket, options.plainNumbers ?? true));
      });
    });
  }

  /** Sends a command and waits for the answer with the same extID; amounts may be LosslessNumber or bigint (written exactly). */
  command<T = Record<string, unknown>>(
    command: string,
    data: Record<string, unknown> = {},
    options: ManagerCommandOptions = {},
  ): Promise<ManagerAnswer<T>> {
    const extID = options.extID ?? `c${this.nextExtId++}`;
    const token = options.token ?? this.token;
    return new Promise((resolve, reject) => {
      if (this.pending.has(extID)) {
        reject(new Error(`extID ${extID} is already waiting`));
        return;
      }
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(extID);
              reject(new UncertainOutcomeError('timeout', `${command}: no answer within ${options.timeoutMs} ms`));
            }, options.timeoutMs);
      const settle = () => clearTimeout(timer);
      this.pending.set(extID, {
        resolve: (answer) => (settle(), resolve(answer as ManagerAnswer<T>)),
        reject: (error) => (settle(), reject(error)),
      });
      this.sendRaw(`${stringify({ command, extID, data, ...(token ? { __token: token } : {}) })}\r\n`);
    });
  }

  /** Login; later commands of this client carry the token as __token too. */
  async login(login: number, password: string): Promise<ManagerAnswer> {
    const answer = await this.command('Login', { login, password });
    if (answer.status === 200) this.token = String(answer.data.token);
    return answer;
  }

  sendRaw(text: string | Buffer): void {
    this.socket.write(text);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.end();
      // a peer that never closes its side (a TLS close_notify left unanswered) must not keep the socket open
      setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let newline = this.buffer.indexOf('\n'); newline !== -1; newline = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (line.length > 0) this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    const message = (this.plainNumbers ? JSON.parse(line) : parse(line)) as Record<string, unknown>;
    if (typeof message.event === 'string') {
      this.emit('event', message as unknown as ManagerEvent);
      return;
    }
    // the status is an HTTP-like code, a plain number even when amounts are kept exact
    const answer = { ...message, status: Number(message.status) } as unknown as ManagerAnswer;
    this.emit('answer', answer);
    const extID = typeof answer.extID === 'string' ? answer.extID : undefined;
    const waiting = extID === undefined ? undefined : this.pending.get(extID);
    if (waiting && extID !== undefined) {
      this.pending.delete(extID);
      waiting.resolve(answer);
    }
  }
}

/** Node's codes of a refused certificate (self-signed, expired, another name...): a configuration error, not a network one. */
const CERTIFICATE_ERROR_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/;

/** A connection that failed: uncertain (retry) unless the server's certificate was refused, which no retry will change. */
function connectFailure(what: string, error: Error): WalletServiceError {
  if (error instanceof UncertainOutcomeError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (CERTIFICATE_ERROR_CODE.test(code))
    return new WalletServiceError(`${what}: the server's TLS certificate was refused: ${error.message}`, {
      cause: error,
    });
  return new UncertainOutcomeError('network', `${what}: ${error.message}`, { cause: error });
}
