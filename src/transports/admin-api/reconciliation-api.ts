import { z } from 'zod';
import { DECIMAL_SCHEMA, cursorPage, type ApiDescription, type JsonSchema } from '../http/api-description';
import { matchQueryFields } from './match-request';
import { STALE_HOLD_AGE_DEFAULT_S } from '../../core/reconciliation/reconciliation-service';
import { MATCH_OUTCOMES } from '../../core/reconciliation/matching';
import { RUN_PAGE_SIZE_DEFAULT, RUN_PAGE_SIZE_MAX } from '../../core/reconciliation/run-history';

/**
 * The reconciliation endpoints' contract: the schemas that validate their queries (the router in
 * reconciliation-controller.ts parses with them) and the OpenAPI description generated from them.
 */

const periodQuery = {
  from: z
    .string()
    .max(40)
    .optional()
    .meta({ description: 'start: a UTC day such as 2026-11-01, or a date-time (UTC when it names no zone)' }),
  to: z.string().max(40).optional().meta({ description: 'end: a UTC day, included, or a date-time, excluded' }),
};
export const reconcileQuery = z.strictObject({
  ...periodQuery,
  staleHoldAgeS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10 * 365 * 86400)
    .default(STALE_HOLD_AGE_DEFAULT_S),
});
export const formatQuery = z.strictObject({ ...periodQuery, format: z.enum(['json', 'csv']).default('json') });
export const exportQuery = z.strictObject(periodQuery);
export const balanceAtQuery = z.strictObject({
  at: z
    .string()
    .max(40)
    .optional()
    .meta({ description: 'the moment: a UTC day (its end: the whole day counted) or a date-time; default now' }),
});
export const matchQuery = z.strictObject({ ...periodQuery, ...matchQueryFields });
export const runsQuery = z.strictObject({
  kind: z.enum(['reconciliation', 'match']).optional().meta({ description: 'only runs of this kind' }),
  limit: z.coerce.number().int().min(1).max(RUN_PAGE_SIZE_MAX).default(RUN_PAGE_SIZE_DEFAULT),
  cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page' }),
});

const listing = (items: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['count', 'items', 'truncated'],
  properties: { count: { type: 'integer' }, items: { type: 'array', items }, truncated: { type: 'boolean' } },
});
const buckets: JsonSchema = {
  type: 'object',
  required: ['balance', 'credit', 'held'],
  properties: { balance: DECIMAL_SCHEMA, credit: DECIMAL_SCHEMA, held: DECIMAL_SCHEMA },
};
const invalidPeriod = { description: 'an invalid period or option', json: 'Error' };
const invalidId = { description: 'the id is not a positive integer', json: 'Error' };
const noSuchRun = { description: 'no such run', json: 'Error' };
/** An amount in minor units, as text. */
const MINOR_SCHEMA: JsonSchema = { type: 'string', pattern: '^-?\\d+$', description: 'minor units' };
const nullable = (schema: JsonSchema): JsonSchema => ({ oneOf: [{ type: 'null' }, schema] });
const matchCounts: JsonSchema = {
  type: 'object',
  required: [...MATCH_OUTCOMES],
  properties: Object.fromEntries(MATCH_OUTCOMES.map((outcome) => [outcome, { type: 'integer' }])),
};

/** A run of the history (presentRun). */
const RUN_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'actor', 'createdAt', 'dryRun', 'period', 'options', 'summary'],
  properties: {
    id: { type: 'string' },
    kind: { enum: ['reconciliation', 'match'] },
    actor: { type: 'string', description: 'who ran it: admin-api, cli:<os user>, a console user' },
    createdAt: { type: 'string', format: 'date-time' },
    dryRun: { type: ['boolean', 'null'], description: 'a match: dry run or applied; null for a reconciliation' },
    period: {
      type: 'object',
      required: ['from', 'to'],
      properties: {
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time', description: 'excluded' },
      },
    },
    options: { type: 'object', description: 'the options it ran with' },
    summary: {
      type: 'object',
      description: 'its counts (a match: counts and totals; a reconciliation: clean, discrepancies, exceptions)',
    },
  },
};

/** The reconciliation endpoints in the OpenAPI document, from the schemas that validate their queries. */
export const RECONCILIATION_API: ApiDescription = {
  tags: [
    {
      name: 'reconciliation',
      description:
        "The finance team's checks and reports: invariants, exceptions, totals, statements, exports, matching (docs/reconciliation-and-console.md).",
    },
  ],
  operations: [
    {
      method: 'get',
      path: '/admin/reconciliation',
      operationId: 'reconcile',
      summary: 'Check every ledger invariant and list the exceptions for review',
      tag: 'reconciliation',
      security: 'adminKey',
      query: reconcileQuery,
      responses: {
        '200': { description: 'the report (clean: every invariant holds)', json: 'ReconciliationReport' },
        '400': invalidPeriod,
      },
    },
    {
      method: 'get',
      path: '/admin/reports/daily-totals',
      operationId: 'dailyTotals',
      summary: 'Totals per day (UTC), currency and operation',
      tag: 'reconciliation',
      security: 'adminKey',
      query: formatQuery,
      responses: {
        '200': {
          description: 'the totals (format=csv: a CSV attachment)',
          csv: true,
          json: {
            type: 'object',
            required: ['totals'],
            properties: {
              totals: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['day', 'currency', 'operation', 'entries', 'balance', 'credit', 'held'],
                  properties: {
                    day: { type: 'string' },
                    currency: { type: 'string' },
                    operation: { type: 'string' },
                    entries: { type: 'integer' },
                    balance: DECIMAL_SCHEMA,
                    credit: DECIMAL_SCHEMA,
                    held: DECIMAL_SCHEMA,
                  },
                },
              },
            },
          },
        },
        '400': invalidPeriod,
      },
    },
    {
      method: 'get',
      path: '/admin/accounts/{login}/statement',
      operationId: 'accountStatement',
      summary: 'Account statement: opening buckets, every entry, closing buckets',
      tag: 'reconciliation',
      security: 'adminKey',
      query: formatQuery,
      responses: {
        '200': {
          description: 'the statement (format=csv: a CSV attachment with opening and closing lines)',
          json: 'Statement',
          csv: true,
        },
        '400': invalidPeriod,
        '404': { description: 'unknown account', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/accounts/{login}/balance',
      operationId: 'accountBalanceAt',
      summary: 'Each bucket of an account as it stood at a moment, from the after-values of its last entry before it',
      tag: 'reconciliation',
      security: 'adminKey',
      query: balanceAtQuery,
      responses: {
        '200': {
          description: 'the buckets at that moment (zero, with entry null, before the first entry)',
          json: 'PointInTimeBalance',
        },
        '400': { description: 'an unreadable or impossible moment', json: 'Error' },
        '404': { description: 'unknown account', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/ledger/export',
      operationId: 'exportLedger',
      summary: 'The ledger of a period as CSV, one line per posting (streamed)',
      tag: 'reconciliation',
      security: 'adminKey',
      query: exportQuery,
      responses: { '200': { description: 'a CSV attachment', csv: true }, '400': invalidPeriod },
    },
    {
      method: 'get',
      path: '/admin/reconciliation/runs',
      operationId: 'listReconciliationRuns',
      summary: 'The history of reconciliation and matching runs (dry or applied), newest first, a page at a time',
      tag: 'reconciliation',
      security: 'adminKey',
      query: runsQuery,
      responses: {
        '200': {
          description: 'one page; nextCursor is the cursor of the next',
          json: cursorPage('Run'),
        },
        '400': { description: 'invalid kind, limit or cursor', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/reconciliation/runs/{id}',
      operationId: 'getReconciliationRun',
      summary: 'One run as it was: who ran it, when, its period and options, and its answer',
      tag: 'reconciliation',
      security: 'adminKey',
      responses: { '200': { description: 'the run', json: 'RunWithResult' }, '400': invalidId, '404': noSuchRun },
    },
    {
      method: 'get',
      path: '/admin/reconciliation/runs/{id}/items.csv',
      operationId: 'downloadMatchRunItems',
      summary: "A match run's items as CSV, one line per item in the order found, amounts in currency units",
      tag: 'reconciliation',
      security: 'adminKey',
      responses: {
        '200': { description: 'a CSV attachment', csv: true },
        '400': invalidId,
        '404': { description: 'no such match run', json: 'Error' },
      },
    },
    {
      method: 'post',
      path: '/admin/reconciliation/match',
      operationId: 'matchExternalRecords',
      summary: 'Match an external CSV against the ledger by reference and amount (a dry run unless dryRun=false)',
      tag: 'reconciliation',
      security: 'adminKey',
      query: matchQuery,
      body: 'csv',
      responses: {
        '200': { description: 'the match report', json: 'MatchReport' },
        '400': { description: 'an unreadable file or an invalid option', json: 'Error' },
      },
    },
  ],
  components: {
    ReconciliationReport: {
      type: 'object',
      required: [
        'runId',
        'clean',
        'checkedAt',
        'replicaLagS',
        'period',
        'staleHoldAgeS',
        'checks',
        'discrepancies',
        'exceptions',
      ],
      properties: {
        runId: { type: 'string', description: 'the run in the history' },
        clean: { type: 'boolean' },
        checkedAt: { type: 'string', format: 'date-time' },
        replicaLagS: {
          type: ['number', 'null'],
          description: 'null: read on the primary; else the replica (DATABASE_READ_URL) was this many seconds behind',
        },
        period: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
        staleHoldAgeS: { type: 'integer' },
        checks: {
          type: 'array',
          items: {
            type: 'object',
            required: ['check', 'description', 'discrepancies'],
            properties: {
              check: { type: 'string' },
              description: { type: 'string' },
              discrepancies: { type: 'integer' },
            },
          },
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
    PointInTimeBalance: {
      type: 'object',
      required: ['login', 'currency', 'at', 'balance', 'credit', 'held', 'available', 'entry'],
      properties: {
        login: { type: 'integer' },
        currency: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        balance: DECIMAL_SCHEMA,
        credit: DECIMAL_SCHEMA,
        held: DECIMAL_SCHEMA,
        available: { ...DECIMAL_SCHEMA, description: 'balance + credit' },
        entry: {
          oneOf: [
            { type: 'null' },
            {
              type: 'object',
              description: 'the journal entry whose after-values these are',
              required: ['id', 'version', 'createdAt'],
              properties: {
                id: { type: 'integer' },
                version: { type: 'integer' },
                createdAt: { type: 'string', format: 'date-time' },
              },
            },
          ],
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
      required: ['dryRun', 'runId', 'side', 'period', 'fileRows', 'invalidRows', 'counts', 'totals', 'exceptions'],
      properties: {
        dryRun: { type: 'boolean', description: 'a dry run or an applied one: both are kept in the history' },
        runId: { type: 'string', description: 'the run in the history' },
        side: { enum: ['finance-records', 'trades'] },
        period: { type: 'object' },
        fileRows: { type: 'integer' },
        invalidRows: listing({ type: 'string' }),
        counts: matchCounts,
        totals: { type: 'array', items: { $ref: '#/components/schemas/MatchTotal' } },
        exceptions: listing({ $ref: '#/components/schemas/MatchItem' }),
      },
    },
    MatchTotal: {
      type: 'object',
      description: 'one currency and outcome: how many items, and the sum of each side in currency units',
      additionalProperties: false,
      required: ['currency', 'outcome', 'count', 'fileAmount', 'ledgerAmount'],
      properties: {
        currency: { type: 'string' },
        outcome: { enum: [...MATCH_OUTCOMES] },
        count: { type: 'integer' },
        fileAmount: DECIMAL_SCHEMA,
        ledgerAmount: DECIMAL_SCHEMA,
      },
    },
    MatchItem: {
      type: 'object',
      additionalProperties: false,
      required: [
        'outcome',
        'match',
        'reference',
        'currency',
        'externalMinor',
        'ledgerMinor',
        'fileAmount',
        'ledgerAmount',
        'lines',
      ],
      properties: {
        outcome: { enum: [...MATCH_OUTCOMES] },
        match: { enum: ['one-to-one', 'one-to-many', 'many-to-one'] },
        reference: { type: 'string', description: "the file's reference as written (a one-to-many row's whole list)" },
        currency: { type: ['string', 'null'] },
        externalMinor: nullable(MINOR_SCHEMA),
        ledgerMinor: nullable(MINOR_SCHEMA),
        fileAmount: nullable(DECIMAL_SCHEMA),
        ledgerAmount: nullable(DECIMAL_SCHEMA),
        lines: { type: 'array', items: { type: 'integer' }, description: 'the file lines behind the item' },
        parts: {
          type: 'array',
          description: 'a group: every record on both sides (a missing ledger record has a null amount)',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['side', 'reference', 'line', 'currency', 'amount'],
            properties: {
              side: { enum: ['file', 'ledger'] },
              reference: { type: 'string' },
              line: { type: ['integer', 'null'] },
              currency: { type: ['string', 'null'] },
              amount: nullable(DECIMAL_SCHEMA),
            },
          },
        },
        detail: { type: 'string' },
      },
    },
    Run: RUN_SCHEMA,
    RunWithResult: {
      ...RUN_SCHEMA,
      required: [...(RUN_SCHEMA.required as string[]), 'result'],
      properties: {
        ...(RUN_SCHEMA.properties as Record<string, JsonSchema>),
        result: {
          description:
            'the answer as it was given: a ReconciliationReport or a MatchReport (null for a match applied before the history kept answers)',
          anyOf: [
            { type: 'null' },
            { $ref: '#/components/schemas/ReconciliationReport' },
            { $ref: '#/components/schemas/MatchReport' },
          ],
        },
      },
    },
  },
};
