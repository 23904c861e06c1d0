// Type-aware lint. Each package's src/ gets the strict type-checked rules (a floating store promise is an auth bug); tests,
// benchmarks and examples get the recommended type-checked rules, which still catch floating promises.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const typeAware = {
  parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/',
      '**/node_modules/',
      '**/data/',
      'coverage/',
      '**/bench-results/',
      '**/test-results/',
      'examples/next/',
      '**/.next/',
      'packages/cloakroom/test/adapters/fixtures/next-app/',
    ],
  },
  js.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: typeAware,
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/*/test/**/*.ts', 'packages/app/bench/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: typeAware,
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
