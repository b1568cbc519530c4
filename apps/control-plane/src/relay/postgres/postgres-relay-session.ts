import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import {
  BackendCode,
  BackendParser,
  FrontendParser,
  ProtocolError,
  SqlState,
  backend,
  decodeAuthentication,
  decodeBackendKeyData,
  decodeCancelRequest,
  decodePasswordMessage,
  decodeStartupMessage,
  errorResponse,
  FrontendCode,
  type Frame,
} from '@postern/wire-postgres';
import type { ForwardedRoute, LocalRoute } from '../core/front-door.js';
import type { CancelRoute } from './cancel-routes.js';

/** A refusal in PostgreSQL's words: a SQLSTATE and its message. */
export interface PostgresRefusal {
  code: string;
  message: string;
  hint?: string;
}

/** What a PostgreSQL relay session needs from the control plane; implemented by the front door. */
export interface PostgresSessionHost {
  /**
   * Checks the login, then opens a data connection to the agent serving `login.database` — on
   * this replica, or through the replica holding the agent's stream — or explains why not.
   */
  route(
    login: { database: string; user: string; password: string },
    clientAddress: string,
  ): Promise<LocalRoute | ForwardedRoute | PostgresRefusal>;
  /** Sends a CancelRequest to the agent that issued the key, if known. */
  cancel(processId: number, secretKey: Buffer, packet: Buffer, clientAddress: string): Promise<void>;
  /** Remembers which agent issued a session's cancel key; returns the undo. */
  rememberCancelKey(processId: number, secretKey: Buffer, route: CancelRoute): () => void;
}

const STARTUP_TIMEOUT_MS = 15_000;
const PROTOCOL_3 = 3;

/**
 * One client connection on the control plane's PostgreSQL relay listener. It answers SSLRequest
 * (terminating TLS), reads the StartupMessage and asks for the password, and has the router
 * check that login before any agent is asked for a tunnel. Then it relays raw bytes to the agent
 * over the data connection the agent opened: startup and password first (the agent checks the login again; its own
 * password request is not shown to the client, who already answered ours), then everything else.
 * The agent's engine enforces policy: it is the one enforcement point.
 */
export class PostgresRelaySession {
  private client: Duplex;
  private readonly parser = new FrontendParser();
  private readonly early: Buffer[] = [];
  private tlsDone = false;
  /** The StartupMessage, while the password is awaited. */
  private startup: { frame: Buffer; database: string; user: string } | null = null;
  private routed = false;
  private closed = false;
  private startupTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Duplex,
    private readonly clientAddress: string,
    private readonly tls: SecureContext | null,
    private readonly router: PostgresSessionHost,
    private readonly logger: Logger,
    adopted?: LocalRoute,
  ) {
    this.client = socket;
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    if (adopted) {
      // A client forwarded by another replica over the internal link: that replica read the
      // startup and routed it; its bytes (startup first) arrive here raw.
      this.routed = true;
      this.pipe(adopted);
      return;
    }
    this.startupTimer = setTimeout(
      () => this.refuse(SqlState.ProtocolViolation, 'startup timed out'),
      STARTUP_TIMEOUT_MS,
    );
    this.listen(socket);
  }

  private listen(stream: Duplex): void {
    stream.on('data', this.onStartupData);
  }

  private readonly onStartupData = (chunk: Buffer): void => {
    if (this.routed) {
      this.early.push(Buffer.from(chunk));
      return;
    }
    try {
      this.parser.parse(chunk, (frame) => this.onStartupFrame(frame));
    } catch (error) {
      const message = error instanceof ProtocolError ? error.message : 'invalid startup packet';
      if (error instanceof ProtocolError && this.startup === null && isLengthError(error)) {
        // Not a startup packet at all (a Terminate first, random bytes): PostgreSQL closes
        // without a word, and so do we.
        this.logger.info({ clientAddress: this.clientAddress, reason: message }, 'relay closed a connection');
        this.client.end();
        this.close();
        return;
      }
      this.refuse(SqlState.ProtocolViolation, message);
    }
  };

  private onStartupFrame(frame: Frame): void {
    if (this.routed) {
      // Pipelined bytes after the StartupMessage (rare): kept in order for the agent.
      this.early.push(Buffer.from(frame.bytes));
      return;
    }
    switch (frame.kind) {
      case 'ssl-request':
        return this.startTls();
      case 'gssenc-request':
        this.client.write(Buffer.from('N'));
        return;
      case 'cancel-request': {
        const cancel = decodeCancelRequest(frame);
        this.close();
        // PostgreSQL closes the cancel connection once the backend is signalled; libpq and
        // asyncpg wait for that close, so it comes as soon as the request is on its way.
        void this.router
          .cancel(cancel.processId, Buffer.from(cancel.secretKey), Buffer.from(frame.bytes), this.clientAddress)
          .finally(() => this.client.end());
        return;
      }
      case 'startup':
        return this.onStartup(frame);
      case 'message':
        if (this.startup !== null && frame.code === FrontendCode.Password) return this.onPassword(frame);
        return this.refuse(SqlState.ProtocolViolation, `expected password response, got message type ${frame.code}`);
      default:
        this.refuse(SqlState.ProtocolViolation, 'unexpected message before startup');
    }
  }

  private startTls(): void {
    if (!this.tls || this.tlsDone) {
      this.client.write(Buffer.from('N'));
      return;
    }
    this.client.removeListener('data', this.onStartupData);
    this.client.write(Buffer.from('S'));
    const secure = new TLSSocket(this.client, { isServer: true, secureContext: this.tls });
    secure.on('error', () => this.close());
    secure.on('close', () => this.close());
    this.client = secure;
    this.tlsDone = true;
    this.listen(secure);
  }

  private onStartup(frame: Frame): void {
    const startup = decodeStartupMessage(frame);
    if (startup.majorVersion !== PROTOCOL_3) {
      return this.refuse(
        SqlState.FeatureNotSupported,
        `unsupported frontend protocol ${startup.majorVersion}.${startup.minorVersion}`,
      );
    }
    if (this.tls && !this.tlsDone) {
      return this.refuse(SqlState.InvalidAuthorizationSpecification, 'SSL/TLS required: connect with sslmode=require');
    }
    const user = startup.parameters.get('user') ?? '';
    if (user === '') {
      return this.refuse(
        SqlState.InvalidAuthorizationSpecification,
        'no PostgreSQL user name specified in startup packet',
      );
    }
    const database = startup.parameters.get('database') || user;
    this.startup = { frame: Buffer.from(frame.bytes), database, user };
    this.client.write(backend.authenticationCleartextPassword());
  }

  private onPassword(frame: Frame): void {
    const startup = this.startup!;
    const { password } = decodePasswordMessage(frame);
    this.routed = true;
    this.early.push(startup.frame, Buffer.from(frame.bytes));
    void this.openTunnel({ database: startup.database, user: startup.user, password });
  }

  private async openTunnel(login: { database: string; user: string; password: string }): Promise<void> {
    const routed = await this.router
      .route(login, this.clientAddress)
      .catch((error: unknown): PostgresRefusal => ({ code: '08001', message: (error as Error).message }));
    if ('code' in routed) return this.refuse(routed.code, routed.message, routed.hint);
    clearTimeout(this.startupTimer);
    if ('link' in routed) {
      if (this.closed) routed.link.destroy();
      else this.pipeLink(routed.link);
      return;
    }
    if (this.closed) {
      routed.data.destroy();
      return;
    }
    this.pipe(routed);
  }

  /**
   * Relays raw bytes to the replica that holds the agent's stream. That replica serves the
   * client like one of its own (tunnel, cancel key), so nothing is inspected here.
   */
  private pipeLink(link: Duplex): void {
    const client = this.client;
    client.removeListener('data', this.onStartupData);
    for (const chunk of this.early.splice(0)) link.write(chunk);
    client.pipe(link);
    link.pipe(client);
    link.on('error', (error: Error) => {
      this.logger.debug({ err: error, clientAddress: this.clientAddress }, 'internal link ended with an error');
      client.destroy();
    });
    link.on('close', () => client.end());
    client.on('close', () => {
      this.close();
      link.destroy();
    });
  }

  /**
   * Relays bytes both ways over the agent's data connection with socket backpressure (pipe); sniffs
   * the greeting on the way back, then steps aside.
   */
  private pipe(route: LocalRoute): void {
    const client = this.client;
    const { data, agentId, connectionId } = route;
    client.removeListener('data', this.onStartupData);
    for (const chunk of this.early.splice(0)) data.write(chunk);

    // Until the greeting is over, the agent's bytes go message by message: its password request
    // is dropped (the client answered ours) and its cancel key remembered. Then a plain pipe, once
    // no message is left half-read.
    const sniffer = new BackendParser();
    let greeted = false;
    let passwordAsked = false;
    let forget: (() => void) | undefined;
    const greeting = (chunk: Buffer): { out: Buffer; done: boolean } => {
      const out: Buffer[] = [];
      try {
        sniffer.parse(chunk, (f) => {
          if (f.kind === 'message' && f.code === BackendCode.Authentication && !passwordAsked) {
            if (decodeAuthentication(f).type === 'AuthenticationCleartextPassword') {
              passwordAsked = true;
              return;
            }
          }
          out.push(f.bytes);
          if (f.kind !== 'message') return;
          if (f.code === BackendCode.BackendKeyData) {
            const key = decodeBackendKeyData(f);
            forget = this.router.rememberCancelKey(key.processId, Buffer.from(key.secretKey), {
              agentId,
              connectionId,
            });
          } else if (f.code === BackendCode.ReadyForQuery || f.code === BackendCode.ErrorResponse) greeted = true;
        });
      } catch {
        // Not the protocol we expected: pass the rest through untouched.
        return { out: chunk, done: true };
      }
      return { out: out.length === 1 ? out[0]! : Buffer.concat(out), done: greeted && sniffer.bufferedBytes === 0 };
    };
    const onGreeting = (chunk: Buffer) => {
      const { out, done } = greeting(chunk);
      if (out.length > 0 && !client.write(out)) {
        data.pause();
        client.once('drain', () => data.resume());
      }
      if (done) {
        // Synchronously, so no chunk falls between the sniffer and the pipe.
        data.removeListener('data', onGreeting);
        data.pipe(client);
      }
    };
    data.on('data', onGreeting);
    client.pipe(data);
    data.on('error', (error: Error) => {
      this.logger.debug({ err: error, clientAddress: this.clientAddress }, 'relay data connection ended with an error');
      client.destroy();
    });
    data.on('close', () => client.end());
    client.on('close', () => {
      forget?.();
      this.close();
      data.destroy();
    });
    data.resume();
  }

  private refuse(code: string, message: string, hint?: string): void {
    if (this.closed) return;
    this.logger.info({ clientAddress: this.clientAddress, code, reason: message }, 'relay refused a connection');
    this.client.write(errorResponse({ severity: 'FATAL', code, message, ...(hint === undefined ? {} : { hint }) }));
    this.client.end();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.startupTimer);
    setTimeout(() => this.client.destroy(), 1_000).unref();
  }
}

function isLengthError(error: ProtocolError): boolean {
  return error.code === 'INVALID_LENGTH' || error.code === 'MESSAGE_TOO_LARGE';
}
