import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'public/**', 'training/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Our errors carry the cause's message in their own text, where users see it.
      'preserve-caught-error': 'off',
    },
  },
  {
    files: ['tools/**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  {
    // The routing core and the playground's trainer are pure: no DOM, no rendering, no inference runtime.
    files: ['src/routing/**/*.ts', 'src/train/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['onnxruntime*', 'react*', 'd3*', 'zustand*', '@tanstack/*', '**/gpu/**', '**/state/**', '**/components/**', '**/models/**'] },
      ],
      'no-restricted-globals': ['error', 'document', 'window', 'navigator'],
    },
  },
  {
    // Each layer imports only the layers below it (components → state → gpu → models → routing).
    // Test helpers (*.testing.ts) and tests may reach up: they drive the engine over real bundles.
    files: ['src/models/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.testing.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['react*', 'd3*', 'zustand*', '**/gpu/**', '**/state/**', '**/components/**'] }] },
  },
  {
    files: ['src/gpu/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['react*', 'd3*', 'zustand*', '**/state/**', '**/components/**'] }] },
  },
  {
    // Views draw from the store and call its actions: nothing from the engine (src/gpu) or the
    // engine client (src/state/engine); the worker owns ORT.
    files: ['src/components/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['onnxruntime*', '**/gpu', '**/gpu/**', '**/state/engine', '**/state/engine/**'] },
      ],
    },
  },
);
