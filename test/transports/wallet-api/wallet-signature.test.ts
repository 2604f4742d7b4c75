import { signLegacy, signV2 } from '@wallet-service/client';
import { WalletSignatureVerifier } from '../../../src/transports/wallet-api/wallet-signature';
import { InvalidDigestError } from '../../../src/shared/errors';

const SECRET = 'signature-test-secret-0123456789';
const NOW_S = 1_795_303_455;
const BODY = '{"token":"t1","currency":"USD","amount":"5"}';
const NONCE = '0123456789abcdef0123456789abcdef';

const verifier = new WalletSignatureVerifier([SECRET, 'a-rotated-secret-0123456789abcdef'], 'either', () => NOW_S);

function v2Request(headers: Record<string, string>, body = BODY) {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: 'POST', path: '/wallet/getbalance', headers: lower, rawBody: Buffer.from(body) };
}

describe('v2 signatures', () => {
  const signed = signV2(SECRET, 'POST', '/wallet/getbalance', BODY, NOW_S, NONCE);

  it('accepts a request signed with any of the secrets, and returns its nonce', () => {
    expect(verifier.verifyV2(v2Request(signed))).toEqual({ scheme: 'v2', nonce: NONCE });
    const rotated = signV2('a-rotated-secret-0123456789abcdef', 'POST', '/wallet/getbalance', BODY, NOW_S, NONCE);
    expect(verifier.verifyV2(v2Request(rotated))).toEqual({ scheme: 'v2', nonce: NONCE });
  });

  it('refuses a signature wrong in any one of its 64 characters (the whole digest is compared)', () => {
    const signature = signed['X-Signature'];
    for (let i = 0; i < signature.length; i += 1) {
      const wrong = signature.slice(0, i) + (signature[i] === '0' ? '1' : '0') + signature.slice(i + 1);
      expect(() => verifier.verifyV2(v2Request({ ...signed, 'X-Signature': wrong }))).toThrow(InvalidDigestError);
    }
  });

  it('refuses another body, path, nonce or timestamp under the same signature, and a stale timestamp', () => {
    expect(() => verifier.verifyV2(v2Request(signed, BODY.replace('5', '6')))).toThrow(InvalidDigestError);
    expect(() => verifier.verifyV2({ ...v2Request(signed), path: '/wallet/opentrade' })).toThrow(InvalidDigestError);
    expect(() => verifier.verifyV2(v2Request({ ...signed, 'X-Nonce': NONCE.replace('0', 'f') }))).toThrow(
      InvalidDigestError,
    );
    expect(() => verifier.verifyV2(v2Request({ ...signed, 'X-Timestamp': String(NOW_S + 1) }))).toThrow(
      InvalidDigestError,
    );
    const stale = signV2(SECRET, 'POST', '/wallet/getbalance', BODY, NOW_S - 61, NONCE);
    expect(() => verifier.verifyV2(v2Request(stale))).toThrow('away from server time');
  });
});

describe('legacy signatures', () => {
  const fields = { token: 't1', currency: 'USD', amount: '5' };

  it('accepts the hash of the sorted fields with the secret appended, ignoring data', () => {
    const hash = signLegacy(SECRET, fields);
    expect(verifier.verifyLegacy({ ...fields, hash, data: { x: 1 } }, { ...fields, hash, data: '{"x":1}' })).toEqual({
      scheme: 'legacy',
      nonce: null,
    });
  });

  it('refuses a hash wrong in any one character, or of other fields', () => {
    const hash = signLegacy(SECRET, fields);
    for (let i = 0; i < hash.length; i += 1) {
      const wrong = hash.slice(0, i) + (hash[i] === '0' ? '1' : '0') + hash.slice(i + 1);
      expect(() => verifier.verifyLegacy({ ...fields, hash: wrong }, { ...fields, hash: wrong })).toThrow(
        InvalidDigestError,
      );
    }
    expect(() => verifier.verifyLegacy({ ...fields, amount: '6', hash }, { ...fields, amount: '6', hash })).toThrow(
      InvalidDigestError,
    );
  });
});
