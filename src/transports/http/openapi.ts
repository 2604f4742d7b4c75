import path from 'node:path';
import express, { Router } from 'express';
import { ADMIN_OPERATION_NAMES } from '../../core/balance-operations/operation-kinds';
import { LEDGER_PAGE_SIZE_MAX } from '../../core/ledger/ledger-service';

/**
 * The OpenAPI 3.1 document of every HTTP endpoint, served at /openapi.json with a Swagger UI
 * reference page at /docs. test/http/openapi.test.ts checks real responses against it.
 */
const decimal = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', examples: ['2180.00'] };
const decimalInput = {
  oneOf: [decimal, { type: 'number' }],
  description: 'Decimal string (or JSON number read exactly by its text); at most the currency\'s decimals',
};
const loginSchema = { type: 'integer', minimum: 1, examples: [1001] };
const walletStatus = {
  type: 'string',
  enum: ['Ok', 'InsufficientFunds', 'InvalidDigest', 'InvalidToken', 'Unauthorized', 'CurrencyMismatch', 'InvalidRequest', 'DuplicateTransaction'],
};
const signatureHeaders = [
  { name: 'X-Sig-Version', in: 'header', schema: { const: 'v2' }, description: 'v2 signing scheme (omit for legacy body hash)' },
  { name: 'X-Timestamp', in: 'header', schema: { type: 'string' }, description: 'unix seconds, within ±60 s' },
  { name: 'X-Nonce', in: 'header', schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
  {
    name: 'X-Signature',
    in: 'header',
    schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    description: 'hex HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(raw body)))',
  },
];
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const json = (schema: object) => ({ 'application/json': { schema } });
const walletAnswer = {
  description: 'Definitive answer (any status): do not retry. HTTP 5xx means retry.',
  content: json({ $ref: '#/components/schemas/WalletAnswer' }),
};
const tradeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['token', 'amount', 'currency', 'externalTradeType', 'externalTradeId'],
  properties: {
    token: { type: 'string', description: 'wallet token' },
    amount: decimalInput,
    currency: { type: 'string', examples: ['USD'] },
    externalTradeType: { type: 'string', maxLength: 64 },
    externalTradeId: { oneOf: [{ type: 'string', maxLength: 128 }, { type: 'integer' }] },
    data: { description: 'anything the platform wants kept with the trade' },
    hash: { type: 'string', description: 'legacy signature (see README)' },
  },
};
const walletPost = (summary: string, body: object) => ({
  post: {
    tags: ['wallet'],
    summary,
    parameters: signatureHeaders,
    requestBody: { required: true, content: json(body) },
    responses: { '200': walletAnswer, '503': { description: 'transient failure (the database, or the account locked by another transaction): nothing was applied, retry' } },
  },
});
const adminAuth = [{ adminKey: [] }];
const periodParameters = (defaultPeriod: string) => [
  { name: 'from', in: 'query', schema: { type: 'string' }, description: `ISO 8601 date or time (default: ${defaultPeriod})` },
  { name: 'to', in: 'query', schema: { type: 'string' }, description: 'ISO 8601 date or time, exclusive' },
];
const formatParameter = { name: 'format', in: 'query', schema: { enum: ['json', 'csv'], default: 'json' } };
const listing = (items: object) => ({
  type: 'object',
  required: ['count', 'items', 'truncated'],
  properties: { count: { type: 'integer' }, items: { type: 'array', items }, truncated: { type: 'boolean' } },
});
const buckets = { type: 'object', required: ['balance', 'credit', 'held'], properties: { balance: decimal, credit: decimal, held: decimal } };
const loginParam = { name: 'login', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d+$' } };

type Operation = { requestBody?: unknown; security?: unknown; parameters?: ReadonlyArray<{ in: string }>; responses: Record<string, unknown> };

/**
 * Answers every bearer-protected or body-taking endpoint shares: 401 for a missing or wrong key,
 * 413 for an oversized body, 400 for a malformed path parameter. Added here once instead of on
 * each operation.
 */
function withCommonResponses<T extends Record<string, Record<string, Operation>>>(paths: T): T {
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const add = (status: string, description: string) => {
        operation.responses[status] ??= errorResponse(description);
      };
      if (operation.security) add('401', 'missing or wrong bearer key');
      if (operation.requestBody && operation.security) add('413', 'body larger than the limit');
      if (operation.parameters?.some((parameter) => parameter.in === 'path')) add('400', 'malformed path parameter');
    }
  }
  return paths;
}

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Wallet service',
    version: '0.1.0',
    description:
      'External wallet provider for trading platforms. Wallet API (called by the platform, signed), operator API, admin API. The manager TCP API is described in the README.',
  },
  tags: [{ name: 'wallet' }, { name: 'operator' }, { name: 'admin' }, { name: 'reconciliation' }, { name: 'service' }],
  paths: withCommonResponses({
    '/wallet/authenticate': walletPost('Exchange a launch token for a wallet token', {
      type: 'object',
      additionalProperties: false,
      required: ['token'],
      properties: { token: { type: 'string', description: 'launch token' }, hash: { type: 'string' } },
    }),
    '/wallet/getbalance': walletPost('Balance (balance + credit); InsufficientFunds when amount exceeds it', {
      type: 'object',
      additionalProperties: false,
      required: ['token', 'currency'],
      properties: { token: { type: 'string' }, currency: { type: 'string' }, amount: decimalInput, hash: { type: 'string' } },
    }),
    '/wallet/opentrade': walletPost('Reserve the stake of a trade (moves it to held)', tradeBody),
    '/wallet/closetrade': walletPost('Settle a trade: release its stake and pay amount', tradeBody),
    '/operator/launch-tokens': {
      post: {
        tags: ['operator'],
        summary: 'Create a single-use launch token (valid 5 minutes)',
        security: [{ operatorKey: [] }],
        requestBody: { required: true, content: json({ type: 'object', additionalProperties: false, required: ['login'], properties: { login: loginSchema } }) },
        responses: {
          '201': {
            description: 'created',
            content: json({
              type: 'object',
              required: ['token', 'expiresAt'],
              properties: { token: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
            }),
          },
          '400': errorResponse('invalid request'),
          '401': errorResponse('missing or wrong operator key'),
          '403': errorResponse('account disabled'),
          '404': errorResponse('unknown account'),
        },
      },
    },
    '/admin/accounts': {
      post: {
        tags: ['admin'],
        summary: 'Create an account',
        security: adminAuth,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            additionalProperties: false,
            required: ['login', 'currency'],
            properties: { login: loginSchema, currency: { type: 'string' }, name: { type: 'string', maxLength: 200 } },
          }),
        },
        responses: {
          '201': { description: 'created', content: json({ $ref: '#/components/schemas/Account' }) },
          '400': errorResponse('invalid request'),
          '401': errorResponse('missing or wrong admin key'),
          '409': errorResponse('login already exists'),
        },
      },
    },
    '/admin/accounts/{login}': {
      get: {
        tags: ['admin'],
        summary: 'An account with its buckets',
        security: adminAuth,
        parameters: [loginParam],
        responses: {
          '200': { description: 'the account', content: json({ $ref: '#/components/schemas/Account' }) },
          '401': errorResponse('missing or wrong admin key'),
          '404': errorResponse('unknown account'),
        },
      },
      patch: {
        tags: ['admin'],
        summary: 'Enable or disable an account',
        security: adminAuth,
        parameters: [loginParam],
        requestBody: {
          required: true,
          content: json({ type: 'object', additionalProperties: false, required: ['status'], properties: { status: { enum: ['active', 'disabled'] } } }),
        },
        responses: {
          '200': { description: 'the account', content: json({ $ref: '#/components/schemas/Account' }) },
          '400': errorResponse('invalid request'),
          '404': errorResponse('unknown account'),
        },
      },
    },
    '/admin/accounts/{login}/transactions': {
      get: {
        tags: ['admin'],
        summary: 'The account\'s ledger entries, newest first',
        security: adminAuth,
        parameters: [
          loginParam,
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: LEDGER_PAGE_SIZE_MAX, default: 50 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
        ],
        responses: {
          '200': {
            description: 'one page',
            content: json({
              type: 'object',
              required: ['items', 'nextCursor'],
              properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Entry' } }, nextCursor: { type: ['string', 'null'] } },
            }),
          },
          '400': errorResponse('invalid limit or cursor'),
          '404': errorResponse('unknown account'),
        },
      },
    },
    '/admin/balance': {
      post: {
        tags: ['admin'],
        summary: 'Apply a typed balance operation (once per referenceId)',
        security: adminAuth,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            additionalProperties: false,
            required: ['accountId', 'operation', 'amount'],
            properties: {
              accountId: loginSchema,
              operation: { enum: ADMIN_OPERATION_NAMES },
              amount: decimalInput,
              comment: { type: 'string', maxLength: 500 },
              referenceId: { type: 'string', maxLength: 128 },
            },
          }),
        },
        responses: {
          '200': { description: 'applied (or already applied with this referenceId)', content: json({ const: true }) },
          '400': errorResponse('invalid request'),
          '401': errorResponse('missing or wrong admin key'),
          '404': errorResponse('unknown account'),
          '409': errorResponse('referenceId reused with different content'),
          '422': errorResponse('decrease beyond the balance bucket'),
          '503': errorResponse('ACCOUNT_BUSY: the account was locked by another transaction, nothing was applied; retry with the same referenceId'),
        },
      },
    },
    '/admin/managers': {
      post: {
        tags: ['admin'],
        summary: 'Create a manager-API user (password stored as a scrypt hash)',
        security: adminAuth,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            additionalProperties: false,
            required: ['login', 'password', 'role'],
            properties: {
              login: loginSchema,
              password: { type: 'string', minLength: 8, maxLength: 256 },
              role: { enum: ['SESSION_ADMIN', 'SESSION_MANAGER', 'SESSION_DEALER', 'SESSION_VIEWER'] },
            },
          }),
        },
        responses: {
          '201': {
            description: 'created',
            content: json({ type: 'object', required: ['login', 'role'], properties: { login: loginSchema, role: { type: 'string' } }, additionalProperties: false }),
          },
          '400': errorResponse('invalid request'),
          '401': errorResponse('missing or wrong admin key'),
          '409': errorResponse('login already exists'),
        },
      },
    },
    '/admin/reconciliation': {
      get: {
        tags: ['reconciliation'],
        summary: 'Check every ledger invariant and list the exceptions for review',
        security: adminAuth,
        parameters: [...periodParameters('all time'), { name: 'staleHoldAgeS', in: 'query', schema: { type: 'integer', minimum: 0, default: 86400 } }],
        responses: {
          '200': { description: 'the report (clean: every invariant holds)', content: json({ $ref: '#/components/schemas/ReconciliationReport' }) },
          '400': errorResponse('invalid period'),
        },
      },
    },
    '/admin/reports/daily-totals': {
      get: {
        tags: ['reconciliation'],
        summary: 'Totals per day (UTC), currency and operation',
        security: adminAuth,
        parameters: [...periodParameters('the last 30 days'), formatParameter],
        responses: {
          '200': {
            description: 'the totals (format=csv: a CSV attachment)',
            content: {
              ...json({
                type: 'object',
                required: ['totals'],
                properties: {
                  totals: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['day', 'currency', 'operation', 'entries', 'balance', 'credit', 'held'],
                      properties: { day: { type: 'string' }, currency: { type: 'string' }, operation: { type: 'string' }, entries: { type: 'integer' }, balance: decimal, credit: decimal, held: decimal },
                    },
                  },
                },
              }),
              'text/csv': { schema: { type: 'string' } },
            },
          },
          '400': errorResponse('invalid period'),
        },
      },
    },
    '/admin/accounts/{login}/statement': {
      get: {
        tags: ['reconciliation'],
        summary: 'Account statement: opening buckets, every entry, closing buckets',
        security: adminAuth,
        parameters: [loginParam, ...periodParameters('the last 30 days'), formatParameter],
        responses: {
          '200': {
            description: 'the statement (format=csv: a CSV attachment with opening and closing lines)',
            content: { ...json({ $ref: '#/components/schemas/Statement' }), 'text/csv': { schema: { type: 'string' } } },
          },
          '400': errorResponse('invalid period'),
          '404': errorResponse('unknown account'),
        },
      },
    },
    '/admin/ledger/export': {
      get: {
        tags: ['reconciliation'],
        summary: 'The full ledger of a period as CSV, one line per posting (streamed)',
        security: adminAuth,
        parameters: periodParameters('the last 30 days'),
        responses: { '200': { description: 'CSV attachment', content: { 'text/csv': { schema: { type: 'string' } } } }, '400': errorResponse('invalid period') },
      },
    },
    '/admin/reconciliation/match': {
      post: {
        tags: ['reconciliation'],
        summary: 'Match an external CSV against the ledger by reference and amount (dry run by default)',
        security: adminAuth,
        parameters: [
          ...periodParameters('the dates of the file, with a day of margin'),
          { name: 'side', in: 'query', schema: { enum: ['finance-records', 'trades'], default: 'finance-records' } },
          { name: 'dryRun', in: 'query', schema: { enum: ['true', 'false'], default: 'true' } },
          { name: 'driftMinor', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 }, description: 'allowed difference in minor units' },
          { name: 'referenceColumn', in: 'query', schema: { type: 'string', default: 'reference' } },
          { name: 'amountColumn', in: 'query', schema: { type: 'string', default: 'amount' } },
          { name: 'currencyColumn', in: 'query', schema: { type: 'string', default: 'currency' } },
          { name: 'dateColumn', in: 'query', schema: { type: 'string', default: 'date' } },
        ],
        requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
        responses: {
          '200': { description: 'the match report', content: json({ $ref: '#/components/schemas/MatchReport' }) },
          '400': errorResponse('unreadable file or invalid option'),
        },
      },
    },
    '/healthz': {
      get: {
        tags: ['service'],
        summary: 'Readiness',
        responses: {
          '200': { description: 'accepting requests', content: json({ type: 'object', properties: { status: { const: 'ok' } } }) },
          '503': { description: 'not ready or stopping' },
        },
      },
    },
    '/metrics': { get: { tags: ['service'], summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
  }),
  components: {
    securitySchemes: {
      adminKey: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY' },
      operatorKey: { type: 'http', scheme: 'bearer', description: 'OPERATOR_API_KEY' },
    },
    schemas: {
      WalletAnswer: {
        type: 'object',
        required: ['status'],
        properties: {
          status: walletStatus,
          balance: decimal,
          currency: { type: 'string' },
          message: { type: 'string' },
          walletToken: { type: 'string' },
          userId: { type: 'string' },
        },
        additionalProperties: false,
      },
      ReconciliationReport: {
        type: 'object',
        required: ['clean', 'checkedAt', 'period', 'staleHoldAgeS', 'checks', 'discrepancies', 'exceptions'],
        properties: {
          clean: { type: 'boolean' },
          checkedAt: { type: 'string', format: 'date-time' },
          period: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
          staleHoldAgeS: { type: 'integer' },
          checks: {
            type: 'array',
            items: { type: 'object', required: ['check', 'description', 'discrepancies'], properties: { check: { type: 'string' }, description: { type: 'string' }, discrepancies: { type: 'integer' } } },
          },
          discrepancies: listing({
            type: 'object',
            required: ['check', 'login', 'subject', 'expected', 'found', 'entryIds'],
            properties: {
              check: { type: 'string' },
              login: { type: ['string', 'null'] },
              subject: { type: ['string', 'null'] },
              expected: { type: 'string', description: 'minor units' },
              found: { type: 'string', description: 'minor units' },
              entryIds: { type: 'array', items: { type: 'string' } },
            },
          }),
          exceptions: {
            type: 'object',
            required: ['orphanCloses', 'staleHolds', 'refusedDuplicates', 'syncTimeouts'],
            properties: {
              orphanCloses: listing({ type: 'object' }),
              staleHolds: listing({ type: 'object' }),
              refusedDuplicates: listing({ type: 'object' }),
              syncTimeouts: listing({ type: 'object' }),
            },
          },
        },
      },
      Statement: {
        type: 'object',
        required: ['login', 'currency', 'from', 'to', 'opening', 'entries', 'closing'],
        properties: {
          login: { type: 'string' },
          currency: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          opening: buckets,
          entries: { type: 'array', items: { type: 'object' } },
          closing: buckets,
        },
      },
      MatchReport: {
        type: 'object',
        required: ['dryRun', 'runId', 'side', 'period', 'fileRows', 'invalidRows', 'counts', 'exceptions'],
        properties: {
          dryRun: { type: 'boolean' },
          runId: { type: ['string', 'null'] },
          side: { enum: ['finance-records', 'trades'] },
          period: { type: 'object' },
          fileRows: { type: 'integer' },
          invalidRows: listing({ type: 'string' }),
          counts: {
            type: 'object',
            required: ['matched', 'amount_mismatch', 'missing_in_ledger', 'missing_in_file'],
            properties: { matched: { type: 'integer' }, amount_mismatch: { type: 'integer' }, missing_in_ledger: { type: 'integer' }, missing_in_file: { type: 'integer' } },
          },
          exceptions: listing({ type: 'object' }),
        },
      },
      Error: {
        type: 'object',
        required: ['error', 'message'],
        properties: { error: { type: 'string' }, message: { type: 'string' } },
        additionalProperties: false,
      },
      Account: {
        type: 'object',
        additionalProperties: false,
        required: ['login', 'currency', 'name', 'status', 'balance', 'credit', 'held', 'available', 'withdrawable', 'version', 'createdAt', 'updatedAt'],
        properties: {
          login: loginSchema,
          currency: { type: 'string' },
          name: { type: ['string', 'null'] },
          status: { enum: ['active', 'disabled'] },
          balance: decimal,
          credit: decimal,
          held: decimal,
          available: { ...decimal, description: 'balance + credit' },
          withdrawable: { ...decimal, description: 'balance' },
          version: { type: 'integer', description: 'increases with every ledger entry of the account' },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
      Entry: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'order', 'version', 'operation', 'currency', 'balanceChange', 'creditChange', 'heldChange', 'balanceAfter', 'creditAfter', 'heldAfter', 'actorKind', 'actor', 'referenceId', 'comment', 'createdAt', 'postings'],
        properties: {
          id: { type: 'integer' },
          order: { type: 'integer' },
          version: { type: 'integer' },
          operation: { type: 'string' },
          currency: { type: 'string' },
          balanceChange: decimal,
          creditChange: decimal,
          heldChange: decimal,
          balanceAfter: decimal,
          creditAfter: decimal,
          heldAfter: decimal,
          actorKind: { enum: ['wallet', 'admin', 'manager', 'system'] },
          actor: { type: 'string' },
          referenceId: { type: ['string', 'null'] },
          comment: { type: ['string', 'null'] },
          createdAt: { type: 'string', format: 'date-time' },
          postings: {
            type: 'array',
            items: { type: 'object', required: ['book', 'amount'], properties: { book: { type: 'string' }, amount: decimal }, additionalProperties: false },
          },
        },
      },
    },
  },
} as const;

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wallet service API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });</script>
</body></html>`;

export function openApiRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.use('/docs/assets', express.static(SWAGGER_UI_DIR, { index: false }));
  return router;
}
