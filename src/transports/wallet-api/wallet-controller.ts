import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatMinorUnits } from '../../core/money/amount';
import { findCurrency } from '../../core/money/currency';
import { bodyBytes, isBodyReadError, rawBody, WALLET_BODY_BYTES_MAX } from '../http/body';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { noteRequestFailure, trackRequest } from '../http/request-log';
import { AppError } from '../../shared/errors';
import { fieldText, parseJsonObject, stringifyJson } from '../../shared/json';
import { TOKEN_LENGTH_MAX } from '../../shared/tokens';
import { decimalText, jsonInteger, parseWith, storableJson, text, INT64_MAX } from '../../shared/validation';
import type { Core } from '../../core/core';
import type { WalletBalance } from '../../core/wallet/wallet-service';
import type { VerifiedSignature, WalletSignatureVerifier } from './wallet-signature';
import { DECIMAL_SCHEMA, type ApiDescription, type ApiOperation } from '../http/api-description';
import { WALLET_STATUS_BY_CODE, WALLET_STATUSES, type WalletStatus } from './wallet-status';

/** Trade key limits, in characters. */
export const TRADE_TYPE_LENGTH_MAX = 64;
export const TRADE_ID_LENGTH_MAX = 128;
/** How deep the platform's `data` may nest. */
export const TRADE_DATA_DEPTH_MAX = 16;

const token = z.string().min(1).max(TOKEN_LENGTH_MAX);
const currency = z.string().regex(/^[A-Z]{3,5}$/, 'expected a currency code such as USD');
const hash = z.string().optional();
/** The platform sends trade ids as strings; an integer JSON number is read as its text too. */
const tradeId = z.union([text(TRADE_ID_LENGTH_MAX).min(1), jsonInteger(0n, INT64_MAX).transform(String)]);

const authenticateSchema = z.strictObject({ token, hash });
const balanceSchema = z.strictObject({ token, currency, amount: decimalText.optional(), hash });
const tradeSchema = z.strictObject({
  token,
  currency,
  amount: decimalText,
  externalTradeType: text(TRADE_TYPE_LENGTH_MAX).min(1),
  externalTradeId: tradeId,
  data: storableJson(TRADE_DATA_DEPTH_MAX).optional(),
  hash,
});
type TradeBody = z.output<typeof tradeSchema>;

const walletOperation = (action: string, summary: string, body: z.ZodType): ApiOperation => ({
  method: 'post',
  path: `/wallet/${action}`,
  operationId: `wallet${action[0]!.toUpperCase()}${action.slice(1)}`,
  summary,
  tag: 'wallet',
  security: 'walletSignature',
  body,
  responses: {
    '200': { description: 'A definitive answer, whatever its status: do not retry it.', json: 'WalletAnswer' },
    '503': {
      description:
        'Transient (the database, or the account locked by another transaction): nothing was applied, retry.',
      json: 'WalletAnswer',
    },
  },
});

/** The wallet API in the OpenAPI document, from the schemas that validate its requests. */
export const WALLET_API: ApiDescription = {
  tags: [
    {
      name: 'wallet',
      description:
        'Called by the trading platform on every trade, each request signed with the shared secret (docs/wallet-api.md).',
    },
  ],
  operations: [
    walletOperation('authenticate', 'Exchange a single-use launch token for a wallet token', authenticateSchema),
    walletOperation(
      'getbalance',
      'The balance (balance + credit); InsufficientFunds when amount exceeds it',
      balanceSchema,
    ),
    walletOperation('opentrade', 'Reserve the stake of a trade (moves it to held), once per trade key', tradeSchema),
    walletOperation('closetrade', 'Settle a trade: release its stake and pay amount, once per trade key', tradeSchema),
  ],
  components: {
    WalletAnswer: {
      type: 'object',
      required: ['status'],
      properties: {
        status: { enum: [...WALLET_STATUSES, 'Unavailable', 'InternalError'] },
        balance: DECIMAL_SCHEMA,
        currency: { type: 'string' },
        message: { type: 'string' },
        walletToken: { type: 'string' },
        userId: { type: 'string' },
      },
      additionalProperties: false,
    },
  },
};

interface WalletControllerDeps {
  core: Pick<Core, 'wallet'>;
  verifier: WalletSignatureVerifier;
  metrics: Metrics;
  logger: Logger;
}

type WalletAction = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The wallet API of docs/wallet-api.md (POST /wallet/*): verify the signature, parse, call the wallet service,
 * answer `{balance, currency, status}`. Every definitive answer is HTTP 200 with a status.
 *
 * A plain node:http handler rather than an Express router: the platform calls it on every trade, and
 * Express's layers (app, router, body middleware) were a tenth of the service's CPU on this path
 * (issue 15's profile). It answers its four exact paths; it returns false for any other request,
 * which the caller hands on (to Express, which answers 404 for other /wallet paths).
 */
export function walletRequestHandler(
  deps: WalletControllerDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const actions = new Map<string, WalletAction>([
    [
      '/wallet/authenticate',
      walletAction(deps, 'authenticate', authenticateSchema, async (body, signature) => {
        const wallet = await deps.core.wallet.authenticate(body.token, signature.nonce);
        return { walletToken: wallet.walletToken, userId: wallet.login.toString(), ...balanceFields(wallet) };
      }),
    ],
    [
      '/wallet/getbalance',
      walletAction(deps, 'getbalance', balanceSchema, async (body, signature) =>
        balanceFields(await deps.core.wallet.getBalance(body, signature.nonce)),
      ),
    ],
    [
      '/wallet/opentrade',
      walletAction(deps, 'opentrade', tradeSchema, async (body, signature) =>
        balanceFields(await deps.core.wallet.openTrade(toTradeRequest(body), signature.nonce)),
      ),
    ],
    [
      '/wallet/closetrade',
      walletAction(deps, 'closetrade', tradeSchema, async (body, signature) =>
        balanceFields(await deps.core.wallet.closeTrade(toTradeRequest(body), signature.nonce)),
      ),
    ],
  ]);
  return (req, res) => {
    const path = requestPath(req);
    const action = req.method === 'POST' ? actions.get(path) : undefined;
    if (!action) return false;
    trackRequest(deps.logger, deps.metrics, req, res, () => path);
    // an action answers every error itself; should answering fail too, the connection is closed
    action(req, res).catch((error: unknown) => {
      noteRequestFailure(res, error); // its access-log line (aborted) carries it
      res.destroy();
    });
    return true;
  };
}

const readWalletBody = rawBody(WALLET_BODY_BYTES_MAX);

/** The body's raw bytes (inflated, at most WALLET_BODY_BYTES_MAX), or body-parser's error. */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readWalletBody(req, res, (error?: unknown) =>
      error ? reject(error) : resolve(bodyBytes((req as { body?: unknown }).body)),
    );
  });
}

function walletAction<S extends z.ZodType>(
  deps: WalletControllerDeps,
  action: string,
  schema: S,
  run: (body: z.output<S>, signature: VerifiedSignature) => Promise<Record<string, string>>,
): WalletAction {
  return async (req, res) => {
    try {
      const signature = verifyAndParse(deps, req, await readBody(req, res));
      const answer = await run(parseWith(schema, signature.body), signature);
      deps.metrics.walletOutcomes.inc({ action, status: 'Ok' });
      sendJson(res, 200, { ...answer, status: 'Ok' });
    } catch (error) {
      sendWalletError(deps, res, action, error);
    }
  };
}

/**
 * Authentication before validation: a v2 signature is checked on the raw bytes before parsing; a
 * request without v2 headers must carry a valid legacy `hash` (so an unparseable unsigned body is
 * InvalidDigest, an unparseable signed one InvalidRequest).
 */
function verifyAndParse(
  deps: WalletControllerDeps,
  req: IncomingMessage,
  raw: Buffer,
): VerifiedSignature & { body: Record<string, unknown> } {
  if (deps.verifier.schemeFor(req.headers) === 'v2') {
    const signature = deps.verifier.verifyV2({
      method: 'POST',
      path: requestPath(req),
      headers: req.headers,
      rawBody: raw,
    });
    return { ...signature, body: parseJsonObject(raw) };
  }
  const body = parseOrEmpty(raw);
  const fieldTexts = Object.fromEntries(Object.entries(body).map(([name, value]) => [name, fieldText(value)]));
  return { ...deps.verifier.verifyLegacy(body, fieldTexts), body };
}

/** An unreadable body has no hash field, so the legacy check refuses it as unsigned. */
function parseOrEmpty(raw: Buffer): Record<string, unknown> {
  try {
    return parseJsonObject(raw);
  } catch {
    return {};
  }
}

/** The path the platform signed: the URL without its query string. */
function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function toTradeRequest(body: TradeBody) {
  return {
    token: body.token,
    currency: body.currency,
    amount: body.amount,
    externalTradeType: body.externalTradeType,
    externalTradeId: body.externalTradeId,
    dataJson: body.data === undefined ? null : stringifyJson(body.data),
  };
}

function balanceFields(wallet: WalletBalance): { balance: string; currency: string } {
  return { balance: formatMinorUnits(wallet.availableMinor, wallet.currency.scale), currency: wallet.currency.code };
}

function sendWalletError(deps: WalletControllerDeps, res: ServerResponse, action: string, error: unknown): void {
  if (isBodyReadError(error)) {
    deps.metrics.walletOutcomes.inc({ action, status: 'InvalidRequest' });
    sendJson(res, 200, { status: 'InvalidRequest', message: error.message });
    return;
  }
  const status: WalletStatus | undefined = error instanceof AppError ? WALLET_STATUS_BY_CODE[error.code] : undefined;
  if (!status) {
    const transient = error instanceof AppError;
    if (!transient) noteRequestFailure(res, error); // its access-log line (status 500, at error) carries it
    deps.metrics.walletOutcomes.inc({ action, status: transient ? 'Unavailable' : 'InternalError' });
    sendJson(res, transient ? 503 : 500, {
      status: transient ? 'Unavailable' : 'InternalError',
      message: transient ? error.message : 'retry later',
    });
    return;
  }
  deps.metrics.walletOutcomes.inc({ action, status });
  const appError = error as AppError;
  const answer: Record<string, string> = { status, message: appError.message };
  const { availableMinor, currency } = appError.details as { availableMinor?: bigint | null; currency?: string | null };
  const known = currency ? findCurrency(currency) : undefined;
  if (typeof availableMinor === 'bigint' && known) {
    answer.balance = formatMinorUnits(availableMinor, known.scale);
    answer.currency = known.code;
  }
  sendJson(res, 200, answer);
}

function sendJson(res: ServerResponse, statusCode: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
