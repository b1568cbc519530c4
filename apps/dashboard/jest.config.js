import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { jestProject } from '../../jest.preset.js';

// Jest runs the dashboard's end-to-end tests (real Chromium against the real stack); its
// component tests run in Vitest (`pnpm --filter @postern/dashboard test`).
const project = jestProject(dirname(fileURLToPath(import.meta.url)), 'dashboard');
export default { ...project, testMatch: ['<rootDir>/e2e/**/*.test.ts'] };
