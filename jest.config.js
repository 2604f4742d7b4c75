/** Jest runs every test against a real PostgreSQL (embedded, or TEST_DATABASE_URL): see test/support. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // the SDK's TypeScript sources, as tsconfig.json's paths: the tests never need it built
  moduleNameMapper: { '^@wallet-service/client$': '<rootDir>/packages/client/src/index.ts' },
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  maxWorkers: 2,
  testTimeout: 60_000,
};
