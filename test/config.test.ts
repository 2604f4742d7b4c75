import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, MONEY_BATCHING_DEFAULT } from '../src/config';
import { ConfigError } from '../src/shared/errors';

const SECRETS = {
  WALLET_SECRETS: 'wallet-secret-0123456789',
  OPERATOR_API_KEY: 'operator-key-0123456789',
  ADMIN_API_KEY: 'admin-key-0123456789',
};

describe('wallet batching settings', () => {
  it('default to 2 lanes of 256 requests, and read MONEY_LANES and MONEY_BATCH_SIZE_MAX', () => {
    expect(loadConfig({ ...SECRETS }).moneyBatching).toEqual(MONEY_BATCHING_DEFAULT);
    expect(MONEY_BATCHING_DEFAULT).toEqual({ lanes: 2, batchSizeMax: 256 });
    expect(loadConfig({ ...SECRETS, MONEY_LANES: '4', MONEY_BATCH_SIZE_MAX: '64' }).moneyBatching).toEqual({
      lanes: 4,
      batchSizeMax: 64,
    });
  });

  it.each([
    ['MONEY_LANES', '0'],
    ['MONEY_LANES', '65'],
    ['MONEY_LANES', 'two'],
    ['MONEY_BATCH_SIZE_MAX', '0'],
    ['MONEY_BATCH_SIZE_MAX', '1025'],
    ['MONEY_BATCH_SIZE_MAX', '1.5'],
  ])('refuse %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ ...SECRETS, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...SECRETS, [name]: value })).toThrow(new RegExp(name));
  });
});

describe('the admin key', () => {
  const SAME = 'one-key-for-two-apis-0123456789';

  it.each([
    ['production', { NODE_ENV: 'production', MANAGER_PLAINTEXT_ALLOWED: 'true' }],
    ['development', {}],
  ])('equal to the operator key is refused in %s, naming the settings and not the key', (_environment, env) => {
    const load = () => loadConfig({ ...SECRETS, ...env, OPERATOR_API_KEY: SAME, ADMIN_API_KEY: SAME });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^ADMIN_API_KEY equals OPERATOR_API_KEY: .*a key of its own$/);
    expect(load).not.toThrow(new RegExp(SAME));
  });

  it('equal to one of the wallet secrets is refused', () => {
    const load = () =>
      loadConfig({ ...SECRETS, WALLET_SECRETS: `wallet-secret-0123456789,${SAME}`, ADMIN_API_KEY: SAME });
    expect(load).toThrow(/^ADMIN_API_KEY equals one of WALLET_SECRETS/);
  });

  it('of its own is accepted, and a generated one differs from the other generated secrets', () => {
    expect(loadConfig({ ...SECRETS }).adminApiKey).toBe(SECRETS.ADMIN_API_KEY);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-config-'));
    try {
      const generated = loadConfig({ DATA_DIR: dataDir });
      expect(generated.generatedSecrets).toBeDefined();
      expect(generated.adminApiKey).not.toBe(generated.operatorApiKey);
      expect(generated.walletSecrets).not.toContain(generated.adminApiKey);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
