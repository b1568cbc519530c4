// `prisma generate` without a native engine download. Generation does not execute the schema
// engine, but the CLI insists that the binary exist: point it at any existing file (node itself).
// See ../../shared/ENVIRONMENT.md ("Prisma 7 without engine downloads").
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const cli = join(root, 'apps/control-plane/node_modules/prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], {
  cwd: join(root, 'apps/control-plane'),
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
