import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  // Other capabilities reach Matrix through its façade (server/src/matrix/index.ts) only; tests may use its parts.
  {
    files: ['server/src/**/*.ts', 'bench/**/*.ts'],
    ignores: ['server/src/matrix/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)matrix/(?!index\\.ts$)',
              message: "Import Matrix through its façade, 'matrix/index.ts'.",
            },
          ],
        },
      ],
    },
  },
);
