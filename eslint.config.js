// Lint for the whole workspace (run by `pnpm lint`, which `pnpm test` and CI run).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', 'coverage/**', '.test-results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // NestJS injects by the runtime class of constructor parameters: those imports must stay values.
    files: ['apps/control-plane/src/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    // The agent's engine kit is protocol-neutral: no codec, no protocol policy, no engine folder.
    // A protocol's bytes and words live in engines/<protocol>/, which builds on the kit.
    files: ['apps/agent/src/engines/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@postern/wire-*',
                '@postern/policy',
                '@postern/policy-*',
                'libpg-query',
                'pg',
                'pg-*',
                'mysql*',
                'ssh2',
              ],
              message:
                'engines/common is the protocol-neutral engine kit: protocol code belongs in engines/<protocol>/.',
            },
            {
              group: ['../*/**', '!../common/**'],
              message: 'engines/common must not import an engine folder: engines build on the kit, not the reverse.',
            },
          ],
        },
      ],
    },
  },
  {
    // Control plane: shared plumbing (src/platform/: auth, config, errors, infra, ...) serves the
    // feature folders and never imports one; features reach plumbing, not the other way round.
    // A new feature folder joins this list.
    files: ['apps/control-plane/src/platform/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+(access|agents|audit|connections|identity|notifications|policy|recordings|relay|reviews|rules|sessions|simulation)/',
              message: 'platform/ is shared plumbing: it must not import a feature folder (invert the dependency).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'scripts/**', 'bench/**', '**/cli.ts', '**/cli/**'],
    rules: { 'no-console': 'off' },
  },
);
