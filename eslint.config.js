import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { tableOwnership } from './lint/table-ownership.js';

/** Import patterns that keep a capability's parts behind its index.ts (a relative import inside the folder never matches). */
const MATRIX_FACADE = { regex: '(^|/)matrix/(?!index\\.ts$)', message: "Import Matrix through its façade, 'matrix/index.ts'." };
const DIRECTORY_INTERFACE = { regex: '(^|/)directory/(?!index\\.ts$)', message: 'Import the directory from directory/index.ts.' };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'client/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['**/*-cli.ts', 'tests/**', 'infra/**', '**/*.test.ts'], rules: { 'no-console': 'off' } },
  // Other capabilities reach Matrix and the directory through their index.ts only; tests may use their parts.
  {
    files: ['server/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [MATRIX_FACADE, DIRECTORY_INTERFACE] }] },
  },
  {
    files: ['bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [MATRIX_FACADE] }] },
  },
  {
    // Each table belongs to one capability (server/src/store/table-owners.json); tests may seed any.
    files: ['server/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-fixtures.ts'],
    plugins: { rinki: { rules: { 'table-ownership': tableOwnership } } },
    rules: { 'rinki/table-ownership': 'error' },
  },
);
