// ESLint (flat config): eslint's and typescript-eslint's recommended rules over the TypeScript sources,
// tests, benches and scripts. Formatting is Prettier's job (`npm run format`), not a lint rule.
// Rules that are off or relaxed say why; an `eslint-disable` comment names its rule and gives a reason
// after `--` (reportUnusedDisableDirectives flags stale ones).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'results/', '.cache/', 'data/', 'notebooks/', 'test/fixtures/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a value kept on purpose (destructuring to drop a key, an unused callback argument)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // test helpers read JSON manifests of many shapes; src/ keeps explicit types (tsc strict)
      '@typescript-eslint/no-explicit-any': 'off',
      // tfjs's customGrad / onnx typings need casts through unknown; non-null after a checked lookup
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `cond ? resolve() : reject()` as a statement reads well in callbacks
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true }],
    },
  },
  {
    files: ['**/*.mjs', 'bin/**/*.js', 'scripts/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }, // plain Node scripts (bin/drin.js requires tsx/cjs)
  },
);
