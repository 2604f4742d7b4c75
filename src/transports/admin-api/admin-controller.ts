import { Router } from 'express';
import { z } from 'zod';
import { ADMIN_OPERATIONS, ADMIN_OPERATION_NAMES } from '../../core/balance-operations/operation-kinds';
import { DECIMAL_SCHEMA, cursorPage, type ApiDescription, type JsonSchema } from '../http/api-description';
import { API_BODY_BYTES_MAX, jsonObjectBody } from '../http/body';
import { sendJson } from '../http/respond';
import { MANAGER_ROLES } from '../../core/managers/manager-store';
import { LEDGER_PAGE_SIZE_DEFAULT, LEDGER_PAGE_SIZE_MAX } from '../../core/ledger/ledger-service';
import {
  ACCOUNT_PAGE_SIZE_DEFAULT,
  ACCOUNT_PAGE_SIZE_MAX,
  ACCOUNT_SEARCH_LENGTH_MAX,
} from '../../core/accounts/account-service';
import { ACCOUNT_SORTS } from '../../core/accounts/account-store';
import type { Core } from '../../core/core';
import { decimalText, login, parseWith, text } from '../../shared/validation';
import { pathId, pathLogin } from '../http/params';
import { presentAccount } from '../presenters/accounts';
import { presentEntry, presentEntryOfAccount } from '../presenters/ledger';
import { ADMIN_API_ACTOR } from './users-controller';

/** Length limits of admin text fields, in characters. */
export const COMMENT_LENGTH_MAX = 500;
export const REFERENCE_ID_LENGTH_MAX = 128;
export const ACCOUNT_NAME_LENGTH_MAX = 200;

const createAccountSchema = z.strictObject({
  login,
  currency: z.string().regex(/^[A-Z]{3,5}$/, 'expected a currency code such as USD'),
  name: text(ACCOUNT_NAME_LENGTH_MAX).optional(),
});
const updateAccountSchema = z.strictObject({ status: z.enum(['active', 'disabled']) });
const balanceSchema = z.strictObject({
  accountId: login,
  operation: z.enum(ADMIN_OPERATION_NAMES),
  amount: decimalText,
  comment: text(COMMENT_LENGTH_MAX).optional(),
  referenceId: text(REFERENCE_ID_LENGTH_MAX).min(1).optional(),
});
const historyQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(LEDGER_PAGE_SIZE_MAX).default(LEDGER_PAGE_SIZE_DEFAULT),
  cursor: z.string().max(200).optional(),
});

const accountListQuerySchema = z.strictObject({
  search: z.string().max(ACCOUNT_SEARCH_LENGTH_MAX).optional().meta({
    description:
      'digits: logins starting with them or names containing them; other text: names containing it, in any case',
  }),
  status: z.enum(['active', 'disabled']).optional(),
  sort: z
    .enum(ACCOUNT_SORTS)
    .default('login')
    .meta({ description: 'the order; a leading - is descending (ties: by login)' }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'nextCursor of the previous page, with the same search, status and sort' }),
  limit: z.coerce.number().int().min(1).max(ACCOUNT_PAGE_SIZE_MAX).default(ACCOUNT_PAGE_SIZE_DEFAULT),
});

const createManagerSchema = z.strictObject({
  login,
  password: z.string().min(1).max(256),
  role: z.enum(MANAGER_ROLES),
});

/** The part of the core's front door the admin API uses. */
type AdminCore = Pick<Core, 'accounts' | 'finance' | 'ledger' | 'managers'>;

/** A journal entry as the admin API shows it (presentEntry). */
const ENTRY_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'order',
    'version',
    'operation',
    'currency',
    'balanceChange',
    'creditChange',
    'heldChange',
    'balanceAfter',
    'creditAfter',
    'heldAfter',
    'actorKind',
    'actor',
    'referenceId',
    'comment',
    'createdAt',
    'postings',
  ],
  properties: {
    id: { type: 'integer' },
    order: { type: 'integer' },
    version: { type: 'integer' },
    operation: { type: 'string' },
    currency: { type: 'string' },
    balanceChange: DECIMAL_SCHEMA,
    creditChange: DECIMAL_SCHEMA,
    heldChange: DECIMAL_SCHEMA,
    balanceAfter: DECIMAL_SCHEMA,
    creditAfter: DECIMAL_SCHEMA,
    heldAfter: DECIMAL_SCHEMA,
    actorKind: { enum: ['wallet', 'admin', 'manager', 'system'] },
    actor: { type: 'string' },
    referenceId: { type: ['string', 'null'] },
    comment: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    postings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['book', 'amount'],
        properties: { book: { type: 'string' }, amount: DECIMAL_SCHEMA },
        additionalProperties: false,
      },
    },
  },
};

/** The admin API in the OpenAPI document, from the schemas that validate its requests. */
export const ADMIN_API: ApiDescription = {
  tags: [
    {
      name: 'admin',
      description:
        'The back office: accounts, typed balance operations with once-only reference ids, manager users ' +
        '(docs/admin-api.md).',
    },
  ],
  operations: [
    {
      method: 'post',
      path: '/admin/accounts',
      operationId: 'createAccount',
      summary: 'Create an account',
      tag: 'admin',
      security: 'adminKey',
      body: createAccountSchema,
      responses: {
        '201': { description: 'created', json: 'Account' },
        '400': { description: 'invalid request', json: 'Error' },
        '409': { description: 'the login exists already', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/accounts',
      operationId: 'listAccounts',
      summary: 'Accounts, searched by login or name and filtered by status, in a chosen order, a page at a time',
      tag: 'admin',
      security: 'adminKey',
      query: accountListQuerySchema,
      responses: {
        '200': {
          description:
            'one page; nextCursor is the cursor of the next (null on the last page, and past the deepest page a ' +
            'list reaches: narrow the search)',
          json: cursorPage('Account'),
        },
        '400': { description: 'invalid search, status, sort, limit or cursor', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/accounts/{login}',
      operationId: 'getAccount',
      summary: 'An account with its buckets',
      tag: 'admin',
      security: 'adminKey',
      responses: {
        '200': { description: 'the account', json: 'Account' },
        '404': { description: 'unknown account', json: 'Error' },
      },
    },
    {
      method: 'patch',
      path: '/admin/accounts/{login}',
      operationId: 'setAccountStatus',
      summary: 'Enable or disable an account',
      tag: 'admin',
      security: 'adminKey',
      body: updateAccountSchema,
      responses: {
        '200': { description: 'the account', json: 'Account' },
        '400': { description: 'invalid request', json: 'Error' },
        '404': { description: 'unknown account', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/accounts/{login}/transactions',
      operationId: 'listAccountTransactions',
      summary: "The account's ledger entries, newest first, a page at a time",
      tag: 'admin',
      security: 'adminKey',
      query: historyQuerySchema,
      responses: {
        '200': {
          description: 'one page; nextCursor is the cursor of the next',
          json: cursorPage('Entry'),
        },
        '400': { description: 'invalid limit or cursor', json: 'Error' },
        '404': { description: 'unknown account', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/ledger/entries/{id}',
      operationId: 'getJournalEntry',
      summary: 'One journal entry with its postings and its account (a discrepancy names its entries by id)',
      tag: 'admin',
      security: 'adminKey',
      responses: {
        '200': { description: 'the entry', json: 'JournalEntry' },
        '400': { description: 'the id is not a positive integer', json: 'Error' },
        '404': { description: 'no such entry', json: 'Error' },
      },
    },
    {
      method: 'post',
      path: '/admin/balance',
      operationId: 'applyBalanceOperation',
      summary: 'Apply a typed balance operation, once per referenceId',
      tag: 'admin',
      security: 'adminKey',
      body: balanceSchema,
      responses: {
        '200': { description: 'applied (or already applied with this referenceId)', json: { const: true } },
        '400': { description: 'invalid request', json: 'Error' },
        '404': { description: 'unknown account', json: 'Error' },
        '409': { description: 'the referenceId was used with other content', json: 'Error' },
        '422': { description: 'a decrease beyond the balance bucket', json: 'Error' },
        '503': {
          description:
            'ACCOUNT_BUSY: the account was locked by another transaction; nothing was applied, retry with the ' +
            'same referenceId',
          json: 'Error',
        },
      },
    },
    {
      method: 'post',
      path: '/admin/managers',
      operationId: 'createManager',
      summary: 'Create a manager-API user (its password kept as a scrypt hash)',
      tag: 'admin',
      security: 'adminKey',
      body: createManagerSchema,
      responses: {
        '201': {
          description: 'created',
          json: {
            type: 'object',
            required: ['login', 'role'],
            properties: { login: { type: 'integer' }, role: { enum: [...MANAGER_ROLES] } },
            additionalProperties: false,
          },
        },
        '400': { description: 'invalid request', json: 'Error' },
        '409': { description: 'the login exists already', json: 'Error' },
      },
    },
  ],
  components: {
    Account: {
      type: 'object',
      additionalProperties: false,
      required: [
        'login',
        'currency',
        'name',
        'status',
        'balance',
        'credit',
        'held',
        'available',
        'withdrawable',
        'version',
        'createdAt',
        'updatedAt',
      ],
      properties: {
        login: { type: 'integer', minimum: 1 },
        currency: { type: 'string' },
        name: { type: ['string', 'null'] },
        status: { enum: ['active', 'disabled'] },
        balance: DECIMAL_SCHEMA,
        credit: DECIMAL_SCHEMA,
        held: DECIMAL_SCHEMA,
        available: { ...DECIMAL_SCHEMA, description: 'balance + credit' },
        withdrawable: { ...DECIMAL_SCHEMA, description: 'balance' },
        version: { type: 'integer', description: 'increases with every ledger entry of the account' },
        createdAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
      },
    },
    Entry: ENTRY_SCHEMA,
    JournalEntry: {
      ...ENTRY_SCHEMA,
      description: "an entry with its account's login (where a reconciliation discrepancy's entry ids lead)",
      required: [...(ENTRY_SCHEMA.required as string[]), 'login'],
      properties: { ...(ENTRY_SCHEMA.properties as Record<string, JsonSchema>), login: { type: 'integer' } },
    },
  },
};

/** The back office's HTTP API (docs/admin-api.md); src/app/http-app.ts puts it behind the admin bearer key. */
export function adminRouter(core: AdminCore): Router {
  const router = Router();

  router.post('/accounts', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(createAccountSchema, req.body);
    const account = await core.accounts.create(body.login, body.currency, body.name ?? null, ADMIN_API_ACTOR);
    sendJson(res, 201, presentAccount(account));
  });

  router.get('/accounts', async (req, res) => {
    const query = parseWith(accountListQuerySchema, req.query);
    const page = await core.accounts.list({ ...query, cursor: query.cursor ?? null });
    sendJson(res, 200, { items: page.items.map(presentAccount), nextCursor: page.nextCursor });
  });

  router.get('/accounts/:login', async (req, res) => {
    sendJson(res, 200, presentAccount(await core.accounts.get(pathLogin(req.params.login))));
  });

  router.patch('/accounts/:login', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(updateAccountSchema, req.body);
    sendJson(
      res,
      200,
      presentAccount(await core.accounts.setStatus(pathLogin(req.params.login), body.status, ADMIN_API_ACTOR)),
    );
  });

  router.get('/accounts/:login/transactions', async (req, res) => {
    const query = parseWith(historyQuerySchema, req.query);
    const page = await core.ledger.history(pathLogin(req.params.login), query.cursor ?? null, query.limit);
    sendJson(res, 200, { items: page.items.map(presentEntry), nextCursor: page.nextCursor });
  });

  router.get('/ledger/entries/:id', async (req, res) => {
    sendJson(res, 200, presentEntryOfAccount(await core.ledger.entry(pathId(req.params.id, 'entry id'))));
  });

  router.post('/balance', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(balanceSchema, req.body);
    await core.finance.apply({
      login: body.accountId,
      kind: ADMIN_OPERATIONS[body.operation],
      amount: body.amount,
      comment: body.comment ?? null,
      openTime: null,
      closeTime: null,
      targetOrderNo: null,
      source: 'admin',
      actor: ADMIN_API_ACTOR,
      referenceId: body.referenceId ?? null,
    });
    sendJson(res, 200, true);
  });

  router.post('/managers', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(createManagerSchema, req.body);
    await core.managers.createManager(body.login, body.password, body.role, ADMIN_API_ACTOR);
    sendJson(res, 201, { login: body.login, role: body.role });
  });

  return router;
}
