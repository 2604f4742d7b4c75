import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../../../shared/errors';
import { isBodyReadError } from '../../http/body';
import { HTTP_ERROR_BY_CODE } from '../../http/error-handler';
import { noteRequestFailure } from '../../http/request-log';
import { sendJson } from '../../http/respond';
import { errorPage } from '../views/error-page';
import { pageOf, sendPage } from './kit';

/** The path the match page's script posts to: its failures are answered as JSON, which the script reads. */
export const MATCH_RUN_PATH = '/match/run';

/** What no console route answered. */
export const notFound: RequestHandler = (_req, res) =>
  sendPage(res, 404, errorPage(pageOf(res), { status: 404, text: 'There is no such console page.' }));

/** The status, code and text a failure is answered with; an unexpected one is noted for the access log. */
function describe(
  error: unknown,
  res: Parameters<ErrorRequestHandler>[2],
): { status: number; code: string; text: string } {
  if (isBodyReadError(error)) {
    const tooLarge = error.status === 413;
    return {
      status: tooLarge ? 413 : 400,
      code: 'INVALID_REQUEST',
      text: tooLarge ? 'The upload is too large.' : error.message,
    };
  }
  if (error instanceof AppError) {
    const { status, error: code } = HTTP_ERROR_BY_CODE[error.code];
    return { status, code, text: error.message };
  }
  noteRequestFailure(res, error); // its access-log line (status 500, at error) carries it
  return { status: 500, code: 'INTERNAL', text: 'The console could not complete this request; it has been logged.' };
}

/** Renders failures as a console page (or as JSON for the match endpoint, which a script calls). */
export function consoleErrorHandler(): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) {
      noteRequestFailure(res, error); // its access-log line (aborted) carries it
      res.destroy();
      return;
    }
    const { status, code, text } = describe(error, res);
    if (req.path === MATCH_RUN_PATH) sendJson(res, status, { error: code, message: text });
    else sendPage(res, status, errorPage(pageOf(res), { status, text }));
  };
}
