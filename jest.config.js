/**
 * Jest runs in CommonJS mode; ts-jest compiles our TypeScript and the ESM-only
 * dependencies (p-queue, p-timeout) to CommonJS. Two projects run the decorator
 * tests in both TypeScript decorator modes.
 */
const transformIgnorePatterns = ['/node_modules/(?!(p-queue|p-timeout|eventemitter3)/)'];
// Samples import 'cachekit' as users do; in tests that is the source, not the build.
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1', '^cachekit$': '<rootDir>/src/index.ts', '^cachekit/([a-z-]+)$': '<rootDir>/src/$1/index.ts' };
const common = {
  testEnvironment: 'node',
  // the consumer projects run with their own toolchains, from test/consumers/consumers.test.ts
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumers/projects/'],
  transformIgnorePatterns,
  moduleNameMapper,
};

export default {
  testTimeout: 30_000,
  // One redis-server for the whole run (or REDIS_URL); see test/setup/.
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  projects: [
    {
      ...common,
      displayName: 'standard',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // *.legacy.test.ts use legacy-only decorators (NestJS's): the legacy project runs them
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.legacy\\.test\\.ts$'],
      transform: { '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
    },
    {
      ...common,
      displayName: 'legacy',
      // and every *.legacy.test.ts (NestJS: test/nestjs, test/samples/nestjs.legacy.test.ts)
      testMatch: ['<rootDir>/test/decorators/**/*.test.ts', '<rootDir>/test/write-behind/**/*.test.ts', '<rootDir>/test/**/*.legacy.test.ts'],
      transform: { '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: 'tsconfig.jest-legacy.json' }] },
    },
  ],
};
