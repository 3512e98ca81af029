// ESLint's flat config for the JavaScript of the repository: the web console (web/, browser ES
// modules served as-is), the tests (tests/, node --test) and the benchmarks (bench/). `make lint-js`
// runs it; scripts/check-format runs it with the format check, so `make test` enforces both.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    ignores: ['node_modules/', 'build*/', 'tests/e2e/artifacts/', 'tests/api/.tmp/', 'bench/out/'],
  },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
  },
  {
    files: ['web/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['tests/**/*.mjs', 'bench/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The browser tests hand functions to page.evaluate() and waitForFunction(), which run them in
    // the page: document and window are theirs.
    files: ['tests/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
];
