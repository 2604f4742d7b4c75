import { z } from 'zod';

/**
 * How each HTTP transport describes its operations for the OpenAPI document: with the very zod
 * schemas that validate its requests (their JSON Schema is generated, never written again), and the
 * schemas of its answers as JSON Schema components.
 */
export type JsonSchema = Record<string, unknown>;

export interface ApiResponse {
  description: string;
  /** A JSON body: a component's name, or a schema. */
  json?: string | JsonSchema;
  /** Also (or only) answered as CSV. */
  csv?: boolean;
}

export interface ApiOperation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** The OpenAPI path, parameters in braces: `/admin/accounts/{login}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  security?: 'adminKey' | 'operatorKey' | 'walletSignature';
  /** The request body's schema, or 'csv' for a CSV upload. */
  body?: z.ZodType | 'csv';
  query?: z.ZodObject;
  /** The path parameters' schemas; without it, every path parameter is a login (digits). */
  params?: z.ZodObject;
  responses: Record<string, ApiResponse>;
}

/** The part of the document one transport contributes. */
export interface ApiDescription {
  tags: Array<{ name: string; description: string }>;
  operations: ApiOperation[];
  components?: Record<string, JsonSchema>;
}

/** An exact decimal of a currency's scale, as the APIs answer amounts. */
export const DECIMAL_SCHEMA: JsonSchema = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', examples: ['2180.00'] };

/** The JSON Schema of what a zod schema accepts (its input), as OpenAPI 3.1 embeds it. */
export function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...generated } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return generated;
}

/** One page of a cursor-paged list: `items` of a component, and the cursor of the next page (null on the last). */
export function cursorPage(component: string): JsonSchema {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: { $ref: `#/components/schemas/${component}` } },
      nextCursor: { type: ['string', 'null'] },
    },
  };
}
