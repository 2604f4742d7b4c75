import { Router } from 'express';
import { z } from 'zod';
import type { AccountService } from '../accounts/account-service';
import type { BalanceOperationService } from '../balance-operations/balance-operation-service';
import { ADMIN_OPERATIONS, ADMIN_OPERATION_NAMES, signedAmount } from '../balance-operations/operation-kinds';
import { API_BODY_BYTES_MAX, jsonObjectBody } from '../http/body';
import { sendJson } from '../http/respond';
import type { ManagerAuthService } from '../manager/manager-auth-service';
import { MANAGER_ROLES } from '../manager/manager-store';
import { LEDGER_PAGE_SIZE_DEFAULT, LEDGER_PAGE_SIZE_MAX, type LedgerService } from '../ledger/ledger-service';
import { parseMinorUnits } from '../money/amount';
import { requireCurrency } from '../money/currency';
import { decimalText, login, parseWith, text } from '../shared/validation';
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

interface AdminControllerDeps {
  accounts: AccountService;
  balanceOperations: BalanceOperationService;
  ledger: LedgerService;
  managerAuth: ManagerAuthService;
}

/** The back office's HTTP API (SPEC 6); app.ts puts it behind the admin bearer key. */
export function adminRouter(deps: AdminControllerDeps): Router {
  const router = Router();

  router.post('/accounts', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(createAccountSchema, req.body);
    const account = await deps.accounts.create(body.login, body.currency, body.name ?? null);
    sendJson(res, 201, presentAccount(account));
  });

  router.get('/accounts/:login', async (req, res) => {
    sendJson(res, 200, presentAccount(await deps.accounts.get(pathLogin(req.params.login))));
  });

  router.patch('/accounts/:login', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(updateAccountSchema, req.body);
    sendJson(res, 200, presentAccount(await deps.accounts.setStatus(pathLogin(req.params.login), body.status)));
  });

  router.get('/accounts/:login/transactions', async (req, res) => {
    const query = parseWith(historyQuerySchema, req.query);
    const page = await deps.ledger.history(pathLogin(req.params.login), query.cursor ?? null, query.limit);
    sendJson(res, 200, { items: page.items.map(presentEntry), nextCursor: page.nextCursor });
  });

  router.post('/balance', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(balanceSchema, req.body);
    const kind = ADMIN_OPERATIONS[body.operation];
    const amountMinor = parseMinorUnits(body.amount, requireCurrency(await deps.accounts.currencyOf(body.accountId)).scale);
    await deps.balanceOperations.apply({
      login: body.accountId,
      kind,
      amountMinor: signedAmount(kind, amountMinor),
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
    await deps.managerAuth.createManager(body.login, body.password, body.role);
    sendJson(res, 201, { login: body.login, role: body.role });
  });

  return router;
}
