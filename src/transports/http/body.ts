import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import { parseJsonObject } from '../../shared/json';

/** Request body limits, in bytes. */
export const WALLET_BODY_BYTES_MAX = 16 * 1024;
export const API_BODY_BYTES_MAX = 16 * 1024;

/** A body reader that needs nothing of Express: it also serves the wallet API's plain node:http handler. */
export type BodyReader = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Reads the body as raw bytes (any content type) into req.body, refusing more than `limitBytes`. */
export function rawBody(limitBytes: number): BodyReader {
  return express.raw({ type: () => true, limit: limitBytes });
}

export function bodyBytes(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/** Raw bytes parsed as one JSON object with exact numbers (req.body becomes the object). */
export function jsonObjectBody(limitBytes: number): RequestHandler {
  const readRaw = rawBody(limitBytes);
  return (req, res, next) => {
    readRaw(req, res, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      try {
        req.body = parseJsonObject(bodyBytes(req.body));
        next();
      } catch (parseError) {
        next(parseError);
      }
    });
  };
}

/**
 * True for the errors body-parser raises for an oversized or unreadable body. A body that does not
 * decompress (corrupt gzip, deflate or br) comes as the decoder's own error, without a type, that
 * body-parser made a client error (http-errors: a 4xx status, exposed).
 */
export function isBodyReadError(error: unknown): error is { status: number; type?: string; message: string } {
  const { type, status, expose } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  if (typeof type === 'string') {
    return (
      type === 'entity.too.large' ||
      type.startsWith('request.') ||
      type === 'encoding.unsupported' ||
      type === 'charset.unsupported'
    );
  }
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}
