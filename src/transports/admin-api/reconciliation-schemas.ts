import { z } from 'zod';
import { DECIMAL_SCHEMA, type JsonSchema } from '../http/api-description';
import { matchQueryFields } from './match-request';
import { STALE_HOLD_AGE_DEFAULT_S } from '../../core/reconciliation/reconciliation-service';
import { MATCH_OUTCOMES } from '../../core/reconciliation/matching';
import { RUN_PAGE_SIZE_DEFAULT, RUN_PAGE_SIZE_MAX } from '../../core/reconciliation/run-history';

/**
 * The reconciliation endpoints' schemas: those that validate their queries (the router in
 * reconciliation-controller.ts parses with them) and the answers' JSON schemas that
 * reconciliation-api.ts describes the endpoints with.
 */

export const periodQuery = {
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

export const listing = (items: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['count', 'items', 'truncated'],
  properties: { count: { type: 'integer' }, items: { type: 'array', items }, truncated: { type: 'boolean' } },
});
export const buckets: JsonSchema = {
  type: 'object',
  required: ['balance', 'credit', 'held'],
  properties: { balance: DECIMAL_SCHEMA, credit: DECIMAL_SCHEMA, held: DECIMAL_SCHEMA },
};
export const invalidPeriod = { description: 'an invalid period or option', json: 'Error' };
export const invalidId = { description: 'the id is not a positive integer', json: 'Error' };
export const noSuchRun = { description: 'no such run', json: 'Error' };
/** An amount in minor units, as text. */
export const MINOR_SCHEMA: JsonSchema = { type: 'string', pattern: '^-?\\d+$', description: 'minor units' };
export const nullable = (schema: JsonSchema): JsonSchema => ({ oneOf: [{ type: 'null' }, schema] });
export const matchCounts: JsonSchema = {
  type: 'object',
  required: [...MATCH_OUTCOMES],
  properties: Object.fromEntries(MATCH_OUTCOMES.map((outcome) => [outcome, { type: 'integer' }])),
};

/** A run of the history (presentRun). */
export const RUN_SCHEMA: JsonSchema = {
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
