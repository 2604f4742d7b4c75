import path from 'node:path';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/shared/errors';
import { managerSecureContext } from '../../src/transports/manager-api/manager-tls';
import { createTestDatabase } from '../support/database';
import { runEntryPoint } from '../support/entry-points';
import { TEST_ADMIN_KEY, TEST_OPERATOR_KEY, TEST_WALLET_SECRET } from '../support/test-service';

/**
 * The manager port's TLS configuration: production refuses plain text unless it is allowed
 * explicitly, and a certificate and key that are not a pair end the start-up in one line.
 */

const FIXTURES = path.resolve(__dirname, '../fixtures/tls');
const CERT_FILE = path.join(FIXTURES, 'localhost.crt');
const KEY_FILE = path.join(FIXTURES, 'localhost.key');
const OTHER_KEY_FILE = path.join(FIXTURES, 'other.key');
const PRODUCTION = {
  NODE_ENV: 'production',
  WALLET_SECRETS: TEST_WALLET_SECRET,
  OPERATOR_API_KEY: TEST_OPERATOR_KEY,
  ADMIN_API_KEY: TEST_ADMIN_KEY,
};

describe('the manager port in production', () => {
  it('refuses plain text unless MANAGER_PLAINTEXT_ALLOWED=true', () => {
    expect(() => loadConfig(PRODUCTION)).toThrow(
      new ConfigError(
        'NODE_ENV=production refuses a plain-text manager port (it carries passwords): set MANAGER_TLS_CERT_FILE and MANAGER_TLS_KEY_FILE, or MANAGER_PLAINTEXT_ALLOWED=true when a TLS proxy or a private network protects it',
      ),
    );
    expect(loadConfig({ ...PRODUCTION, MANAGER_PLAINTEXT_ALLOWED: 'true' }).managerTls).toBeUndefined();
    expect(() => loadConfig({ ...PRODUCTION, MANAGER_PLAINTEXT_ALLOWED: 'yes' })).toThrow(/MANAGER_PLAINTEXT_ALLOWED/);
  });

  it('takes the certificate and key files, both or neither', () => {
    expect(
      loadConfig({ ...PRODUCTION, MANAGER_TLS_CERT_FILE: CERT_FILE, MANAGER_TLS_KEY_FILE: KEY_FILE }).managerTls,
    ).toEqual({ certFile: CERT_FILE, keyFile: KEY_FILE });
    expect(() => loadConfig({ ...PRODUCTION, MANAGER_TLS_CERT_FILE: CERT_FILE })).toThrow(/go together/);
    expect(() =>
      loadConfig({ ...PRODUCTION, MANAGER_TLS_CERT_FILE: CERT_FILE, MANAGER_TLS_KEY_FILE: `${KEY_FILE}.missing` }),
    ).toThrow(/MANAGER_TLS_KEY_FILE: no file at/);
  });
});

describe('the certificate and key', () => {
  it('accept the fixture pair', () => {
    expect(() => managerSecureContext({ certFile: CERT_FILE, keyFile: KEY_FILE })).not.toThrow();
  });

  it.each([
    [
      'a key of another certificate',
      { certFile: CERT_FILE, keyFile: OTHER_KEY_FILE },
      /^MANAGER_TLS_KEY_FILE \(.*other\.key\) is not the private key of the certificate in MANAGER_TLS_CERT_FILE/,
    ],
    [
      'a key in the certificate file',
      { certFile: KEY_FILE, keyFile: KEY_FILE },
      /^MANAGER_TLS_CERT_FILE: .*localhost\.key is not a PEM certificate \(/,
    ],
    [
      'a certificate in the key file',
      { certFile: CERT_FILE, keyFile: CERT_FILE },
      /^MANAGER_TLS_KEY_FILE: .*localhost\.crt is not an unencrypted PEM private key \(/,
    ],
    [
      'a text file',
      { certFile: path.join(FIXTURES, 'README.md'), keyFile: KEY_FILE },
      /^MANAGER_TLS_CERT_FILE: .*README\.md is not a PEM certificate \(/,
    ],
  ])('refuse %s with a ConfigError naming the variable and the file', (_name, files, message) => {
    expect(() => managerSecureContext(files)).toThrow(ConfigError);
    expect(() => managerSecureContext(files)).toThrow(message);
  });

  it('that are not a pair end the real entry point with one line and exit 1', async () => {
    const database = await createTestDatabase();
    try {
      const run = await runEntryPoint('src/main.ts', [], {
        env: {
          ...PRODUCTION,
          DATABASE_URL: database.url,
          PORT: '0',
          MANAGER_PORT: '0',
          MANAGER_TLS_CERT_FILE: CERT_FILE,
          MANAGER_TLS_KEY_FILE: OTHER_KEY_FILE,
        },
      });
      expect(run.code).toBe(1);
      const printed = run.stderr.trim().split('\n');
      expect(printed).toHaveLength(1);
      expect(printed[0]).toMatch(
        /^MANAGER_TLS_KEY_FILE \(.*other\.key\) is not the private key of the certificate in MANAGER_TLS_CERT_FILE \(.*localhost\.crt\)/,
      );
    } finally {
      await database.drop();
    }
  }, 60_000);
});
