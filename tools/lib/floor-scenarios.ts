/**
 * Issue 15's floors: what this machine's HTTP costs with nothing behind it, and what one request
 * costs on an idle service.
 *
 * - bare-http: a trivial node:http server (a child process, so that it shares no event loop with
 *   the load) answering every POST from memory with a wallet-sized answer, driven by `connections`
 *   closed-loop workers through the same client and connection settings as the wallet scenarios.
 * - lone: one request at a time, on the idle service: each iteration sends a POST to that bare
 *   server, then getbalance, opentrade and closetrade of one account, so the four latencies (by
 *   kind) are taken under the same conditions; closetrade's p50 against bare-http's is a target.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { HttpJsonClient, WalletClient } from '@wallet-service/client';
import { runClosedLoop, type Verdict } from './load';
import type { Scenario, ScenarioMeasurement } from './scenario';
import { BENCH_CURRENCY, STAKE, tradeId, usdText } from './trade-load';
import { walletVerdict } from './wallet-scenarios';

/** The bare server's whole program: read the body, answer as getbalance would. */
const BARE_SERVER_SOURCE = `
const http = require('node:http');
const answer = JSON.stringify({ balance: '100.00', currency: 'USD', status: 'Ok' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) }); res.end(answer); });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
/** A body the size of a signed trade request. */
const BARE_BODY = JSON.stringify({
  token: 'x'.repeat(64),
  currency: BENCH_CURRENCY,
  externalTradeType: 'bench',
  externalTradeId: 'bare-000000',
  amount: STAKE,
});
const LONE_TRADE_TYPE = 'bench';
const LONE_PAYOUT_MINOR = 150n;

interface BareServer {
  url: string;
  stop(): Promise<void>;
}

async function startBareServer(): Promise<BareServer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', BARE_SERVER_SOURCE], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return {
    url: `http://127.0.0.1:${Number(chunk.toString().trim())}`,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const bareVerdict = (response: { status: number }): Verdict =>
  response.status === 200 ? 'ok' : { error: `HTTP ${response.status}` };

export function bareHttpScenario(): Scenario {
  return {
    name: 'bare-http',
    description:
      "a trivial node:http server answering from memory, through the wallet scenarios' client and connections: the HTTP floor of this machine",
    transport: 'http',
    run: async (context): Promise<ScenarioMeasurement> => {
      const server = await startBareServer();
      const client = new HttpJsonClient(server.url, { maxSockets: context.options.connections });
      try {
        const result = await runClosedLoop(
          {
            workers: context.options.connections,
            warmupMs: context.options.warmupMs,
            durationMs: context.options.durationMs,
            window: context.window,
          },
          ({ meter }) =>
            meter
              .measure(
                () => client.request('POST', '/wallet/getbalance', BARE_BODY, { 'Content-Type': 'application/json' }),
                bareVerdict,
              )
              .then(() => undefined),
        );
        return { ...result, accounts: 0 };
      } finally {
        client.close();
        await server.stop();
      }
    },
  };
}

export function loneRequestScenario(): Scenario {
  return {
    name: 'lone',
    description:
      'one request at a time on the idle service (getbalance, opentrade, closetrade), each iteration beside a bare-http request: latency without load',
    transport: 'http',
    run: async (context): Promise<ScenarioMeasurement> => {
      const [account] = await context.spreadAccounts();
      const server = await startBareServer();
      const bare = new HttpJsonClient(server.url, { maxSockets: 1 });
      const wallet = new WalletClient(context.service.baseUrl, context.credentials.walletSecret, { maxSockets: 1 });
      try {
        const result = await runClosedLoop(
          {
            workers: 1,
            warmupMs: context.options.warmupMs,
            durationMs: context.options.durationMs,
            window: context.window,
          },
          async ({ iteration, meter }) => {
            await meter.measure(
              () => bare.request('POST', '/wallet/getbalance', BARE_BODY, { 'Content-Type': 'application/json' }),
              bareVerdict,
              'bare-http',
            );
            await meter.measure(
              () => wallet.send('getbalance', { token: account!.walletToken, currency: BENCH_CURRENCY }),
              walletVerdict,
              'getbalance',
            );
            const trade = {
              token: account!.walletToken,
              currency: BENCH_CURRENCY,
              externalTradeType: LONE_TRADE_TYPE,
              externalTradeId: tradeId('lone', 0, iteration),
            };
            await meter.measure(
              () => wallet.send('opentrade', { ...trade, amount: STAKE }),
              walletVerdict,
              'opentrade',
            );
            await meter.measure(
              () => wallet.send('closetrade', { ...trade, amount: usdText(LONE_PAYOUT_MINOR) }),
              walletVerdict,
              'closetrade',
            );
          },
        );
        return { ...result, accounts: 1 };
      } finally {
        bare.close();
        wallet.close();
        await server.stop();
      }
    },
  };
}
