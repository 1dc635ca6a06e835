// ESLint 9 flat config. Non-type-checked typescript-eslint `recommended`: it catches real mistakes
// (unused values, stray `any`, floating namespaces) while staying fast; the type-aware sets would run
// the whole TypeScript program again, which `tsc --noEmit` in npm test already does.
// Layer boundaries and import cycles are not checked here but by dependency-cruiser
// (.dependency-cruiser.cjs, `npm run lint:deps`), which names both layers of an upward import.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'certs/', '.tap/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,mjs,js}'],
    languageOptions: { globals: globals.node },
    rules: {
      // `_`-prefixed names mark a deliberately unused parameter or destructured rest.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // CommonJS configuration files (dependency-cruiser reads .cjs): require() is how they import.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.commonjs } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard script is served to the browser as is (no build step).
    files: ['src/admin/dashboard/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
);
