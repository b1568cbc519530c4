import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import { deadline, describeError, endForAbort, SessionEnd } from '../common/index.js';
import type { EngineContext, SessionSummary } from '../engine.js';
import { ClientAuth, type Authenticated } from './client-auth.js';
import { allowedDestinations, forwardLocal } from './forwarding.js';
import type { HostKey } from './host-key.js';
import { SessionChannel, type ChannelHost, type Closable } from './session-channel.js';
import type { UsedSessionIds } from './relayed-key.js';
import { connectUpstream } from './upstream.js';

/**
 * Ciphers offered to clients: AES-GCM first, then AES-CTR (with ssh2's HMACs); not
 * chacha20-poly1305, which ssh2 computes in JavaScript without its optional native binding (not
 * built here: no install scripts). The client's order decides (RFC 4253 §7.1): OpenSSH, which
 * lists CTR before GCM, picks aes128-ctr with hmac-sha2-256-etm. Offering GCM only was measured
 * against this list in the same run (bench/ssh.mjs --compare-ciphers, docs/benchmarks.md): no
 * difference in CPU per MB or throughput beyond noise, so clients without GCM keep working.
 */
export const CLIENT_CIPHERS: ssh2.CipherAlgorithm[] = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
];

export interface SshSessionSettings {
  authTimeoutMs: number;
  targetConnectTimeoutMs: number;
  maxAuthAttempts: number;
  /** Terminal output recorded per channel; past it the channel's recording is marked truncated. */
  recordingMaxBytes: number;
  /** After an end with a message, how long the client has to read it before the socket is destroyed. */
  closeGraceMs: number;
}

/**
 * One client connection of the SSH engine: an ssh2 server on the client's Duplex with the
 * engine's host key, authentication with the Postern credential (client-auth.ts), one ssh2
 * client to the target (upstream.ts) opened once the client is authenticated, and the client's
 * channels relayed to it (session-channel.ts, forwarding.ts). Remote forwarding
 * (tcpip-forward), streamlocal, agent forwarding and X11 are refused.
 */
export class SshSession implements ChannelHost {
  readonly recordingMaxBytes: number;
  private authenticated: Authenticated | null = null;
  private target: Promise<ssh2.Client> | null = null;
  private targetClient: ssh2.Client | null = null;
  private connection: ssh2.Connection | null = null;
  private readonly channels = new Set<Closable>();
  private channelIds = 0;
  private readonly summary: SessionSummary = {
    endReason: 'client_closed',
    bytesFromClient: 0,
    bytesFromTarget: 0,
    statementCount: 0,
  };
  private finished = false;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly client: Duplex,
    readonly context: EngineContext,
    private readonly settings: SshSessionSettings,
    private readonly hostKey: HostKey,
    private readonly usedProofs: UsedSessionIds,
    private readonly ciphers: readonly ssh2.CipherAlgorithm[] = CLIENT_CIPHERS,
  ) {
    this.recordingMaxBytes = settings.recordingMaxBytes;
  }

  async run(): Promise<void> {
    const { context } = this;
    if (context.signal.aborted) {
      this.client.destroy();
      return;
    }
    const auth = deadline(context.signal, this.settings.authTimeoutMs);
    auth.signal.addEventListener('abort', () => {
      if (this.authenticated === null) this.finish(new SessionEnd('auth_failed', 'authentication timed out'));
    });
    const onAbort = (): void => this.finish(endForAbort(context.signal));
    context.signal.addEventListener('abort', onAbort, { once: true });
    this.client.on('error', (error) => this.finish(new SessionEnd('client_closed', describeError(error))));
    this.client.on('close', () => this.finish(SessionEnd.clean('client_closed', 'client closed')));

    // ssh2 takes an already parsed key as `{ key }` (parsed once per engine, not per session).
    const hostKey = { key: this.hostKey.key as unknown as Buffer };
    const server = new ssh2.Server({
      hostKeys: [hostKey],
      ident: 'Postern',
      algorithms: { cipher: [...this.ciphers] },
    });
    server.on('connection', (connection) => this.accept(connection, () => auth.clear()));
    server.on('error', () => undefined);
    // ssh2 serves any stream that behaves like a socket; relayed sessions arrive as a plain Duplex.
    server.injectSocket(this.client as Socket);
    await this.done;
    auth.clear();
    context.signal.removeEventListener('abort', onAbort);
  }

  upstream(): Promise<ssh2.Client> {
    if (this.target === null) return Promise.reject(new Error('not authenticated'));
    return this.target;
  }

  nextChannelId(): number {
    return this.channelIds++;
  }

  track(channel: Closable): () => void {
    this.channels.add(channel);
    return () => this.channels.delete(channel);
  }

  countFromClient(bytes: number): void {
    this.summary.bytesFromClient += bytes;
  }

  countFromTarget(bytes: number): void {
    this.summary.bytesFromTarget += bytes;
  }

  countCommand(): void {
    this.summary.statementCount += 1;
  }

  private accept(connection: ssh2.Connection, authenticated: () => void): void {
    this.connection = connection;
    // Keystrokes go out at once (no Nagle delay): every SSH packet is already a whole message.
    // (ssh2's server-side connection has setNoDelay; its typings lack it.)
    (connection as unknown as { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    const auth = new ClientAuth(
      this.context,
      this.settings.maxAuthAttempts,
      (who) => {
        this.authenticated = who;
      },
      (message) => this.finish(new SessionEnd('auth_failed', message)),
      this.usedProofs,
    );
    connection.on('authentication', (ctx) => auth.handle(ctx));
    connection.on('ready', () => {
      const who = this.authenticated;
      if (who === null) return this.finish(new SessionEnd('auth_failed', 'ready without authentication'));
      authenticated();
      this.context.opened(who.principal, who.connection);
      this.target = this.openTarget(who);
    });
    // Registered synchronously: a channel opened with no listener is refused by ssh2.
    connection.on('session', (accept) => {
      const session = accept();
      if (session) new SessionChannel(session, this);
    });
    connection.on('tcpip', (accept, reject, info) => {
      const allowed = allowedDestinations(this.authenticated?.connection.target.settings ?? {});
      forwardLocal(this, allowed, accept, reject, info);
    });
    connection.on('request', (_accept, reject, name) => {
      this.context.logger.info({ request: name }, 'ssh global request refused');
      reject?.();
    });
    connection.on('openssh.streamlocal', (_accept, reject) => reject());
    connection.on('error', (error) => this.finish(new SessionEnd('protocol_error', describeError(error))));
    connection.on('close', () => this.finish(SessionEnd.clean('client_closed', 'client closed')));
  }

  private openTarget(who: Authenticated): Promise<ssh2.Client> {
    const opening = connectUpstream(who.connection, this.context, { timeoutMs: this.settings.targetConnectTimeoutMs });
    opening.then(
      (client) => {
        this.targetClient = client;
        if (this.finished) return client.end();
        client.on('error', (error) => this.context.logger.warn({ err: error }, 'ssh target connection error'));
        client.on('close', () =>
          this.finish(
            new SessionEnd('target_closed', 'target connection closed', {
              kind: 'connection_lost',
              message: `the connection to "${who.connection.name}" was closed by the target`,
            }),
          ),
        );
      },
      (error: unknown) => {
        const end = error instanceof SessionEnd ? error : new SessionEnd('target_unreachable', describeError(error));
        this.context.logger.warn(`ssh target: ${end.message}`);
        this.summary.endReason = end.reason;
        this.summary.error = end.message;
      },
    );
    return opening;
  }

  /**
   * Ends the session once. Open channels are told why first, and the client is disconnected only
   * once it has closed them (or after closeGraceMs): OpenSSH's client exits on a disconnect
   * without writing the channel output it still holds, the message included.
   */
  private finish(end: SessionEnd): void {
    if (this.finished) return;
    this.finished = true;
    if (this.summary.error === undefined || end.reason !== 'client_closed') {
      this.summary.endReason = end.reason;
      if (!end.clean) this.summary.error = end.message;
    }
    const message = end.fatal?.message;
    const told =
      message === undefined ? [] : [...this.channels].map((channel) => channel.endWithMessage(`Postern: ${message}`));
    let grace: NodeJS.Timeout | undefined;
    const timeUp = new Promise<void>((resolve) => (grace = setTimeout(resolve, this.settings.closeGraceMs)));
    void Promise.race([Promise.all(told), timeUp]).then(() => {
      clearTimeout(grace);
      this.targetClient?.end();
      this.context.closed(this.summary);
      // Sends the disconnect and ends the stream; a peer that does not close in time is cut off.
      this.connection?.end();
      this.client.end();
      setTimeout(() => this.client.destroy(), this.settings.closeGraceMs).unref();
      this.resolveDone();
    });
  }
}
