// Lint: the rules that find bugs tsc does not (a promise nobody awaits, a misused promise), not
// style. Type-aware, over src/. Import cycles and layer boundaries are checked by
// scripts/check-imports.ts (faster than eslint-plugin-import and aware of our layers).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/**', 'bench/**', 'bin/**', 'scripts/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // Directives for rules of other linters (no-explicit-any, no-control-regex) are left alone.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
