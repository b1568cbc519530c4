import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@postern/logging';
import { DEFAULT_ANALYSIS_LIMITS } from '@postern/policy-postgres';
import {
  backend,
  BackendCode,
  frontend,
  FrontendCode,
  noticeResponse,
  ProtocolError,
  type Frame,
  type FrontendParser,
} from '@postern/wire-postgres';
import type { BufferAccount, BufferBudget } from '../../sessions/buffer-budget.js';
import type { ResolvedConnection, SessionSummary } from '../engine.js';
import type { CancelRegistry, IssuedCancelKey } from './cancel-registry.js';
import { authenticateClient } from './client-auth.js';
import { readClientOpening, type ClientOpening } from './client-startup.js';
import { deadline, type Deadline } from '../common/deadline.js';
import { PeerClosedError } from '../common/frame-reader.js';
import type { PostgresEngineSettings } from './postgres-engine.js';
import type { CatalogCache } from './catalog.js';
import { runCatalogQuery } from './catalog.js';
import { PolicyFilter } from './policy-filter.js';
import { proxySession } from './proxy.js';
import { endForAbort } from '../common/session-end.js';
import { describeError, fatalResponse, SessionEnd, SqlStates } from './session-end.js';
import { PostgresSessionState } from './session-state.js';
import { protocolOptions, readClientStartup, type ClientStartup } from './startup-parameters.js';
import { connectTarget, forwardCancel, type ConnectedTarget } from './target-connect.js';
import type { PostgresContext } from './rules.js';
import type { ScramKeyCache } from './scram-key-cache.js';
import { auditPolicySummary, closeTarget } from '../common/teardown.js';

type StartupOpening = Extract<ClientOpening, { kind: 'startup' }>;

/**
 * One client connection, from its first byte to `ctx.closed`. Phases throw `SessionEnd` (or
 * anything else, mapped here); `run()` never rejects and reports exactly once.
 */
export class PostgresSession {
  readonly state = new PostgresSessionState();
  private readonly logger: Logger;
  private clientStream: Duplex;
  private tlsSocket: TLSSocket | undefined;
  private target: ConnectedTarget | undefined;
  private cancelKey: IssuedCancelKey | undefined;
  private terminateForwarded = false;
  private filter: PolicyFilter | undefined;
  /** This session's share of the agent's buffer budget, once its principal is known. */
  private buffers: BufferAccount | undefined;

  constructor(
    private readonly client: Duplex,
    private readonly context: PostgresContext,
    private readonly settings: PostgresEngineSettings,
    private readonly cancelRegistry: CancelRegistry,
    private readonly catalog: CatalogCache,
    private readonly budget: BufferBudget,
    private readonly scramKeys?: ScramKeyCache,
  ) {
    this.clientStream = client;
    this.logger = context.logger.child({ engine: 'postgres' });
    // Errors are read where they matter (readers, proxy); these keep a late one from crashing.
    client.on('error', ignore);
  }

  async run(): Promise<void> {
    let end: SessionEnd;
    try {
      end = await this.runPhases();
    } catch (error) {
      end = error instanceof SessionEnd ? error : this.unexpected(error);
    }
    await this.close(end);
  }

  private async runPhases(): Promise<SessionEnd> {
    const auth = this.deadline(this.settings.authTimeoutMs);
    try {
      return await this.phases(auth);
    } finally {
      auth.clear();
    }
  }

  private async phases(auth: Deadline): Promise<SessionEnd> {
    const authDeadline = auth.signal;
    const opening = await this.clientPhase(() => this.readOpening(authDeadline), authDeadline);
    if (opening.kind === 'cancel') {
      await forwardCancel(opening, this.cancelRegistry, this.context.signal, this.settings, this.logger);
      return SessionEnd.clean('client_closed', 'cancel request handled');
    }
    this.clientStream = opening.stream;
    const startup = this.checkStartup(opening);
    limitMessagesBeforeLogin(opening.parser);
    const known = this.context.resolveConnection(startup.connectionName, 'postgres');
    // An unknown name gets the answers an existing connection would give (the password is asked
    // for and checked; a good one has "no access"), so names cannot be probed before login. The
    // difference is in the session's log line.
    const connection = known ?? unknownConnection(startup.connectionName);
    const principal = await this.clientPhase(
      () =>
        authenticateClient(
          opening.stream,
          opening.reader,
          connection,
          startup.user,
          this.context,
          this.settings.maxPasswordLength,
          authDeadline,
        ),
      authDeadline,
    ).catch((error: unknown) => {
      if (known !== null || !(error instanceof SessionEnd) || error.reason !== 'auth_failed') throw error;
      throw new SessionEnd(
        'unknown_connection',
        `unknown connection "${connection.name}"; ${error.message}`,
        error.fatal,
      );
    });
    if (known === null) {
      throw new SessionEnd('unknown_connection', `unknown connection "${connection.name}"`, {
        code: SqlStates.InvalidAuthorizationSpecification,
        message: `user "${startup.user}" has no access to connection "${connection.name}"`,
      });
    }
    // Per-session lines at info are the session manager's opened/closed; the steps are debug.
    this.logger.debug(
      { user: startup.user, principal: principal.id, connection: connection.name },
      'client authenticated',
    );
    const pendingFromClient = opening.reader.detach();
    limitMessagesAfterLogin(opening.parser, this.settings.maxClientMessageLength);
    auth.clear();
    await this.openTarget(connection, startup);
    this.context.opened(principal, connection);
    this.buffers = this.budget.account(principal.id);
    this.filter = new PolicyFilter({
      context: this.context,
      connectionId: connection.id,
      catalog: this.catalog,
      catalogQuery: (sql) => this.catalogQuery(connection, sql),
      logger: this.logger,
    });
    this.filter.observeGreeting(this.target!.session.greeting);
    return this.proxy(opening, pendingFromClient);
  }

  /**
   * Runs a catalog lookup for masking on a short-lived connection of our own, with the
   * connection's credentials: never on the client's session, whose protocol state is the client's.
   */
  private async catalogQuery(connection: ResolvedConnection, sql: string): Promise<(string | null)[][]> {
    const lookup = this.deadline(this.settings.targetConnectTimeoutMs);
    const signal = lookup.signal;
    const startup = readClientStartup(
      new Map([
        ['user', 'postern'],
        ['database', connection.name],
        ['application_name', 'postern-agent catalog'],
      ]),
    );
    try {
      const target = await connectTarget(
        connection,
        startup,
        this.context,
        signal,
        this.logger,
        ignore,
        this.scramKeys,
      );
      try {
        return await runCatalogQuery(target.stream, target.session.parser, target.session.pending, sql, signal);
      } finally {
        if (target.stream.writable) target.stream.end(frontend.terminate());
        target.stream.destroy();
      }
    } finally {
      lookup.clear();
    }
  }

  private readOpening(signal: AbortSignal): Promise<ClientOpening> {
    return readClientOpening(
      this.client,
      {
        clientTls: this.context.clientTls,
        maxClientMessageLength: this.settings.maxClientMessageLength,
        countBytes: (bytes) => (this.state.bytesFromClient += bytes),
        onTlsSocket: (socket) => {
          this.tlsSocket = socket;
          // From the handshake on, whatever we say (a FATAL startup error too) goes inside TLS.
          this.clientStream = socket;
          socket.on('error', ignore);
        },
      },
      signal,
    );
  }

  /** Checks what PostgreSQL checks before authentication: TLS, protocol version, parameters. */
  private checkStartup(opening: StartupOpening): ClientStartup {
    if (this.context.clientTls !== null && !opening.encrypted) {
      throw new SessionEnd('auth_failed', 'client did not use TLS', {
        code: SqlStates.InvalidAuthorizationSpecification,
        message: 'SSL/TLS required',
        hint: 'Connect with sslmode=require (or verify-full).',
      });
    }
    const { startup } = opening;
    const unsupported = protocolOptions(startup.parameters);
    if (startup.minorVersion > 0 || unsupported.length > 0) {
      // Like PostgreSQL: offer 3.0 and name the protocol options we ignore; the client decides.
      opening.stream.write(backend.negotiateProtocolVersion(0, unsupported));
    }
    const parsed = readClientStartup(startup.parameters);
    if (parsed.dropped.length > 0) {
      this.logger.info({ dropped: parsed.dropped }, 'startup parameters not forwarded to the target');
    }
    return parsed;
  }

  private async openTarget(connection: ResolvedConnection, startup: ClientStartup): Promise<void> {
    const connect = this.deadline(this.settings.targetConnectTimeoutMs);
    try {
      this.target = await connectTarget(
        connection,
        startup,
        this.context,
        connect.signal,
        this.logger,
        (bytes) => {
          this.state.bytesFromTarget += bytes;
        },
        this.scramKeys,
      );
    } finally {
      connect.clear();
    }
    const { session, endpoint } = this.target;
    this.cancelKey = this.cancelRegistry.issue({ endpoint, ...session.backendKey });
    this.clientStream.write(greeting(session.greeting, this.cancelKey, startup.dropped));
  }

  private async proxy(opening: StartupOpening, pendingFromClient: Frame[]): Promise<SessionEnd> {
    const target = this.target!;
    const outcome = await proxySession({
      client: opening.stream,
      target: target.stream,
      clientParser: opening.parser,
      targetParser: target.session.parser,
      pendingFromClient,
      pendingFromTarget: target.session.pending,
      ...(this.buffers === undefined ? {} : { buffers: this.buffers }),
      state: this.state,
      signal: this.context.signal,
      abortEnd: () => this.abortEnd(),
      ...(this.filter === undefined ? {} : { filter: this.filter }),
    });
    this.terminateForwarded = outcome.terminateForwarded;
    return outcome.end;
  }

  /** Runs a client-facing step, mapping the client's failures and the deadline to a SessionEnd. */
  private async clientPhase<T>(step: () => Promise<T>, deadline: AbortSignal): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof SessionEnd) throw error;
      if (this.context.signal.aborted) throw this.abortEnd();
      if (deadline.aborted) {
        throw new SessionEnd('auth_failed', 'authentication timeout', {
          code: SqlStates.QueryCanceled,
          message: 'canceling authentication due to timeout',
        });
      }
      if (error instanceof PeerClosedError) throw new SessionEnd('client_closed', error.message);
      if (error instanceof ProtocolError) throw clientProtocolError(error);
      throw error;
    }
  }

  private abortEnd(): SessionEnd {
    return endForAbort(this.context.signal);
  }

  private unexpected(error: unknown): SessionEnd {
    if (this.context.signal.aborted) return this.abortEnd();
    this.logger.error({ err: error }, 'postgres session failed');
    return new SessionEnd('error', describeError(error), { code: SqlStates.InternalError, message: 'internal error' });
  }

  private deadline(ms: number): Deadline {
    return deadline(this.context.signal, ms);
  }

  /** Tells the client why (if it should know), closes both sides, reports once. */
  private async close(end: SessionEnd): Promise<void> {
    const client = this.clientStream;
    if (end.fatal !== undefined && client.writable) client.write(fatalResponse(end.fatal));
    this.cancelKey?.release();
    this.buffers?.release();
    if (this.target !== undefined) {
      closeTarget(
        this.target.stream,
        this.terminateForwarded ? null : frontend.terminate(),
        this.settings.closeGraceMs,
      );
    }
    // The session manager's 'session closed' line carries the outcome at info; this one is the
    // engine's detail (one write fewer per session), except for an internal error.
    const level = end.reason === 'error' ? 'error' : 'debug';
    this.logger[level]({ reason: end.reason, error: end.message, ...this.counters() }, 'postgres session ended');
    this.filter?.sessionEnded(end.reason);
    auditPolicySummary(this.context, () => this.filter?.summary(), this.logger);
    const summary: SessionSummary = { endReason: end.reason, ...this.counters() };
    if (!end.clean) summary.error = end.message;
    this.report(summary);
    client.end();
    await settle(client, this.settings.closeGraceMs);
    this.tlsSocket?.destroy();
    this.client.destroy();
  }

  private counters(): Pick<SessionSummary, 'bytesFromClient' | 'bytesFromTarget' | 'statementCount'> {
    const { bytesFromClient, bytesFromTarget, statementCount } = this.state;
    return { bytesFromClient, bytesFromTarget, statementCount };
  }

  private report(summary: SessionSummary): void {
    try {
      this.context.closed(summary);
    } catch (error) {
      this.logger.error({ err: error }, 'closed() callback failed');
    }
  }
}

/** Stands in for a connection name the policy does not have: no credential or rule can match it. */
function unknownConnection(name: string): ResolvedConnection {
  return {
    id: '',
    name,
    protocol: 'postgres',
    target: { host: '', port: 0, user: '', secretRef: '', tls: { mode: 'verify-full', caRef: null }, settings: {} },
    recordingMode: 'strict',
  };
}

/**
 * Room beside the SQL in a Parse: the statement name and up to 65535 parameter type OIDs. A
 * Query has only its NUL, so both fit under the same bound.
 */
const STATEMENT_MESSAGE_OVERHEAD = 512 * 1024;
/** Largest message accepted before login (a password is at most 64 KiB too). */
const PRE_LOGIN_MESSAGE_LENGTH = 64 * 1024;

/** Messages that carry data; PostgreSQL's limit for all of them is 1 GB. */
const DATA_MESSAGES = [FrontendCode.Bind, FrontendCode.FunctionCall, FrontendCode.CopyData] as const;
const STATEMENT_MESSAGES = [FrontendCode.Query, FrontendCode.Parse] as const;

/** Until the client is authenticated, nothing it may pipeline behind its password needs to be big. */
function limitMessagesBeforeLogin(parser: FrontendParser): void {
  for (const code of [...DATA_MESSAGES, ...STATEMENT_MESSAGES]) parser.limitMessage(code, PRE_LOGIN_MESSAGE_LENGTH);
}

/**
 * Query and Parse carry SQL, which the policy refuses beyond its length limit (8 MiB): the
 * parser stops assembling them there instead of buffering up to the general message limit.
 */
function limitMessagesAfterLogin(parser: FrontendParser, maxMessageLength: number): void {
  const statements = DEFAULT_ANALYSIS_LIMITS.maxSqlLength + STATEMENT_MESSAGE_OVERHEAD;
  for (const code of STATEMENT_MESSAGES) parser.limitMessage(code, Math.min(statements, maxMessageLength));
  for (const code of DATA_MESSAGES) parser.limitMessage(code, maxMessageLength);
}

/** AuthenticationOk, then the target's greeting with our BackendKeyData in place of its own. */
function greeting(targetGreeting: Frame[], key: IssuedCancelKey, dropped: string[]): Buffer {
  const parts: Buffer[] = [backend.authenticationOk()];
  if (dropped.length > 0) {
    parts.push(
      noticeResponse({
        severity: 'NOTICE',
        code: '01000',
        message: `Postern did not forward the startup parameters: ${dropped.join(', ')}`,
      }),
    );
  }
  for (const frame of targetGreeting) {
    if (frame.code === BackendCode.ReadyForQuery) parts.push(backend.backendKeyData(key.processId, key.secretKey));
    parts.push(frame.bytes);
  }
  return Buffer.concat(parts);
}

function clientProtocolError(error: ProtocolError): SessionEnd {
  const code =
    error.code === 'UNSUPPORTED_PROTOCOL_VERSION' ? SqlStates.FeatureNotSupported : SqlStates.ProtocolViolation;
  const message =
    error.code === 'UNSUPPORTED_PROTOCOL_VERSION' ? `${error.message}: server supports 3.0 to 3.0` : error.message;
  return new SessionEnd('protocol_error', `client protocol error: ${error.message}`, { code, message });
}

/** Waits until `stream` closes, destroying it after `graceMs` (a peer that never reads). */
function settle(stream: Duplex, graceMs: number): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, graceMs);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    // Nothing reads the stream any more; keep it flowing so its end (and close) can arrive.
    stream.resume();
  });
}

function ignore(): void {}
