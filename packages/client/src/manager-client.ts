import { EventEmitter } from 'node:events';
import net from 'node:net';
import { parse } from 'lossless-json';

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

/**
 * A small client of the manager TCP API (tests, demo, benchmark): sends commands, matches answers
 * by extID, and emits 'event' for subscribed events and 'answer' for every answer.
 */
export class ManagerClient extends EventEmitter {
  private readonly pending = new Map<string, { resolve: (answer: ManagerAnswer) => void; reject: (error: Error) => void }>();
  private buffer = '';
  private nextExtId = 1;
  private token: string | undefined;

  private constructor(readonly socket: net.Socket, private readonly plainNumbers: boolean) {
    super();
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => {
      // Commands still waiting will never be answered on this connection: their outcome is unknown.
      for (const waiting of this.pending.values()) waiting.reject(new Error('connection closed before the answer'));
      this.pending.clear();
      this.emit('close');
    });
    socket.on('error', (error) => this.emit('socketError', error));
  }

  static connect(port: number, host = '127.0.0.1', options: { plainNumbers?: boolean } = {}): Promise<ManagerClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new ManagerClient(socket, options.plainNumbers ?? true));
      });
    });
  }

  /** Sends a command and waits for the answer with the same extID. */
  command<T = Record<string, unknown>>(command: string, data: Record<string, unknown> = {}, options: { extID?: string; token?: string } = {}): Promise<ManagerAnswer<T>> {
    const extID = options.extID ?? `c${this.nextExtId++}`;
    const token = options.token ?? this.token;
    return new Promise((resolve, reject) => {
      if (this.pending.has(extID)) {
        reject(new Error(`extID ${extID} is already waiting`));
        return;
      }
      this.pending.set(extID, { resolve: resolve as (answer: ManagerAnswer) => void, reject });
      this.sendRaw(`${JSON.stringify({ command, extID, data, ...(token ? { __token: token } : {}) })}\r\n`);
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
    const answer = message as unknown as ManagerAnswer;
    this.emit('answer', answer);
    const extID = typeof answer.extID === 'string' ? answer.extID : undefined;
    const waiting = extID === undefined ? undefined : this.pending.get(extID);
    if (waiting && extID !== undefined) {
      this.pending.delete(extID);
      waiting.resolve(answer);
    }
  }
}
