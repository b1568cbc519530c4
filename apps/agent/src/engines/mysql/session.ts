import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@postern/logging';
import { encodeOk, MySqlProtocolError, packet, PacketReader, ServerStatus, type Message } from '@postern/wire-mysql';
import { ReachRefusedError } from '../../reach/reach-policy.js';
import { SecretUnavailableError } from '../../secrets/secret-resolver.js';
import type { BufferAccount, BufferBudget } from '../../sessions/buffer-budget.js';
import type { ResolvedConnection, SessionSummary } from '../engine.js';
import { deadline, type Deadline } from '../common/deadline.js';
import { PeerClosedError } from '../common/frame-reader.js';
import { proxySession } from '../common/proxy.js';
import { endForAbort } from '../common/session-end.js';
import { authenticateClient } from './client-auth.js';
import { readClientLogin, type ClientLink, type ClientLogin } from './client-handshake.js';
import { MysqlFrameCodec, MysqlSessionState } from './codec.js';
import { describeError, errorCode, Errors, fatalPacket, SessionEnd } from './errors.js';
import { MysqlFilter } from './filter/mysql-filter.js';
import type { MysqlEngineSettings } from './mysql-engine.js';
import type { MysqlContext } from './rules.js';
import { connectTarget, TargetRefusedError, TargetUnavailableError, type ConnectedTarget } from './target-connect.js';
import { auditPolicySummary, closeTarget } from '../common/teardown.js';

/**
 * One MySQL client connection, from our greeting to `ctx.closed`. Phases throw `SessionEnd`;
 * `run()` never rejects and reports exactly once; the client's last word from us is one ERR.
 */
export class MysqlSession {
  readonly state = new MysqlSessionState();
  private readonly logger: Logger;
  private readonly link: ClientLink;
  private tlsSocket: TLSSocket | undefined;
  private target: ConnectedTarget | undefined;
  private filter: MysqlFilter | undefined;
  private terminateForwarded = false;
  private buffers: BufferAccount | undefined;

  constructor(
    private readonly client: Duplex,
    private readonly context: MysqlContext,
    private readonly settings: MysqlEngineSettings,
    private readonly budget: BufferBudget,
    private readonly connectionId: number,
  ) {
    this.link = { stream: client, encrypted: false, sequenceId: 0 };
    this.logger = context.logger.child({ engine: 'mysql' });
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
    const auth = deadline(this.context.signal, this.settings.authTimeoutMs);
    try {
      return await this.phases(auth);
    } finally {
      auth.clear();
    }
  }

  private async phases(auth: Deadline): Promise<SessionEnd> {
    const login = await this.clientPhase(
      () =>
        readClientLogin(
          this.link,
          {
            clientTls: this.context.clientTls,
            connectionId: this.connectionId,
            maxPasswordLength: this.settings.maxPasswordLength,
            countBytes: (bytes) => (this.state.bytesFromClient += bytes),
            onTlsSocket: (socket) => {
              this.tlsSocket = socket;
              socket.on('error', ignore);
            },
          },
          auth.signal,
        ),
      auth.signal,
    );
    const known = this.context.resolveConnection(login.connectionName, 'mysql');
    // An unknown name gets the answers an existing connection would give (the credential is
    // checked; a good one has "no access"), so names cannot be probed before login.
    const connection = known ?? unknownConnection(login.connectionName);
    const principal = await this.clientPhase(
      () => authenticateClient(this.context, connection, login, auth.signal),
      auth.signal,
    );
    if (known === null) {
      throw new SessionEnd('unknown_connection', `unknown connection "${connection.name}"`, {
        code: errorCode(Errors.DatabaseAccessDenied),
        message: `Access denied for user '${login.user}' to database '${connection.name}'`,
      });
    }
    this.logger.debug(
      { user: login.user, principal: principal.id, connection: connection.name },
      'client authenticated',
    );
    const pendingFromClient = login.reader.detach();
    auth.clear();
    await this.openTarget(connection, login);
    this.context.opened(principal, connection);
    this.buffers = this.budget.account(principal.id);
    const target = this.target!;
    // The client is logged in: our OK, with the target's status (autocommit, transaction).
    const ok = encodeOk(
      { statusFlags: target.ok.statusFlags & ~ServerStatus.SESSION_STATE_CHANGED },
      login.capabilities,
    );
    this.link.stream.write(packet(ok, this.link.sequenceId));
    this.filter = new MysqlFilter({
      context: this.context,
      capabilities: login.capabilities,
      database: connection.target.settings['database'] ?? '',
      connectionName: connection.name,
      characterSet: login.response.characterSet,
    });
    // A client waits for our OK before its first command: nothing can be half-read here. The
    // command phase gets the larger message limit (16 MiB packets reassembled).
    if (login.packets.bufferedBytes > 0)
      throw new SessionEnd('protocol_error', 'client sent a partial packet before the login OK');
    const clientPackets = new PacketReader({ maxMessageLength: this.settings.maxMessageBytes });
    const outcome = await proxySession<Message, Message>({
      client: this.link.stream,
      target: target.stream,
      codec: new MysqlFrameCodec(clientPackets, target.packets, this.state),
      pendingFromClient,
      pendingFromTarget: target.pending,
      signal: this.context.signal,
      abortEnd: () => endForAbort(this.context.signal),
      filter: this.filter,
      ...(this.buffers === undefined ? {} : { buffers: this.buffers }),
    });
    this.terminateForwarded = outcome.terminateForwarded;
    return outcome.end;
  }

  private async openTarget(connection: ResolvedConnection, login: ClientLogin): Promise<void> {
    const connect = deadline(this.context.signal, this.settings.targetConnectTimeoutMs);
    try {
      const { host, port } = connection.target;
      const address = await this.context.dialTarget(host, port);
      const password = await this.context.resolveSecret(connection.target.secretRef);
      const caRef = connection.target.tls.caRef;
      const ca = caRef === null ? null : await this.context.resolveSecret(caRef);
      this.target = await connectTarget(
        {
          connection,
          address,
          ca,
          password,
          capabilities: login.capabilities,
          characterSet: login.response.characterSet,
          maxPacketSize: login.response.maxPacketSize,
          attributes: login.response.attributes,
          revealPassword: (link) => this.context.revealPassword({ host, port, address }, 'cleartext', link),
          countBytes: (bytes) => (this.state.bytesFromTarget += bytes),
        },
        connect.signal,
      );
      this.logger.debug({ plugin: this.target.plugin, encrypted: this.target.encrypted }, 'target login done');
    } catch (error) {
      throw this.targetFailure(error, connect.signal);
    } finally {
      connect.clear();
    }
  }

  private targetFailure(error: unknown, signal: AbortSignal): SessionEnd {
    if (error instanceof SessionEnd) return error;
    if (this.context.signal.aborted) return endForAbort(this.context.signal);
    const unreachable = (message: string, log: string): SessionEnd =>
      new SessionEnd('target_unreachable', log, { code: errorCode(Errors.AbortingConnection), message });
    if (signal.aborted) return unreachable('the target server did not answer in time', 'target connect timeout');
    if (error instanceof ReachRefusedError) return unreachable(`Postern: ${error.message}`, error.message);
    if (error instanceof SecretUnavailableError) {
      // Gone, unreadable or empty: fail closed; the log (not the client) names the secret.
      return unreachable('Postern: the agent cannot read the target secret of this connection', error.message);
    }
    if (error instanceof TargetRefusedError) {
      return unreachable('the target server refused the login of the Postern agent (see the agent log)', error.message);
    }
    if (
      error instanceof TargetUnavailableError ||
      error instanceof MySqlProtocolError ||
      error instanceof PeerClosedError
    ) {
      return unreachable('the target server is not available', describeError(error));
    }
    return unreachable('the target server is not available', describeError(error));
  }

  /** Runs a client-facing step, mapping the client's failures and the deadline to a SessionEnd. */
  private async clientPhase<T>(step: () => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof SessionEnd) throw error;
      if (this.context.signal.aborted) throw endForAbort(this.context.signal);
      if (signal.aborted) {
        throw new SessionEnd('auth_failed', 'authentication timeout', {
          kind: 'timeout',
          message: 'Postern: login timed out',
        });
      }
      if (error instanceof PeerClosedError) throw new SessionEnd('client_closed', error.message);
      if (error instanceof MySqlProtocolError) {
        throw new SessionEnd('protocol_error', `client protocol error: ${error.message}`, {
          code: errorCode(Errors.BadHandshake),
          message: 'Bad handshake',
        });
      }
      throw error;
    }
  }

  private unexpected(error: unknown): SessionEnd {
    if (this.context.signal.aborted) return endForAbort(this.context.signal);
    this.logger.error({ err: error }, 'mysql session failed');
    return new SessionEnd('error', describeError(error), { kind: 'internal', message: 'internal error' });
  }

  /** Tells the client why (if it should know), closes both sides, reports once. */
  private async close(end: SessionEnd): Promise<void> {
    const stream = this.link.stream;
    if (end.fatal !== undefined && stream.writable) {
      const sequenceId = this.filter === undefined ? this.link.sequenceId : this.state.nextToClient;
      stream.write(fatalPacket(end.fatal, sequenceId));
    }
    this.buffers?.release();
    if (this.target !== undefined) {
      closeTarget(this.target.stream, this.terminateForwarded ? null : QUIT, this.settings.closeGraceMs);
    }
    const level = end.reason === 'error' ? 'error' : 'debug';
    this.logger[level]({ reason: end.reason, error: end.message, ...this.counters() }, 'mysql session ended');
    this.filter?.sessionEnded(end.reason);
    auditPolicySummary(this.context, () => this.filter?.summary(), this.logger);
    const summary: SessionSummary = { endReason: end.reason, ...this.counters() };
    if (!end.clean) summary.error = end.message;
    try {
      this.context.closed(summary);
    } catch (error) {
      this.logger.error({ err: error }, 'closed() callback failed');
    }
    stream.end();
    await settle(stream, this.settings.closeGraceMs);
    this.tlsSocket?.destroy();
    this.client.destroy();
  }

  private counters(): Pick<SessionSummary, 'bytesFromClient' | 'bytesFromTarget' | 'statementCount'> {
    const { bytesFromClient, bytesFromTarget, statementCount } = this.state;
    return { bytesFromClient, bytesFromTarget, statementCount };
  }
}

const QUIT = packet(Buffer.of(0x01), 0);

/** Stands in for a connection name the policy does not have: no credential or rule can match it. */
function unknownConnection(name: string): ResolvedConnection {
  return {
    id: '',
    name,
    protocol: 'mysql',
    target: { host: '', port: 0, user: '', secretRef: '', tls: { mode: 'verify-full', caRef: null }, settings: {} },
    recordingMode: 'strict',
  };
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
    stream.resume();
  });
}

function ignore(): void {}
