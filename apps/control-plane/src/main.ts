import { createLogger } from '@postern/logging';
import { startTracing } from '@postern/tracing';
import { ConfigError, loadConfig, type ControlPlaneConfig } from './platform/config/config.js';
import { CONTROL_PLANE_VERSION } from './version.js';

// Only configuration, logging and tracing load before tracing starts; the server module (Nest,
// GraphQL, ioredis, Prisma) is imported after it, so the instrumentation sees those modules load.
async function main(): Promise<void> {
  let config: ControlPlaneConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`postern control plane: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ name: 'control-plane', level: config.logLevel, base: { instance: config.instanceId } });
  // Off by default: with POSTERN_TRACING unset nothing of the OpenTelemetry SDK is loaded.
  const tracing = await startTracing(config.tracing, {
    serviceVersion: CONTROL_PLANE_VERSION,
    instanceId: config.instanceId,
    instrumentations: ['prisma', 'ioredis', 'graphql'],
    warn: (message) => logger.warn(message),
  });
  if (config.tracing) logger.info({ endpoint: config.tracing.exporter.url }, 'exporting traces');
  const { runControlPlane } = await import('./server.js');
  await runControlPlane(config, logger, tracing);
}

main().catch((error: unknown) => {
  // A setting only checkable once the modules exist (a relay protocol without a front door).
  if (error instanceof ConfigError) {
    process.stderr.write(`postern control plane: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `postern control plane failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
