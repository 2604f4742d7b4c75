import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout. Secrets and tokens are redacted wherever they may appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'wallet' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-signature"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.token',
        '*.walletToken',
      ],
      censor: '[redacted]',
    },
  });
}
