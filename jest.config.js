/**
 * One jest run over every workspace's `test/` folder. TypeScript (and the few ESM-only dependencies, such
 * as file-type) are compiled by SWC; tests talk to the real PostgreSQL and Redis that `npm test` starts.
 */
const { existsSync } = require('node:fs');
const path = require('node:path');

/** Folder of a dependency of apps/api, wherever npm placed it. */
const apiDependency = (name) =>
  [path.join(__dirname, 'apps/api/node_modules', name), path.join(__dirname, 'node_modules', name)].find(existsSync);

const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(file-type|strtok3|token-types|peek-readable|uint8array-extras|@tokenizer|@borewit)/)'],
  // file-type is ESM-only and exports no `require` entry: point jest at its Node entry (SWC compiles it).
  moduleNameMapper: { '^file-type$': path.join(apiDependency('file-type') ?? 'file-type', 'index.js') },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
  testTimeout: 120_000,
  maxWorkers: 2,
};
