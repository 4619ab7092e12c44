// Lint: the recommended JavaScript and typescript-eslint rules, nothing exotic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'console/dist/', 'test-artifacts/', '.tmp/', '.esbuild/', '.serverless/', 'coverage/', 'docs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The web console runs in a browser.
    files: ['console/**/*.ts'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', sessionStorage: 'readonly', fetch: 'readonly', Blob: 'readonly', FormData: 'readonly', CSS: 'readonly', HTMLFormElement: 'readonly', KeyboardEvent: 'readonly', SubmitEvent: 'readonly', RequestInit: 'readonly', Response: 'readonly' } },
  },
  {
    // CommonJS files that tools load with require (the esbuild plugins of serverless-esbuild).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
