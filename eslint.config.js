import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { tableOwnership } from './lint/table-ownership.js';

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
  {
    // Other capabilities reach the directory through its index.ts only; tests may reach in.
    files: ['server/src/**/*.ts'],
    ignores: ['server/src/directory/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)directory/(?!index\\.ts$)', message: 'Import the directory from directory/index.ts.' }] }],
    },
  },
  {
    // Each table belongs to one capability (server/src/store/table-owners.json); tests may seed any.
    files: ['server/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-fixtures.ts'],
    plugins: { rinki: { rules: { 'table-ownership': tableOwnership } } },
    rules: { 'rinki/table-ownership': 'error' },
  },
);
