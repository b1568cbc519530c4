// Shared Jest settings for every package: native ESM (NODE_OPTIONS=--experimental-vm-modules)
// with @swc/jest compiling TypeScript to ES modules, decorators and their metadata included.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(fileURLToPath(import.meta.url));

/** @param {string} packageDir @returns {import('jest').Config} */
export function jestProject(packageDir, displayName) {
  return {
    displayName,
    rootDir: packageDir,
    testEnvironment: 'node',
    testTimeout: 60_000,
    extensionsToTreatAsEsm: ['.ts'],
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
    moduleNameMapper: {
      // Workspace libraries resolve to their sources so unit tests never run against stale builds.
      '^@postern/(proto|wire-postgres|wire-mysql|testing|policy|policy-postgres|policy-mysql|policy-ssh|policy-kubernetes|policy-http|migrate|logging|oidc|contracts|recording-format)$':
        join(root, 'libs/$1/src/index.ts'),
      // NodeNext-style imports carry `.js`; map them to the TypeScript sources.
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          module: { type: 'es6' },
          jsc: {
            target: 'es2023',
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            keepClassNames: true,
          },
        },
      ],
    },
  };
}
