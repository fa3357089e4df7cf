// ESLint, type-aware (typescript-eslint). Formatting is Prettier's (npm run format); these rules find bugs.
// `npm run lint` runs it with --max-warnings 0 after the Prettier check and before dependency-cruiser.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'reports/**', 'test-artifacts/**', 'apps/api/src/portal/assets/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A caught error (typed unknown) is passed on as it is: wrapping it would hide the domain error the caller classifies.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      // Chinese text uses the ideographic space (U+3000) on purpose (certificates, statements): allowed inside strings and templates only.
      'no-irregular-whitespace': ['error', { skipStrings: true, skipTemplates: true }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Tests only. Two library typings put `any` into every test: supertest types a response body as `any`
    // (the test reads its fields and asserts them; that assertion is the check a type would pretend to be),
    // and @types/jest types the asymmetric matchers (expect.any, expect.stringMatching, expect.objectContaining, …)
    // as `any`, so each `{ id: expect.any(String) }` is an "unsafe assignment". The no-unsafe-* rules flag only
    // those there, so they are off in tests. no-explicit-any and no-floating-promises stay on everywhere:
    // tests write no `any` of their own, and an un-awaited request or assertion is a test that checks nothing.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
