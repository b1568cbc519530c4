import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import { frontend, ProtocolError } from '@postern/wire-postgres';
import type { ResolvedConnection } from '../engine.js';
import { ReachRefusedError } from '../../reach/reach-policy.js';
import { SecretUnavailableError } from '../../secrets/secret-resolver.js';
import type { CancelRegistry } from './cancel-registry.js';
import type { PostgresEngineSettings } from './postgres-engine.js';
import { deadline } from '../common/deadline.js';
import { describeError, SessionEnd, SqlStates } from './session-end.js';
import type { ClientStartup } from './startup-parameters.js';
import {
  authenticateToTarget,
  TargetAuthUnsupportedError,
  TargetRefusedError,
  type TargetLogin,
  type TargetSession,
} from './target-auth.js';
import { openTargetTransport, type TargetEndpoint } from './target-transport.js';
import type { PostgresContext } from './rules.js';
import type { ScramKeyCache } from './scram-key-cache.js';

export interface ConnectedTarget {
  stream: Duplex;
  session: TargetSession;
  endpoint: TargetEndpoint;
}

/** Target SQLSTATEs a client may act on (retry later), passed through with our own message. */
const PASSED_THROUGH_STATES = new Set(['53300', '57P03']);

/**
 * Opens the target with the connection's own credentials. Every failure becomes a SessionEnd
 * whose client message names the connection but never the target's user, password or error
 * text; the log gets the details (none of which contain the password: PostgreSQL never echoes
 * it, and our own messages never include it).
 */
export async function connectTarget(
  connection: ResolvedConnection,
  startup: ClientStartup,
  context: PostgresContext,
  signal: AbortSignal,
  logger: Logger,
  countBytes: (bytes: number) => void,
  scramKeys?: ScramKeyCache,
): Promise<ConnectedTarget> {
  const { target } = connection;
  let stream: Duplex | undefined;
  try {
    // The agent's own allow-lists come first: nothing is resolved or dialled that they refuse.
    const address = await context.dialTarget(target.host, target.port);
    const [password, ca] = await Promise.all([
      context.resolveSecret(target.secretRef),
      target.tls.caRef === null ? null : context.resolveSecret(target.tls.caRef),
    ]);
    const endpoint: TargetEndpoint = { host: target.host, port: target.port, address, tlsMode: target.tls.mode, ca };
    const transport = await openTargetTransport(endpoint, signal);
    stream = transport.stream;
    stream.on('error', ignore);
    countBytes(transport.bytesRead);
    const link = transport.verified ? 'verified-tls' : transport.encrypted ? 'unverified-tls' : 'plaintext';
    const login: TargetLogin = {
      user: target.user,
      database: target.settings.database ?? '',
      password,
      parameters: startup.forwarded,
      revealPassword: (method) =>
        context.revealPassword({ host: target.host, port: target.port, address }, method, link),
      ...(scramKeys === undefined
        ? {}
        : { scramKeys: scramKeys.forRole(`${target.host}:${target.port}/${target.user}`) }),
    };
    const session = await authenticateToTarget(stream, login, signal, countBytes);
    logger.debug({ target: `${target.host}:${target.port}`, tls: transport.encrypted }, 'target session opened');
    return { stream, session, endpoint };
  } catch (error) {
    stream?.destroy();
    if (context.signal.aborted) throw error;
    throw targetFailure(error, connection, signal, logger);
  }
}

function targetFailure(
  error: unknown,
  connection: ResolvedConnection,
  signal: AbortSignal,
  logger: Logger,
): SessionEnd {
  const where = `${connection.target.host}:${connection.target.port}`;
  logger.warn({ target: where, error: describeError(error) }, 'cannot open the target session');
  const name = connection.name;
  if (error instanceof ReachRefusedError) {
    return new SessionEnd('target_unreachable', error.message, {
      code: SqlStates.InsufficientPrivilege,
      message: `the Postern agent refused to open the target of connection "${name}"`,
      detail: error.message,
      hint: "The agent's own configuration decides what it may reveal; see its audit event target.refused.",
    });
  }
  if (error instanceof SecretUnavailableError) {
    // The file is gone, unreadable or empty (or the variable unset): fail closed, nothing sent.
    return new SessionEnd('target_unreachable', error.message, {
      code: SqlStates.SqlclientUnableToEstablishConnection,
      message: `the Postern agent cannot read the target secret of connection "${name}"`,
      hint: "Ask the administrator of this connection: the agent's log names the secret and why.",
    });
  }
  if (error instanceof TargetRefusedError) {
    if (error.sqlState.startsWith('28')) {
      return new SessionEnd('target_unreachable', error.message, {
        code: SqlStates.InvalidAuthorizationSpecification,
        message: `the target of connection "${name}" refused Postern's credentials`,
        hint: 'Ask the administrator of this connection to check its target credentials.',
      });
    }
    return new SessionEnd('target_unreachable', error.message, {
      code: PASSED_THROUGH_STATES.has(error.sqlState) ? error.sqlState : SqlStates.SqlclientUnableToEstablishConnection,
      message: `the target of connection "${name}" refused the session`,
      detail: `The target answered with SQLSTATE ${error.sqlState}.`,
    });
  }
  if (error instanceof TargetAuthUnsupportedError) {
    return new SessionEnd('target_unreachable', error.message, {
      code: SqlStates.FeatureNotSupported,
      message: `cannot authenticate to the target of connection "${name}": ${error.message}`,
    });
  }
  const timedOut = signal.aborted;
  const reason = timedOut ? 'timed out' : error instanceof ProtocolError ? 'failed authentication' : 'is unreachable';
  return new SessionEnd('target_unreachable', timedOut ? 'target connection timed out' : describeError(error), {
    code: SqlStates.SqlclientUnableToEstablishConnection,
    message: `could not connect to the target of connection "${name}": the connection ${reason}`,
  });
}

/**
 * Forwards a client's CancelRequest to the backend behind a key we issued, over a new
 * connection secured like the session's, with the target's real key. Unknown keys are dropped
 * without an answer, as PostgreSQL does; the client is never told whether it worked.
 */
export async function forwardCancel(
  request: { processId: number; secretKey: Buffer },
  registry: CancelRegistry,
  sessionSignal: AbortSignal,
  settings: PostgresEngineSettings,
  logger: Logger,
): Promise<void> {
  const target = registry.lookup(request.processId, request.secretKey);
  if (target === undefined) {
    logger.info('cancel request with an unknown key dropped');
    return;
  }
  const forwarding = deadline(sessionSignal, settings.targetConnectTimeoutMs);
  const signal = forwarding.signal;
  try {
    const { stream } = await openTargetTransport(target.endpoint, signal);
    stream.on('error', ignore);
    stream.end(frontend.cancelRequest(target.processId, target.secretKey));
    // The server closes once it has signalled the backend; wait for that like libpq does.
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      stream.once('close', done);
      signal.addEventListener('abort', done, { once: true });
      stream.resume();
    });
    stream.destroy();
    logger.info({ target: `${target.endpoint.host}:${target.endpoint.port}` }, 'cancel request forwarded');
  } catch (error) {
    logger.warn({ error: describeError(error) }, 'cannot forward a cancel request');
  } finally {
    forwarding.clear();
  }
}

function ignore(): void {}
