import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpJsonClient } from '@wallet-service/client';
import { HTTP_KEEP_ALIVE_TIMEOUT_MS } from '../../../src/app/service';

/**
 * The SDK's keep-alive sockets: an idle socket is closed by the client before the server's announced
 * keep-alive timeout, so that no request is ever written on a socket the server is closing at that
 * moment (which fails with ECONNRESET although the server never saw the request: a test sending a
 * burst after a pause failed so on a busy machine). The server is a plain node:http server with the
 * service's own keep-alive timeout.
 */

let server: http.Server;
/** How each connection ended: 'client' when the client closed it first, 'server' when the server did. */
const endings: Promise<'client' | 'server'>[] = [];

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('{"ok":true}'));
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.on('connection', (socket) => {
    endings.push(
      new Promise((resolve) => {
        socket.once('end', () => resolve('client'));
        socket.once('close', () => resolve('server'));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

it("closes an idle keep-alive socket itself, before the server's keep-alive timeout", async () => {
  const client = new HttpJsonClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    const answer = await client.request('GET', '/', null);
    expect(answer.body).toEqual({ ok: true });
    expect(endings).toHaveLength(1);
    expect(await endings[0]).toBe('client');
    // and the next request opens a new connection, which answers
    expect((await client.request('GET', '/', null)).status).toBe(200);
    expect(endings).toHaveLength(2);
  } finally {
    client.close();
  }
});
