// Lint setup: typescript-eslint's recommended rules (syntax-only, no type information, so a lint
// of the whole tree takes seconds). Run with `npm run lint`; formatting is prettier's job.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', 'docs/api/**', 'out/**', 'tmp/**', 'test-artifacts/**', 'bench-results/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Tests poke at malformed input on purpose, where `any` is the honest type.
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
)
