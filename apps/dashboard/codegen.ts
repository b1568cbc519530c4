import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed operations from the control plane's committed schema (`pnpm --filter @postern/dashboard codegen`). */
const config: CodegenConfig = {
  schema: '../control-plane/schema.gql',
  documents: ['src/**/*.{ts,tsx}', '!src/generated/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/generated/graphql/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string' },
        strictScalars: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
