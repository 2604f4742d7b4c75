import { Router } from 'express';
import { z } from 'zod';
import { CONSOLE_ROLES } from '../../core/access/console-roles';
import { CONSOLE_PASSWORD_LENGTH_MAX, CONSOLE_PASSWORD_LENGTH_MIN } from '../../core/access/console-access-service';
import { AUDIT_PAGE_SIZE_MAX } from '../../core/audit/audit-log';
import type { Core } from '../../core/core';
import { parseWith } from '../../shared/validation';
import type { ApiDescription, JsonSchema } from '../http/api-description';
import { API_BODY_BYTES_MAX, jsonObjectBody } from '../http/body';
import { sendJson } from '../http/respond';
import { presentAuditEntry, presentUser } from '../presenters/users';

/** The admin API acts as this actor in the audit log. */
export const ADMIN_API_ACTOR = 'admin-api';
const AUDIT_PAGE_SIZE_DEFAULT = 50;

const username = z.string().max(64).meta({ description: 'lowercase letters, digits, ".", "_" or "-"' });
const password = z.string().min(CONSOLE_PASSWORD_LENGTH_MIN).max(CONSOLE_PASSWORD_LENGTH_MAX);
const createUserSchema = z.strictObject({ username, password, role: z.enum(CONSOLE_ROLES) });
const updateUserSchema = z.strictObject({
  role: z.enum(CONSOLE_ROLES).optional(),
  disabled: z.boolean().optional(),
  password: password.optional(),
});
const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_SIZE_MAX).default(AUDIT_PAGE_SIZE_DEFAULT),
  before: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional()
    .meta({ description: 'the nextBefore of the previous page' }),
});
const userPath = z.strictObject({ username });

const userSchema: JsonSchema = {
  type: 'object',
  required: ['username', 'role', 'disabled', 'createdAt', 'createdBy'],
  properties: {
    username: { type: 'string' },
    role: { type: 'string', enum: [...CONSOLE_ROLES] },
    disabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string', description: 'the actor that created the user' },
  },
};

/** Console users and the audit log in the OpenAPI document. */
export const USERS_API: ApiDescription = {
  tags: [
    {
      name: 'users',
      description: "The finance team's console users (roles viewer, finance, admin) and the audit log of who did what.",
    },
  ],
  operations: [
    {
      method: 'post',
      path: '/admin/users',
      operationId: 'createConsoleUser',
      summary: 'Create a console user (the first admin is made this way, or with the CLI)',
      tag: 'users',
      security: 'adminKey',
      body: createUserSchema,
      responses: {
        '201': { description: 'created', json: 'ConsoleUser' },
        '400': { description: 'invalid username, password or role', json: 'Error' },
        '409': { description: 'the username is taken', json: 'Error' },
      },
    },
    {
      method: 'get',
      path: '/admin/users',
      operationId: 'listConsoleUsers',
      summary: 'Every console user',
      tag: 'users',
      security: 'adminKey',
      responses: {
        '200': {
          description: 'the users',
          json: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: { $ref: '#/components/schemas/ConsoleUser' } } },
          },
        },
      },
    },
    {
      method: 'patch',
      path: '/admin/users/{username}',
      operationId: 'updateConsoleUser',
      summary: "Change a user's role or password, or disable it (ending its sessions everywhere)",
      tag: 'users',
      security: 'adminKey',
      params: userPath,
      body: updateUserSchema,
      responses: {
        '200': { description: 'the user after the change', json: 'ConsoleUser' },
        '400': { description: 'invalid role or password', json: 'Error' },
        '404': { description: 'no such user', json: 'Error' },
      },
    },
    {
      method: 'delete',
      path: '/admin/users/{username}/sessions',
      operationId: 'revokeConsoleSessions',
      summary: 'End every session of a user, on every instance',
      tag: 'users',
      security: 'adminKey',
      params: userPath,
      responses: {
        '200': {
          description: 'how many sessions were live',
          json: { type: 'object', required: ['ended'], properties: { ended: { type: 'integer' } } },
        },
      },
    },
    {
      method: 'get',
      path: '/admin/audit',
      operationId: 'auditLog',
      summary: 'The audit log, newest first: logins, user changes, account and manager changes, runs, exports',
      tag: 'users',
      security: 'adminKey',
      query: auditQuerySchema,
      responses: {
        '200': {
          description: 'one page',
          json: {
            type: 'object',
            required: ['items', 'nextBefore'],
            properties: {
              items: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } },
              nextBefore: { type: ['string', 'null'] },
            },
          },
        },
        '400': { description: 'invalid paging', json: 'Error' },
      },
    },
  ],
  components: {
    ConsoleUser: userSchema,
    AuditEntry: {
      type: 'object',
      required: ['id', 'at', 'actor', 'action', 'target', 'detail'],
      properties: {
        id: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        actor: { type: 'string', description: 'user:<username>, admin-api, cli:<os user>' },
        action: { type: 'string' },
        target: { type: ['string', 'null'] },
        detail: { type: 'object' },
      },
    },
  },
};

/** Console users and the audit log, for machines with the admin key. */
export function usersRouter(core: Pick<Core, 'consoleAccess' | 'audit'>): Router {
  const router = Router();

  router.post('/users', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(createUserSchema, req.body);
    sendJson(res, 201, presentUser(await core.consoleAccess.createUser(body, ADMIN_API_ACTOR)));
  });

  router.get('/users', async (_req, res) => {
    sendJson(res, 200, { items: (await core.consoleAccess.listUsers()).map(presentUser) });
  });

  router.patch('/users/:username', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const { username: name } = parseWith(userPath, req.params);
    const change = parseWith(updateUserSchema, req.body);
    sendJson(res, 200, presentUser(await core.consoleAccess.updateUser(name, change, ADMIN_API_ACTOR)));
  });

  router.delete('/users/:username/sessions', async (req, res) => {
    const { username: name } = parseWith(userPath, req.params);
    sendJson(res, 200, { ended: await core.consoleAccess.revokeSessions(name, ADMIN_API_ACTOR) });
  });

  router.get('/audit', async (req, res) => {
    const query = parseWith(auditQuerySchema, req.query);
    const page = await core.audit.page(query.limit, query.before === undefined ? undefined : BigInt(query.before));
    sendJson(res, 200, { items: page.entries.map(presentAuditEntry), nextBefore: page.nextBefore });
  });

  return router;
}
