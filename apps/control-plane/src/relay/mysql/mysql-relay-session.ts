import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import {
  AuthPlugin,
  Capability,
  decodeClientHandshake,
  encodeAuthSwitchRequest,
  encodeErr,
  encodeHandshakeV10,
  GATEWAY_CAPABILITIES,
  GATEWAY_REQUIRED_CAPABILITIES,
  gatewayGreeting,
  leadingPacket,
  MySqlProtocolError,
  packet,
  ServerError,
  type HandshakeResponse41,
  type ServerErrorCode,
  nameConnection,
} from '@postern/wire-mysql';
import type { ForwardedRoute, LocalRoute, RelayLogin } from '../core/front-door.js';
import { loginToAgent } from './agent-login.js';

/** A refusal in MySQL's words: the server error and its message. */
export interface MysqlRefusal {
  error: ServerErrorCode;
  message: string;
}

/** What a MySQL relay session needs from the control plane; implemented by the front door. */
export interface MysqlSessionHost {
  /**
   * Checks the login, then opens a data connection to the agent serving `login.connection` — on
   * this replica, or through the replica holding the agent's stream — or explains why not.
   */
  route(login: RelayLogin, clientAddress: string): Promise<LocalRoute | ForwardedRoute | MysqlRefusal>;
}

export interface MysqlSessionOptions {
  /** The relay's certificate: TLS is offered, and required. Null: plaintext (development). */
  tls: SecureContext | null;
  /** The connection id our greeting shows the client. */
  connectionId: number;
  /** From the greeting until the client is joined to its agent (MySQL's connect_timeout is 10 s). */
  handshakeTimeoutMs: number;
  /** Longest credential accepted (OIDC tokens run to a few KiB); the agent's engine allows as much. */
  maxPasswordBytes: number;
}

/** A handshake response carries a user, a connection name and attributes; an OIDC token is longer. */
const PRE_LOGIN_PACKET_LIMIT = 64 * 1024;

type Phase = 'opening' | 'password' | 'routing' | 'joined';

/**
 * One client connection on the control plane's MySQL relay listener. It greets with the same
 * HandshakeV10 the agent's engine would (capabilities from wire-mysql's GATEWAY_CAPABILITIES),
 * answers an SSLRequest with the relay's TLS (required when the relay has a certificate), reads
 * the HandshakeResponse41 (database = connection name) and asks for the credential with an
 * AuthSwitchRequest to mysql_clear_password. The router checks that login before any agent is
 * asked for a tunnel; then the session logs in to the agent's engine on the client's behalf (the
 * agent checks the credential again: the relay is not trusted blindly), hands the client the
 * engine's OK renumbered into the client's exchange, and relays raw bytes. The agent's engine is
 * the one place that reads commands.
 */
export class MysqlRelaySession {
  private client: Duplex;
  private held: Buffer = Buffer.alloc(0);
  private phase: Phase = 'opening';
  private encrypted = false;
  /** Sequence id of our next packet to the client. */
  private sequenceId = 1;
  private response: HandshakeResponse41 | null = null;
  /** The connection and login the handshake names (nameConnection). */
  private named: { user: string; connection: string } | null = null;
  /** The agent side (data connection or internal link) while logging in, before the join. */
  private upstream: Duplex | null = null;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    socket: Duplex,
    private readonly clientAddress: string,
    private readonly options: MysqlSessionOptions,
    private readonly host: MysqlSessionHost,
    private readonly logger: Logger,
  ) {
    this.client = socket;
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    this.timer = setTimeout(() => this.refuse(ServerError.Timeout, 'Handshake timed out'), options.handshakeTimeoutMs);
    const capabilities = (GATEWAY_CAPABILITIES | (options.tls ? Capability.SSL : 0)) >>> 0;
    socket.write(packet(encodeHandshakeV10(gatewayGreeting(capabilities, options.connectionId)), 0));
    socket.on('data', this.onData);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    try {
      // While routing, a client that does not wait for its OK has its bytes kept for the agent.
      while (this.phase === 'opening' || this.phase === 'password') {
        const next = leadingPacket(this.held, PRE_LOGIN_PACKET_LIMIT);
        if (next === null) return;
        this.held = this.held.subarray(next.length);
        this.sequenceId = (next.sequenceId + 1) & 0xff;
        this.onPacket(next.payload);
        if (this.closed) return;
      }
      if (this.held.length >= PRE_LOGIN_PACKET_LIMIT)
        this.refuse(ServerError.PacketTooLarge, 'Got a packet bigger than expected before login');
    } catch (error) {
      if (error instanceof MySqlProtocolError && error.code === 'MESSAGE_TOO_LARGE') {
        return this.refuse(ServerError.PacketTooLarge, 'Got a packet bigger than expected before login');
      }
      this.refuse(ServerError.BadHandshake, 'Bad handshake', error);
    }
  };

  private onPacket(payload: Buffer): void {
    if (this.phase === 'password') return this.onPassword(payload);
    const opening = decodeClientHandshake(payload);
    if (opening.type === 'SslRequest') return this.startTls();
    this.onResponse(opening.message);
  }

  private startTls(): void {
    if (!this.options.tls || this.encrypted) {
      return this.refuse(ServerError.BadHandshake, 'Bad handshake', new Error('unexpected SSLRequest'));
    }
    const plain = this.client;
    plain.off('data', this.onData);
    plain.pause();
    // A client does not wait after its SSLRequest (there is no answer): its ClientHello may have
    // come in the same chunk, and belongs to the TLS socket, which reads what is buffered first.
    if (this.held.length > 0) plain.unshift(this.held);
    this.held = Buffer.alloc(0);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.options.tls });
    secure.on('error', () => this.close());
    secure.on('close', () => this.close());
    secure.on('data', this.onData);
    this.client = secure;
    this.encrypted = true;
  }

  private onResponse(response: HandshakeResponse41): void {
    if (this.options.tls && !this.encrypted) {
      return this.refuse(
        ServerError.SecureTransportRequired,
        'Connections using insecure transport are prohibited by the Postern relay: connect with TLS (mariadb --ssl, or ssl-mode=REQUIRED)',
      );
    }
    if ((response.capabilityFlags & GATEWAY_REQUIRED_CAPABILITIES) !== GATEWAY_REQUIRED_CAPABILITIES) {
      return this.refuse(
        ServerError.AuthModeNotSupported,
        'Client does not support the authentication protocol of the Postern relay (4.1 protocol with plugin auth)',
      );
    }
    // The connection is the database, or — for clients that connect without one (mysqldump) — the
    // end of the user name (`<login>+<connection>`), read as the agent's engine reads it.
    const named = nameConnection(response.username, response.database);
    if (!named) {
      return this.refuse(
        ServerError.NoDatabaseSelected,
        'No database selected: name the Postern connection as the database, or in the user name as <user>+<connection>',
      );
    }
    this.named = named;
    this.response = response;
    if (response.authPluginName === AuthPlugin.CLEAR_PASSWORD && response.authResponse.length > 0) {
      return this.onPassword(response.authResponse);
    }
    // We need the credential itself, never a scramble: MariaDB's clients answer this by default,
    // mysql2 with enableCleartextPlugin, Oracle's mysql with --enable-cleartext-plugin.
    const request = encodeAuthSwitchRequest({ pluginName: AuthPlugin.CLEAR_PASSWORD, pluginData: Buffer.of(0) });
    this.client.write(packet(request, this.sequenceId));
    this.sequenceId = (this.sequenceId + 1) & 0xff;
    this.phase = 'password';
  }

  private onPassword(answer: Buffer): void {
    const response = this.response!;
    const end = answer.indexOf(0);
    const bytes = end < 0 ? answer : answer.subarray(0, end);
    const denied = `Access denied for user '${response.username}'`;
    if (bytes.length === 0) return this.refuse(ServerError.AccessDenied, `${denied} (using password: NO)`);
    if (bytes.length > this.options.maxPasswordBytes) {
      return this.refuse(ServerError.AccessDenied, `${denied} (password too long)`);
    }
    this.phase = 'routing';
    void this.join({ connection: this.named!.connection, user: this.named!.user, password: bytes.toString('utf8') });
  }

  private async join(login: RelayLogin): Promise<void> {
    const routed = await this.host.route(login, this.clientAddress).catch((error: unknown): MysqlRefusal => {
      this.logger.warn({ err: error, clientAddress: this.clientAddress }, 'mysql relay could not route a login');
      return {
        error: ServerError.AbortingConnection,
        message: 'the agent serving this connection could not be reached',
      };
    });
    if ('error' in routed) return this.refuse(routed.error, routed.message);
    const upstream = 'link' in routed ? routed.link : routed.data;
    upstream.on('error', (error: Error) => {
      this.logger.debug({ err: error, clientAddress: this.clientAddress }, 'mysql relay upstream ended with an error');
      this.client.destroy();
    });
    if (this.closed) {
      upstream.destroy();
      return;
    }
    this.upstream = upstream;
    let verdict;
    try {
      verdict = await loginToAgent(upstream, { response: this.response!, password: login.password });
    } catch (error) {
      if (this.closed) return;
      this.logger.warn({ err: error, clientAddress: this.clientAddress }, 'mysql relay could not log in to the agent');
      upstream.destroy();
      return this.refuse(ServerError.AbortingConnection, 'the Postern agent did not complete the login');
    }
    if (this.closed) return;
    // The engine's verdict, renumbered into the client's exchange: its OK (with the target's
    // status) or its ERR (the agent's own check of the credential, or its limits).
    this.client.write(packet(verdict.payload, this.sequenceId));
    if (verdict.type === 'err') {
      this.logger.info(
        { clientAddress: this.clientAddress, user: login.user },
        'the agent refused a relayed mysql login',
      );
      upstream.destroy();
      this.client.end();
      this.close();
      return;
    }
    this.pipe(upstream, verdict.rest);
  }

  /** Relays bytes both ways with socket backpressure (pipe): the handshake is over. */
  private pipe(upstream: Duplex, fromAgent: Buffer): void {
    clearTimeout(this.timer);
    this.phase = 'joined';
    const client = this.client;
    client.off('data', this.onData);
    if (fromAgent.length > 0) client.write(fromAgent);
    if (this.held.length > 0) upstream.write(this.held);
    this.held = Buffer.alloc(0);
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('close', () => client.end());
    client.on('close', () => upstream.destroy());
    client.resume();
  }

  private refuse(error: ServerErrorCode, message: string, cause?: unknown): void {
    if (this.closed) return;
    this.logger.info(
      {
        clientAddress: this.clientAddress,
        errno: error.errno,
        reason: message,
        ...(cause instanceof Error ? { detail: cause.message } : {}),
      },
      'relay refused a connection',
    );
    this.client.write(packet(encodeErr({ code: error.errno, sqlState: error.sqlState, message }), this.sequenceId));
    this.client.end();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    if (this.phase !== 'joined') this.upstream?.destroy();
    setTimeout(() => this.client.destroy(), 1_000).unref();
  }
}
