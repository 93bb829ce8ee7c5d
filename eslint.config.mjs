// @ts-check
// Flat config: ESLint's recommended rules + typescript-eslint's recommended rules (no type information).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// The `globals` package is not installed: the CommonJS globals the *.js config files use, by hand.
const commonJsNodeGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
  process: 'readonly',
  console: 'readonly',
};

export default defineConfig(
  { ignores: ['dist/**', 'packages/*/dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    rules: {
      // `_`-prefixed arguments are deliberately unused (interface shapes, positional callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },

  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },

  {
    // jest.config.js and other CommonJS config files.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: commonJsNodeGlobals },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },

  {
    // The benchmark: plain Node ES modules.
    files: ['bench/**/*.mjs'],
    languageOptions: {
      globals: { ...commonJsNodeGlobals, performance: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
  },
);
