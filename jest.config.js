/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 60_000,
  setupFiles: ['<rootDir>/test/support/setup-runtime.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Integration files share one dev server and one time-skipping server per file; two cores
  // do not gain from more than two workers and time-skipping files must not starve each other.
  maxWorkers: process.env.CI ? 2 : '50%',
  // The examples import the package by its public name, as a user's code does.
  moduleNameMapper: {
    '^temporal-cascade$': '<rootDir>/src/index.ts',
    '^temporal-cascade/client$': '<rootDir>/src/client/index.ts',
    '^temporal-cascade/worker$': '<rootDir>/src/worker/index.ts',
    '^temporal-cascade/workflows$': '<rootDir>/src/workflows/index.ts',
    '^temporal-cascade/contract$': '<rootDir>/src/shared/index.ts',
    '^temporal-cascade/testing$': '<rootDir>/src/testing/index.ts',
    '^temporal-cascade/sim$': '<rootDir>/src/sim/index.ts',
  },
  transform: { '^.+\\.ts$': 'ts-jest' },
};
