import { createHash, createHmac } from 'node:crypto';

/**
 * The wallet API's signing recipes (docs/wallet-api.md#signatures), written once: the platform side
 * signs with them here, and the service verifies with the very same canonical strings.
 */

/** v2: `METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(SHA-256(raw body bytes))`, HMAC-SHA256 with the secret. */
export function v2CanonicalString(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  rawBody: Buffer,
): string {
  const bodyDigest = createHash('sha256').update(rawBody).digest('hex');
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${bodyDigest}`;
}

/** `name=value` pairs sorted by name, joined with `&`; `hash` and `data` are left out. */
export function legacyCanonicalString(fieldTexts: Record<string, string>): string {
  return Object.keys(fieldTexts)
    .filter((name) => name !== 'hash' && name !== 'data')
    .sort()
    .map((name) => `${name}=${fieldTexts[name]}`)
    .join('&');
}

/** Signs a request the way the platform does (used by tests, the demo and the benchmark). */
export function signV2(
  secret: string,
  method: string,
  path: string,
  rawBody: Buffer | string,
  timestampS: number,
  nonce: string,
) {
  const canonical = v2CanonicalString(method, path, String(timestampS), nonce, Buffer.from(rawBody));
  return {
    'X-Sig-Version': 'v2',
    'X-Timestamp': String(timestampS),
    'X-Nonce': nonce,
    'X-Signature': createHmac('sha256', secret).update(canonical).digest('hex'),
  };
}

export function signLegacy(secret: string, fieldTexts: Record<string, string>): string {
  return createHash('md5').update(legacyCanonicalString(fieldTexts)).update(secret).digest('hex');
}
