/**
 * One jest run over every workspace's `test/` folder. TypeScript (and the few ESM-only dependencies, such
 * as file-type) are compiled by SWC; tests talk to the real PostgreSQL and Redis that `npm test` starts.
 */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(file-type|strtok3|token-types|peek-readable|uint8array-extras|@tokenizer)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
  testTimeout: 120_000,
  maxWorkers: 2,
};
