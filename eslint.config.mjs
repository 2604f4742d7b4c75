// The lint rules: a small set that catches bugs a type checker lets through (a promise nobody
// awaits, == where === was meant) and keeps the budgets the house holds itself to (file and
// function length). Formatting is Prettier's alone (npm run format), so no rule here is about layout.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'packages/*/dist/',
      'packages/client/src/generated/',
      'bench/',
      'test/artifacts/',
      'node_modules/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // a money movement whose failure nobody hears is the worst bug this code can have
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: ['src/transports/console/assets/**/*.js'],
    languageOptions: { globals: { ...globals.browser, Chart: 'readonly' }, sourceType: 'script' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ignores: ['src/transports/console/assets/**'],
    languageOptions: { globals: globals.node },
  },
);
