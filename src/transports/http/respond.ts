import type { Response } from 'express';
import { stringifyJson } from '../../shared/json';

/** Sends JSON that may contain bigints (written as exact integers). */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(stringifyJson(body));
}
