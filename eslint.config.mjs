// ESLint over every workspace, the scripts and the tests: type-aware typescript-eslint rules on TypeScript (types
// from each workspace's own tsconfig.json, found by the project service), the untyped recommended rules on the plain
// JavaScript scripts, React's hooks rules on the admin UI, and import cycles across files and workspaces.
// Imports must be declared by the importing workspace (sources: dependencies; tests, scripts and configuration
// files: devDependencies too, the root's included). `npm run lint` runs it with --max-warnings 0; a rule is switched
// off only with its reason beside it.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;
const WORKSPACES = ['apps', 'packages'].flatMap((folder) => readdirSync(path.join(ROOT, folder)).map((name) => `${folder}/${name}`));
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs'];
const DEV_FILES = ['**/test/**', '**/scripts/**', '**/*.config.{js,mjs,ts,mts}'];

/** import-x/no-extraneous-dependencies for the files of one workspace, reading its package.json and the root's. */
const declaredImports = (workspace) => ({
  files: workspace === '.' ? ['**/*.{ts,tsx,mts,js,mjs,cjs}'] : [`${workspace}/**/*.{ts,tsx,mts,js,mjs,cjs}`],
  rules: {
    'import-x/no-extraneous-dependencies': [
      'error',
      { packageDir: [...new Set([path.join(ROOT, workspace), ROOT])], devDependencies: DEV_FILES, includeTypes: true },
    ],
  },
});

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    'apps/admin/dist.*/',
    'packages/db/src/generated/',
    '.data/',
    '.turbo/',
    'storage/',
    'artifacts/',
    'coverage/',
  ]),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: ROOT } },
  },
  {
    // The build and start scripts are plain JavaScript run by bare `node` (no tsconfig covers them): untyped rules.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' }, // CommonJS modules load with require()
  },
  {
    files: ['apps/admin/src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
  },
  {
    files: ['**/*.{ts,tsx,mts,js,mjs,cjs}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': EXTENSIONS,
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx', '.mts'] },
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: EXTENSIONS })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  declaredImports('.'),
  WORKSPACES.map(declaredImports),
  {
    rules: {
      // A parameter a signature needs but the body does not use is named `_…` (Express knows error handlers by their four).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // db's own tests take a database from @importer/testing, which is built on db: declaring it in db's package.json
    // would make a package cycle (Turborepo refuses one), so those two imports rely on the root's workspace link.
    files: ['packages/db/test/**'],
    rules: { 'import-x/no-extraneous-dependencies': 'off' },
  },
);
