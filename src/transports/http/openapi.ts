import path from 'node:path';
import express, { Router } from 'express';
import {
  inputSchema,
  type ApiDescription,
  type ApiOperation,
  type ApiResponse,
  type JsonSchema,
} from './api-description';

/**
 * The OpenAPI 3.1 document of the HTTP APIs, built from each transport's description (whose request
 * schemas are the zod schemas that validate the requests), served at /openapi.json with a Swagger UI
 * page at /docs. Tests check real answers against it and lint it with Redocly.
 */

const INFO = {
  title: 'Wallet service',
  version: '0.1.0',
  description:
    'External wallet provider for trading platforms: the wallet API (called by the platform, signed), the operator API and the admin API. The manager TCP API is described at /asyncapi.json and in docs/manager-api.md of the repository.',
  license: { name: 'UNLICENSED (proprietary)', url: 'https://docs.npmjs.com/cli/configuring-npm/package-json#license' },
};

const SECURITY_SCHEMES = {
  walletSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Signature',
    description:
      'v2: X-Sig-Version: v2, X-Timestamp (unix seconds, within 60 s), X-Nonce (32 lowercase hex, once) and X-Signature = lowercase hex HMAC-SHA256 with a WALLET_SECRETS secret over METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(raw body)). Legacy (without v2 headers): a body field hash = MD5 of the sorted name=value fields (but hash and data) joined with & and the secret.',
  },
  operatorKey: { type: 'http', scheme: 'bearer', description: 'OPERATOR_API_KEY' },
  adminKey: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY' },
};

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  additionalProperties: false,
};

/** The v2 signature's other headers (the legacy scheme signs in the body instead). */
const SIGNATURE_HEADERS = [
  {
    name: 'X-Sig-Version',
    in: 'header',
    schema: { const: 'v2' },
    description: 'the v2 signing scheme (omit for the legacy body hash)',
  },
  {
    name: 'X-Timestamp',
    in: 'header',
    schema: { type: 'string', pattern: '^\\d{1,12}$' },
    description: 'unix seconds, within 60 s of the server',
  },
  {
    name: 'X-Nonce',
    in: 'header',
    schema: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    description: 'used once; remembered 180 s by every instance',
  },
];

export function openApiDocument(descriptions: readonly ApiDescription[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of descriptions.flatMap((description) => description.operations)) {
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = documentOperation(operation);
  }
  const schemas = Object.assign(
    { Error: ERROR_SCHEMA },
    ...descriptions.map((description) => description.components ?? {}),
  );
  return {
    openapi: '3.1.0',
    info: INFO,
    servers: [{ url: '/', description: 'this service' }],
    tags: descriptions.flatMap((description) => description.tags),
    paths,
    components: { securitySchemes: SECURITY_SCHEMES, schemas },
  };
}

function documentOperation(operation: ApiOperation): JsonSchema {
  const parameters = [
    ...pathParameters(operation),
    ...queryParameters(operation),
    ...(operation.security === 'walletSignature' ? SIGNATURE_HEADERS : []),
  ];
  const responses: Record<string, JsonSchema> = Object.fromEntries(
    Object.entries(operation.responses).map(([status, response]) => [status, documentResponse(response)]),
  );
  // what every operation behind a bearer key, with a body or with a path parameter may answer
  const bearer = operation.security === 'adminKey' || operation.security === 'operatorKey';
  if (bearer) responses['401'] ??= documentResponse({ description: 'a missing or wrong bearer key', json: 'Error' });
  if (bearer)
    responses['429'] ??= documentResponse({
      description: 'too many wrong keys from this address: wait Retry-After seconds',
      json: 'Error',
    });
  if (bearer && operation.body !== undefined)
    responses['413'] ??= documentResponse({ description: 'a body larger than the limit', json: 'Error' });
  if (parameters.some((parameter) => parameter.in === 'path'))
    responses['400'] ??= documentResponse({ description: 'a malformed path parameter', json: 'Error' });
  return {
    tags: [operation.tag],
    operationId: operation.operationId,
    summary: operation.summary,
    // an open endpoint says so with an empty requirement
    security: operation.security ? [{ [operation.security]: [] }] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body === undefined ? {} : { requestBody: documentBody(operation.body) }),
    responses,
  };
}

function pathParameters(operation: ApiOperation): JsonSchema[] {
  const declared = operation.params
    ? ((inputSchema(operation.params) as { properties?: Record<string, JsonSchema> }).properties ?? {})
    : {};
  return [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => {
    const { description, ...schema } = declared[match[1]!] ?? { type: 'string', pattern: '^\\d+$' };
    return { name: match[1], in: 'path', required: true, schema, ...(description ? { description } : {}) };
  });
}

function queryParameters(operation: ApiOperation): JsonSchema[] {
  if (!operation.query) return [];
  const generated = inputSchema(operation.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(generated.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: 'query',
      required: generated.required?.includes(name) ?? false,
      schema: rest,
      ...(description ? { description } : {}),
    };
  });
}

function documentBody(body: Exclude<ApiOperation['body'], undefined>): JsonSchema {
  if (body === 'csv') return { required: true, content: { 'text/csv': { schema: { type: 'string' } } } };
  return { required: true, content: { 'application/json': { schema: inputSchema(body) } } };
}

function documentResponse(response: ApiResponse): JsonSchema {
  const content: Record<string, JsonSchema> = {};
  if (response.json !== undefined) {
    content['application/json'] = {
      schema: typeof response.json === 'string' ? { $ref: `#/components/schemas/${response.json}` } : response.json,
    };
  }
  if (response.csv) content['text/csv'] = { schema: { type: 'string' } };
  return { description: response.description, ...(Object.keys(content).length > 0 ? { content } : {}) };
}

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wallet service API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });</script>
</body></html>`;

export function openApiRouter(document: JsonSchema): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.use('/docs/assets', express.static(SWAGGER_UI_DIR, { index: false }));
  return router;
}
