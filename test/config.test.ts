import { loadConfig, MONEY_BATCHING_DEFAULT } from '../src/config';
import { ConfigError } from '../src/shared/errors';

const SECRETS = { WALLET_SECRETS: 'wallet-secret-0123456789', OPERATOR_API_KEY: 'operator-key-0123456789', ADMIN_API_KEY: 'admin-key-0123456789' };

describe('wallet batching settings', () => {
  it('default to 2 lanes of 256 requests, and read MONEY_LANES and MONEY_BATCH_SIZE_MAX', () => {
    expect(loadConfig({ ...SECRETS }).moneyBatching).toEqual(MONEY_BATCHING_DEFAULT);
    expect(MONEY_BATCHING_DEFAULT).toEqual({ lanes: 2, batchSizeMax: 256 });
    expect(loadConfig({ ...SECRETS, MONEY_LANES: '4', MONEY_BATCH_SIZE_MAX: '64' }).moneyBatching).toEqual({ lanes: 4, batchSizeMax: 64 });
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
