// `pnpm db:migrate`: applies pending migrations exactly as the control plane does at boot
// (same advisory lock), for operators who run migrations as a separate deployment step.
import { createLogger } from '@postern/logging';
import { ConfigError, loadConfig } from '../platform/config/config.js';
import { runMigrations } from '../platform/infra/prisma/migrations.service.js';

const env = {
  // Only the database settings matter here; the rest must not be required to migrate.
  POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(32),
  POSTERN_GRPC_INSECURE: 'true',
  POSTERN_RELAY_POSTGRES_PORT: 'off',
  ...process.env,
};
try {
  const config = loadConfig(env);
  const logger = createLogger({ name: 'migrate', level: config.logLevel });
  await runMigrations(config, logger);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
  process.exit(1);
}
