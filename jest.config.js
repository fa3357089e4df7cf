/** Three tiers: unit specs beside the code; integration and e2e on real PostgreSQL and Redis. */
const moduleNameMapper = {
  '^@forest-ledger/(common|access|ledger|platform|forestry)(/.*)?$': '<rootDir>/libs/$1/src$2',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] };
const common = { rootDir: __dirname, testTimeout: 60_000, moduleFileExtensions: ['ts', 'js', 'json'], transform, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  // Two files at a time: each has its own database, and a file spends much of its time waiting on PostgreSQL, Redis or
  // a child process, which the other file's work fills (jest's default on 2 cores is one worker: every file in turn).
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/architecture/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
