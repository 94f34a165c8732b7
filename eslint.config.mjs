import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.tools', '.data', 'coverage', 'test-artifacts', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      // Handlers registered before a value is known read it later: that is not a constant.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O, no providers.
    files: ['src/workflows/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflow code must not use Node built-ins.' },
            {
              group: ['**/providers/**', '**/activities/**', '**/sim/**', '**/webhooks/**', '**/client/**'],
              allowTypeImports: true,
              message: 'Workflows import activities and providers as types only.',
            },
            {
              group: ['undici', 'nodemailer', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process'],
              message: 'No I/O in workflow code.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process'],
    },
  },
  {
    // zod costs every cached flow about a megabyte (each workflow evaluates its own modules): the
    // sandbox gets types from the input schemas, never their code.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflow code must not use Node built-ins.' },
            {
              group: [
                '**/providers/**',
                '**/activities/**',
                '**/sim/**',
                '**/webhooks/**',
                '**/client/**',
                '**/channels/**',
              ],
              allowTypeImports: true,
              message: 'Workflows import activities and providers as types only.',
            },
            {
              group: ['**/shared/schemas'],
              allowTypeImports: true,
              message: 'Input schemas (zod) stay out of the sandbox: import their types only.',
            },
            { group: ['zod'], message: 'zod stays out of the workflow sandbox.' },
            {
              group: ['undici', 'nodemailer', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process'],
              message: 'No I/O in workflow code.',
            },
          ],
        },
      ],
    },
  },
);
