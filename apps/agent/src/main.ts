import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createLogger } from '@postern/logging';
import type { ApprovalDecision__Output, OpenTunnel__Output, Revoke__Output } from '@postern/proto';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from './config.js';
import { ControlClient, EnrollmentRefusedError } from './control/control-client.js';
import { dialRelayData } from './control/relay-data-dialer.js';
import { createEngines } from './engines/registry.js';
import { publishedHostKeys } from './control/published-host-keys.js';
import { tunnelRefusal, unservableConnections } from './policy/servable.js';
import { LocalListener } from './ingress/local-listener.js';
import { loadMaskingKey } from './policy/masking-key.js';
import { SessionRecorder } from './recording/session-recorder.js';
import { RecordingShipper } from './recording/shipper.js';
import { RecordingSpool } from './recording/spool.js';
import { AgentReach } from './reach/agent-reach.js';
import { BufferBudget } from './sessions/buffer-budget.js';
import { SessionManager } from './sessions/session-manager.js';
import { AGENT_VERSION } from './version.js';
import { AgentMetrics } from './observability/metrics.js';
import { startMetricsEndpoint } from '@postern/net';
import { startTracing } from '@postern/tracing';

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
  // Off by default: with POSTERN_TRACING unset nothing of the OpenTelemetry SDK is loaded.
  const tracing = await startTracing(config.tracing, {
    serviceVersion: AGENT_VERSION,
    asyncContext: 'when-cheap',
    warn: (message) => logger.warn(message),
  });
  if (config.tracing) logger.info({ endpoint: config.tracing.exporter.url }, 'exporting traces');

  let maskingHashKey: Buffer;
  try {
    maskingHashKey = await loadMaskingKey(config.maskingKeyRef, config.stateDir);
  } catch (error) {
    process.stderr.write(`postern agent: POSTERN_AGENT_MASKING_KEY: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const spool = new RecordingSpool(config.recording.spoolDir, config.recording.spoolMaxBytes);
  const { chunkBytes, flushMs, compression } = config.recording;
  const recorderOptions = { chunkBytes, flushMs, compression };
  // Recordings a previous run left open (the agent died mid-session) are closed as interrupted,
  // continuing their chains, so the control plane sees them end rather than stop.
  for (const unfinished of await spool.init()) {
    if (unfinished.final) continue;
    await new SessionRecorder(spool, unfinished.sessionId, 'best-effort', recorderOptions, logger, () => {}, {
      nextSeq: unfinished.lastSeq + 1,
      prevHash: unfinished.lastHash,
    }).close({ endReason: 'agent_restarted', interrupted: true });
  }

  const buffers = new BufferBudget(config.buffers);
  // Each engine loads what it needs (PostgreSQL: its SQL parser) before any session can start.
  const engines = await createEngines({ config, logger, buffers });
  for (const listen of config.listeners) {
    if (engines.get(listen.protocol)) continue;
    process.stderr.write(
      `postern agent: ${listen.variable}: no engine for protocol "${listen.protocol}" (this agent serves: ${engines.protocols.join(', ')})\n`,
    );
    process.exit(2);
  }
  // The control client reports the session count in heartbeats; heartbeats start after start().
  const control: ControlClient = new ControlClient(
    config,
    logger,
    engines.protocols,
    (): number => manager.activeSessions,
    publishedHostKeys(engines),
  );
  // Since when the control plane has been out of reach (null: connected). The policy snapshot
  // follows every welcome, so while connected the cache is current.
  let unreachableSince: number | null = Date.now();
  // The agent's own allow-lists; refusals reach the control plane's audit trail as agent events.
  const reach = new AgentReach(config.reach, (event) => control.report({ auditEvents: { events: [event] } }));
  if (!reach.dialsAnything) {
    logger.warn('POSTERN_AGENT_TARGET_ALLOW is empty: every session will be refused until targets are allowed');
  }
  const metrics = new AgentMetrics({
    controlConnected: () => control.connected,
    policyVersion: () => control.policy.version,
    spool: () => ({ chunks: spool.pendingChunks, bytes: spool.usedBytes }),
    journal: () => control.journalPending,
    activeSessions: () => manager.activeSessions,
  });
  const manager: SessionManager = new SessionManager({
    observer: metrics,
    limits: config.limits,
    policyUsable: () => unreachableSince === null || Date.now() - unreachableSince <= config.policyMaxStalenessMs,
    engines,
    policy: () => control.policy.current,
    policyVersion: () => control.policy.version,
    report: (message) => control.report(message),
    logger,
    maskingHashKey,
    spool,
    recorder: recorderOptions,
    reach,
  });
  const shipper = new RecordingShipper(
    spool,
    () => control.openRecording(),
    () => control.connected,
    logger,
    undefined,
    (sessionId) => control.sessionStored(sessionId),
  );
  control.on('reportsStored', () => shipper.nudge());
  control.on('disconnected', () => {
    unreachableSince ??= Date.now();
  });
  control.on('policy', () => {
    unreachableSince = null;
  });
  control.on('connected', () => {
    shipper.kick();
    manager.resendPendingApprovals();
  });
  const ingressTls: SecureContext | null = config.ingressTls
    ? createSecureContext({
        cert: readFileSync(config.ingressTls.certFile),
        key: readFileSync(config.ingressTls.keyFile),
      })
    : null;

  // Policy changes (a user disabled, a rule or credential removed) end affected sessions at once.
  control.on('policy', () => manager.reauthorize());
  const reportedUnservable = new Set<string>();
  control.on('policy', () => {
    for (const connection of unservableConnections(control.policy.current, engines.protocols)) {
      if (reportedUnservable.has(connection.id)) continue;
      reportedUnservable.add(connection.id);
      logger.warn(connection, 'connection of a protocol this agent has no engine for: its sessions are refused');
    }
  });
  control.on('approvalDecision', (decision: ApprovalDecision__Output) => manager.approvalDecided(decision));
  control.on('revoke', (revoke: Revoke__Output) => {
    const scope =
      revoke.scope === 'SCOPE_SESSION' ? 'session' : revoke.scope === 'SCOPE_PRINCIPAL' ? 'principal' : null;
    if (!scope) {
      logger.warn({ scope: revoke.scope }, 'revoke scope not handled by this agent version');
      return;
    }
    const ended = manager.revoke(scope, revoke.id, revoke.reason || 'revoked by the control plane');
    logger.info({ scope, id: revoke.id, ended }, 'revoke applied');
  });

  control.on('openTunnel', (request: OpenTunnel__Output) => {
    const refusal = tunnelRefusal(control.policy.current, request, engines.protocols);
    if (refusal) {
      logger.warn({ protocol: request.protocol, connectionId: request.connectionId, refusal }, 'tunnel refused');
      return;
    }
    const credential = control.agentCredential;
    if (!credential) return;
    let data;
    try {
      data = dialRelayData(config.controlPlane, credential, request);
    } catch (error) {
      logger.warn({ err: error }, 'relay data connection not opened');
      return;
    }
    data.on('error', (error) => logger.debug({ err: error }, 'relay data connection error'));
    // The control plane terminated the client's TLS; the data connection is the agent's own TLS.
    manager.serve(data, {
      protocol: request.protocol,
      ingress: 'relay',
      clientAddress: request.clientAddress,
      clientTls: null,
    });
  });

  const listeners = config.listeners.map(
    ({ protocol, host, port }) =>
      new LocalListener(
        { protocol, host, port, tls: ingressTls, maxConnectionsPerAddress: config.maxConnectionsPerAddress },
        manager,
        logger,
      ),
  );

  let stopping = false;
  const metricsServer = config.metrics
    ? await startMetricsEndpoint(
        {
          ...config.metrics,
          render: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
          ready: () =>
            !stopping &&
            control.policy.current !== null &&
            (unreachableSince === null || Date.now() - unreachableSince <= config.policyMaxStalenessMs),
        },
        logger,
      ).catch((error: unknown) => {
        process.stderr.write(`postern agent: POSTERN_AGENT_METRICS_ADDRESS: ${(error as Error).message}\n`);
        process.exit(2);
      })
    : null;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs + 1_000);
    force.unref();
    (async () => {
      await Promise.all(listeners.map((listener) => listener.stop()));
      metricsServer?.close();
      await manager.closeAll();
      // Spooled chunks not yet acknowledged stay on disk and are shipped after the next start.
      shipper.stop();
      await control.stop();
      await tracing.shutdown();
    })().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  logger.info(
    {
      version: AGENT_VERSION,
      controlPlane: config.controlPlane.address,
      tls: Boolean(config.controlPlane.tls),
      engines: engines.protocols,
    },
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
  for (const listener of listeners) await listener.start();
}

main().catch((error: unknown) => {
  process.stderr.write(`postern agent failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
