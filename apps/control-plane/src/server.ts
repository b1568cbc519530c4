import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { Logger } from '@postern/logging';
import type { TracingHandle } from '@postern/tracing';
import type { ControlPlaneConfig } from './platform/config/config.js';
import { AppModule } from './app.module.js';
import { NestPinoLogger } from './platform/infra/logging/nest-logger.js';
import { runMigrations } from './platform/infra/prisma/migrations.service.js';
import { checkDependencies } from './platform/infra/preflight.js';
import { CONTROL_PLANE_VERSION } from './version.js';
import { staticDashboard } from './platform/dashboard/static-dashboard.js';

/**
 * The control plane once its configuration is valid and tracing (if on) is started: main.ts
 * imports this module only then, so that Nest, GraphQL and ioredis load after the tracing hooks.
 */
export async function runControlPlane(
  config: ControlPlaneConfig,
  logger: Logger,
  tracing: TracingHandle,
): Promise<void> {
  installProcessHandlers(logger);

  const unreachable = await checkDependencies(config);
  if (unreachable.length > 0) {
    for (const problem of unreachable) logger.fatal(problem, problem.message);
    process.exit(3);
  }
  if (config.database.migrateOnStart) await runMigrations(config, logger);

  const app = await NestFactory.create(AppModule.forRoot(config, logger), {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
  });
  if (config.dashboard.staticDir) {
    // Before Nest registers its routes: the dashboard's files and client routes, never the
    // server's own paths (platform/dashboard/static-dashboard.ts).
    app.use(staticDashboard(config.dashboard.staticDir));
    logger.info({ dir: config.dashboard.staticDir }, 'serving the dashboard at /');
  }
  await app.listen(config.http.port, config.http.host);
  handleShutdownSignals(logger, config.shutdownGraceMs, async () => {
    await app.close();
    await tracing.shutdown();
  });
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.info({ host: config.http.host, port }, 'http listening');
  logger.info({ version: CONTROL_PLANE_VERSION }, 'control plane started');
}

/**
 * SIGTERM/SIGINT: stop accepting work, let the gRPC server close agent streams (agents move to
 * another replica) and drain within the grace period, close queues, database and Redis, exit 0.
 * Handled here rather than by Nest's enableShutdownHooks, which re-raises the signal and so
 * never exits 0.
 */
function handleShutdownSignals(logger: Logger, graceMs: number, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown did not finish within the grace period; exiting');
      logger.flush();
      process.exit(1);
    }, graceMs + 5_000);
    force.unref();
    close().then(
      () => {
        logger.info('control plane stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function installProcessHandlers(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection');
  });
  process.on('uncaughtException', (error) => {
    // State may be inconsistent after an exception nobody caught: log it and let the
    // orchestrator restart us rather than serve on.
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    logger.flush();
    process.exit(1);
  });
}
