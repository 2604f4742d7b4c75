import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import { UncertainOutcomeError } from './errors';
import { baseUrlOption } from './options';

/** One HTTP answer, whatever its status; `body` is the parsed JSON, or the text when it is not JSON. */
export interface HttpJsonResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: unknown;
}

export interface HttpClientOptions {
  /** Connections kept open to the service (keep-alive). */
  maxSockets?: number;
  /** A request without an answer by then fails as uncertain (`timeout`) and its socket is dropped; unset: no limit. */
  requestTimeoutMs?: number;
  /** For an `https:` base URL: the CA of a private certificate, a client certificate... */
  tls?: tls.ConnectionOptions;
}

const MAX_SOCKETS_DEFAULT = 64;
/**
 * The agent's socket timeout, in milliseconds. Node's agent honours a server's `Keep-Alive:
 * timeout=N` (closing an idle socket a second before the server would) only when the agent has a
 * timeout of its own: without one, a request could be sent on an idle socket at the moment the
 * server closed it, and fail with ECONNRESET although the service never saw it. An in-use socket's
 * timeout only emits an event, which nothing here acts on: `requestTimeoutMs` bounds a request.
 */
const AGENT_SOCKET_TIMEOUT_MS = 60_000;

/**
 * A small keep-alive JSON-over-HTTP(S) client (node:http, no dependency), the transport of every HTTP
 * client of the SDK. A failure to get an answer is an UncertainOutcomeError (`network` or `timeout`):
 * the request may have been processed.
 */
export class HttpJsonClient {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;

  constructor(
    baseUrl: string,
    private readonly options: HttpClientOptions = {},
  ) {
    this.base = baseUrlOption('HttpJsonClient', baseUrl);
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? MAX_SOCKETS_DEFAULT,
      timeout: AGENT_SOCKET_TIMEOUT_MS,
    };
    const secure = this.base.protocol === 'https:';
    this.transport = secure ? https : http;
    this.agent = secure ? new https.Agent({ ...agentOptions, ...options.tls }) : new http.Agent(agentOptions);
  }

  /** Sends one request; `timeoutMs` overrides the client's `requestTimeoutMs` for this one. */
  request(
    method: string,
    path: string,
    body: string | Buffer | null,
    headers: Record<string, string> = {},
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<HttpJsonResponse> {
    const what = `${method} ${path}`;
    return new Promise((resolve, reject) => {
      const payload = body === null ? null : Buffer.from(body);
      const req = this.transport.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers: {
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parseOrText(text) });
          });
          res.on('error', (error) => reject(lostAnswer(what, error)));
        },
      );
      req.on('error', (error) => reject(error instanceof UncertainOutcomeError ? error : lostAnswer(what, error)));
      if (timeoutMs !== undefined) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(new UncertainOutcomeError('timeout', `${what}: no answer within ${timeoutMs} ms`)),
        );
      }
      req.end(payload ?? undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function lostAnswer(what: string, error: Error): UncertainOutcomeError {
  return new UncertainOutcomeError('network', `${what}: ${error.message}`, { cause: error });
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
