import { createHash, randomBytes } from 'node:crypto';

/** Bearer tokens are 32 random bytes in hex; only their SHA-256 digest is stored. */
export const TOKEN_BYTES = 32;
/** Longest token text accepted from a client, in characters. */
export const TOKEN_LENGTH_MAX = 128;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
