import { Router } from 'express';
import { z } from 'zod';
import { ADMIN_OPERATIONS, ADMIN_OPERATION_NAMES } from '../../core/balance-operations/operation-kinds';
import { API_BODY_BYTES_MAX, jsonObjectBody } from '../http/body';
import { sendJson } from '../http/respond';
import { MANAGER_ROLES } from '../../core/managers/manager-store';
import { LEDGER_PAGE_SIZE_DEFAULT, LEDGER_PAGE_SIZE_MAX } from '../../core/ledger/ledger-service';
import type { Core } from '../../core/core';
import { decimalText, login, parseWith, text } from '../../shared/validation';
import { pathLogin } from '../http/params';
import { presentAccount, presentEntry } from './admin-presenters';

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

const createManagerSchema = z.strictObject({
  login,
  password: z.string().min(1).max(256),
  role: z.enum(MANAGER_ROLES),
});

/** The part of the core's front door the admin API uses. */
type AdminCore = Pick<Core, 'accounts' | 'finance' | 'ledger' | 'managers'>;

/** The back office's HTTP API (SPEC 6); app.ts puts it behind the admin bearer key. */
export function adminRouter(core: AdminCore): Router {
  const router = Router();

  router.post('/accounts', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(createAccountSchema, req.body);
    const account = await core.accounts.create(body.login, body.currency, body.name ?? null);
    sendJson(res, 201, presentAccount(account));
  });

  router.get('/accounts/:login', async (req, res) => {
    sendJson(res, 200, presentAccount(await core.accounts.get(pathLogin(req.params.login))));
  });

  router.patch('/accounts/:login', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(updateAccountSchema, req.body);
    sendJson(res, 200, presentAccount(await core.accounts.setStatus(pathLogin(req.params.login), body.status)));
  });

  router.get('/accounts/:login/transactions', async (req, res) => {
    const query = parseWith(historyQuerySchema, req.query);
    const page = await core.ledger.history(pathLogin(req.params.login), query.cursor ?? null, query.limit);
    sendJson(res, 200, { items: page.items.map(presentEntry), nextCursor: page.nextCursor });
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
      actor: 'admin-api',
      referenceId: body.referenceId ?? null,
    });
    sendJson(res, 200, true);
  });

  router.post('/managers', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(createManagerSchema, req.body);
    await core.managers.createManager(body.login, body.password, body.role);
    sendJson(res, 201, { login: body.login, role: body.role });
  });

  return router;
}
