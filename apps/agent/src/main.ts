import { createLogger } from '@postern/logging';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from './config.js';
import { ControlClient, EnrollmentRefusedError } from './control/control-client.js';
import { AGENT_VERSION } from './version.js';

async function main(): Promise<void> {
  let config: AgentConfig;
  try {
    config = loadAgentConfig(process.env);
  } catch (error) {
    if (error instanceof AgentConfigError) {
      process.stderr.write(`postern agent: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ name: 'agent', level: config.logLevel });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const control = new ControlClient(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs + 1_000);
    force.unref();
    control.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  logger.info(
    { version: AGENT_VERSION, controlPlane: config.controlPlane.address, tls: Boolean(config.controlPlane.tls) },
    'agent starting',
  );
  try {
    await control.start();
  } catch (error) {
    if (error instanceof EnrollmentRefusedError) {
      logger.fatal(error.message);
      logger.flush();
      process.exit(1);
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`postern agent failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
