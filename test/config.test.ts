import { loadConfig, WALLET_BATCHING_DEFAULT } from '../src/config';
import { ConfigError } from '../src/shared/errors';

const SECRETS = { WALLET_SECRETS: 'wallet-secret-0123456789', OPERATOR_API_KEY: 'operator-key-0123456789', ADMIN_API_KEY: 'admin-key-0123456789' };

describe('wallet batching settings', () => {
  it('default to 2 lanes of 256 requests, and read WALLET_LANES and WALLET_BATCH_SIZE_MAX', () => {
    expect(loadConfig({ ...SECRETS }).walletBatching).toEqual(WALLET_BATCHING_DEFAULT);
    expect(WALLET_BATCHING_DEFAULT).toEqual({ lanes: 2, batchSizeMax: 256 });
    expect(loadConfig({ ...SECRETS, WALLET_LANES: '4', WALLET_BATCH_SIZE_MAX: '64' }).walletBatching).toEqual({ lanes: 4, batchSizeMax: 64 });
  });

  it.each([
    ['WALLET_LANES', '0'],
    ['WALLET_LANES', '65'],
    ['WALLET_LANES', 'two'],
    ['WALLET_BATCH_SIZE_MAX', '0'],
    ['WALLET_BATCH_SIZE_MAX', '1025'],
    ['WALLET_BATCH_SIZE_MAX', '1.5'],
  ])('refuse %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ ...SECRETS, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...SECRETS, [name]: value })).toThrow(new RegExp(name));
  });
});
