import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { legacyCanonicalString, v2CanonicalString } from '@wallet-service/client';
import type { WalletSignatureMode } from '../../config';
import { InvalidDigestError } from '../../shared/errors';

/**
 * Verification of the platform's request signatures (docs/wallet-api.md#signatures). Pure: no I/O. The nonce of a valid
 * v2 request is returned so that the wallet engine can refuse a replay atomically with the request.
 */

/** A v2 timestamp further than this from the server clock is refused. */
export const SIGNATURE_CLOCK_SKEW_MAX_S = 60;

const NONCE_PATTERN = /^[0-9a-f]{32}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
const LEGACY_HASH_PATTERN = /^[0-9a-f]{32}$/;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;

export interface SignedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

export interface VerifiedSignature {
  scheme: 'v2' | 'legacy';
  /** The v2 nonce, to be consumed once; null for legacy requests. */
  nonce: string | null;
}

export class WalletSignatureVerifier {
  private readonly secrets: Buffer[];

  constructor(
    secrets: readonly string[],
    private readonly mode: WalletSignatureMode,
    private readonly nowS: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    if (secrets.length === 0) throw new Error('at least one wallet secret is required');
    this.secrets = secrets.map((secret) => Buffer.from(secret, 'utf8'));
  }

  /** The scheme a request is checked with: in `either` mode, v2 when it carries v2 headers. */
  schemeFor(headers: SignedRequest['headers']): 'v2' | 'legacy' {
    if (this.mode !== 'either') return this.mode;
    return headers['x-sig-version'] !== undefined || headers['x-signature'] !== undefined ? 'v2' : 'legacy';
  }

  /** v2 is checked on the raw bytes, before the body is even parsed. */
  verifyV2(request: SignedRequest): VerifiedSignature {
    const version = header(request.headers, 'x-sig-version');
    const timestamp = header(request.headers, 'x-timestamp');
    const nonce = header(request.headers, 'x-nonce');
    const signature = header(request.headers, 'x-signature');
    if (version !== 'v2') throw new InvalidDigestError('X-Sig-Version must be v2');
    if (!timestamp || !TIMESTAMP_PATTERN.test(timestamp))
      throw new InvalidDigestError('X-Timestamp must be unix seconds');
    if (Math.abs(this.nowS() - Number(timestamp)) > SIGNATURE_CLOCK_SKEW_MAX_S) {
      throw new InvalidDigestError(`X-Timestamp is more than ${SIGNATURE_CLOCK_SKEW_MAX_S} s away from server time`);
    }
    if (!nonce || !NONCE_PATTERN.test(nonce))
      throw new InvalidDigestError('X-Nonce must be 32 lowercase hex characters');
    if (!signature || !SIGNATURE_PATTERN.test(signature)) {
      throw new InvalidDigestError('X-Signature must be 64 lowercase hex characters');
    }
    const canonical = v2CanonicalString(request.method, request.path, timestamp, nonce, request.rawBody);
    const given = Buffer.from(signature, 'hex');
    const valid = this.secrets.some((secret) =>
      timingSafeEqual(createHmac('sha256', secret).update(canonical).digest(), given),
    );
    if (!valid) throw new InvalidDigestError('X-Signature does not match');
    return { scheme: 'v2', nonce };
  }

  /** Legacy: MD5 over the sorted top-level fields (except hash and data) and the secret. */
  verifyLegacy(body: Record<string, unknown>, fieldTexts: Record<string, string>): VerifiedSignature {
    const hash = body.hash;
    if (typeof hash !== 'string' || !LEGACY_HASH_PATTERN.test(hash)) {
      throw new InvalidDigestError('the request is not signed: no v2 headers and no valid hash field');
    }
    const canonical = legacyCanonicalString(fieldTexts);
    const given = Buffer.from(hash, 'hex');
    const valid = this.secrets.some((secret) =>
      timingSafeEqual(createHash('md5').update(canonical).update(secret).digest(), given),
    );
    if (!valid) throw new InvalidDigestError('hash does not match');
    return { scheme: 'legacy', nonce: null };
  }
}

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}
