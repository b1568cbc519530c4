import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import ssh2 from 'ssh2';
import { encodeRelayedKeyProof } from '@postern/contracts';
import type { RelayRefusal } from '../core/front-door.js';
import { bridgeForward, SessionBridge } from './channel-bridge.js';
import type { RelayHostKey } from './relay-host-key.js';
import { parseSshUser, type SshLoginName } from './ssh-login.js';

/**
 * Ciphers offered, to clients and to the agent: the agent engine's list (AES-GCM, then AES-CTR; not
 * chacha20-poly1305, computed in JavaScript by ssh2 without its native binding). OpenSSH's client
 * picks aes128-ctr + hmac-sha2-256-etm from it; GCM only measured no faster (docs/benchmarks.md).
 */
export const RELAY_CIPHERS: ssh2.CipherAlgorithm[] = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
];

/** Failed authentications on one connection before it is closed (OpenSSH's MaxAuthTries is 6). */
const MAX_AUTH_FAILURES = 3;
const AUTH_METHODS: ssh2.AuthenticationType[] = ['publickey', 'keyboard-interactive', 'password'];
/** Key queries (a client asking whether a key would do, before signing) answered per connection. */
const MAX_KEY_QUERIES = 20;
/** SSH_DISCONNECT reason codes (RFC 4253 §11.1) for refusals that are not a wrong credential. */
const DISCONNECT_SERVICE_NOT_AVAILABLE = 7;
const DISCONNECT_TOO_MANY_CONNECTIONS = 12;
/** After the end, how long the client has to read what was sent before its socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/** What a relay session needs of its front door. */
export interface SshRelayHost {
  readonly hostKey: RelayHostKey;
  readonly authTimeoutMs: number;
  readonly logger: Logger;
  /**
   * Routes the login (the relay core checks it first) and logs in to the agent's SSH engine with
   * the same user name and credential, verifying the agent's published host key.
   */
  connectAgent(login: SshLoginName, secret: SshRelaySecret, clientAddress: string): Promise<ssh2.Client | RelayRefusal>;
  /** A key query: whether `publicKey` is registered to the login's user, who may use the connection. */
  knowsKey(login: SshLoginName, publicKey: Buffer): Promise<boolean>;
}

/**
 * What the client authenticated with: the Postern credential, or a public key whose signature the
 * relay verified, with that signature passed on as the agent's proof (@postern/contracts ssh-key-proof).
 */
export type SshRelaySecret = { password: string } | { publicKey: Buffer; proof: string };

/**
 * One client of the SSH relay: the relay terminates SSH itself (the bytes are encrypted end to
 * end, so nothing else could learn the connection name or the credential), authenticates the
 * client by password or keyboard-interactive with the Postern credential in `<login>+<connection>`,
 * and only accepts once the agent's engine has accepted the same login on the relay's own SSH
 * connection to it. Then every channel is carried across (channel-bridge.ts). Global requests
 * (remote forwarding) and streamlocal are refused, as the agent refuses them.
 */
export class SshRelaySession {
  private upstream: ssh2.Client | null = null;
  private connection: ssh2.Connection | null = null;
  private failures = 0;
  private keyQueries = 0;
  /** A login being checked: a client that sends another before the answer is refused outright. */
  private checking = false;
  /** Client channels open now. */
  private readonly open = new Set<ssh2.ServerChannel>();
  private drainedChannels: (() => void) | null = null;
  private finished = false;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Duplex,
    private readonly clientAddress: string,
    private readonly host: SshRelayHost,
  ) {
    this.authTimer = setTimeout(() => this.finish('authentication timed out'), host.authTimeoutMs);
    socket.on('error', () => this.finish('client socket error'));
    socket.on('close', () => this.finish());
    const server = new ssh2.Server({
      hostKeys: [{ key: host.hostKey.key as unknown as Buffer }],
      ident: 'Postern',
      algorithms: { cipher: RELAY_CIPHERS },
    });
    server.on('connection', (connection) => this.accept(connection));
    server.on('error', () => undefined);
    // ssh2 serves any stream that behaves like a socket (forwarded clients arrive as a Duplex too).
    server.injectSocket(socket as Socket);
  }

  private accept(connection: ssh2.Connection): void {
    this.connection = connection;
    (connection as unknown as { setNoDelay?(noDelay: boolean): void }).setNoDelay?.(true);
    connection.on('authentication', (ctx) => this.authenticate(ctx));
    connection.on('ready', () => clearTimeout(this.authTimer));
    // Registered synchronously: a channel opened with no listener is refused by ssh2.
    connection.on('session', (accept, reject) => {
      if (!this.upstream) return reject();
      const session = accept();
      if (session) new SessionBridge(session, this.upstream, (channel) => this.track(channel));
    });
    connection.on('tcpip', (accept, reject, info) => {
      if (!this.upstream) return reject();
      bridgeForward(this.upstream, () => this.track(accept()), reject, info);
    });
    connection.on('request', (_accept, reject) => reject?.());
    connection.on('openssh.streamlocal', (_accept, reject) => reject());
    connection.on('error', (error) => this.finish(`ssh protocol error: ${error.message}`));
    connection.on('close', () => this.finish());
  }

  private authenticate(ctx: ssh2.AuthContext): void {
    if (this.upstream !== null) return ctx.reject();
    const login = parseSshUser(ctx.username);
    const attempt = (secret: SshRelaySecret): void => {
      if (this.checking) return this.failed(ctx, 'a second login while the first is being checked');
      if (login === null)
        return this.failed(ctx, `user name "${ctx.username.slice(0, 80)}" is not <login>+<connection>`);
      this.checking = true;
      void this.host.connectAgent(login, secret, this.clientAddress).then(
        (result) => {
          this.checking = false;
          if (this.finished) {
            if (!('kind' in result)) result.end();
            return;
          }
          if ('kind' in result) return this.refused(ctx, result);
          this.upstream = result;
          result.on('error', (error) => this.host.logger.debug({ err: error }, 'ssh relay: agent connection error'));
          result.on('close', () => this.agentGone());
          ctx.accept();
        },
        (error: unknown) => {
          this.checking = false;
          this.refused(ctx, { kind: 'unavailable', message: (error as Error).message });
        },
      );
    };
    switch (ctx.method) {
      case 'password':
        return attempt({ password: ctx.password });
      case 'keyboard-interactive':
        return ctx.prompt([{ prompt: 'Postern credential: ', echo: false }], (answers) =>
          attempt({ password: answers[0] ?? '' }),
        );
      case 'publickey':
        return this.publicKey(ctx, login, attempt);
      default:
        // `none`: say which methods work (no failure counted for the probe).
        return ctx.reject(AUTH_METHODS);
    }
  }

  /**
   * A key query is answered from the database (no failure counted, at most MAX_KEY_QUERIES); a
   * signed request is verified here, then the key is checked by the relay core and the signed
   * data handed to the agent, which verifies the signature again and admits the key itself.
   */
  private publicKey(
    ctx: ssh2.PublicKeyAuthContext,
    login: SshLoginName | null,
    attempt: (secret: SshRelaySecret) => void,
  ): void {
    const { signature, blob } = ctx;
    if (signature === undefined || blob === undefined) {
      this.keyQueries += 1;
      if (login === null || this.keyQueries > MAX_KEY_QUERIES || this.checking) return ctx.reject(AUTH_METHODS);
      void this.host.knowsKey(login, ctx.key.data).then(
        (known) => {
          if (!this.finished) return known ? ctx.accept() : ctx.reject(AUTH_METHODS);
        },
        () => {
          if (!this.finished) ctx.reject(AUTH_METHODS);
        },
      );
      return;
    }
    if (!signatureValid(ctx.key.data, blob, signature, ctx.hashAlgo))
      return this.failed(ctx, 'the public-key signature does not verify');
    const proof = encodeRelayedKeyProof({
      publicKey: ctx.key.data,
      signed: blob,
      signature,
      hashAlgo: ctx.hashAlgo ?? '',
    });
    attempt({ publicKey: ctx.key.data, proof });
  }

  /** Counts a client channel while it is open (the end waits for them, see agentGone). */
  private track<T extends ssh2.ServerChannel | undefined>(channel: T): T {
    if (!channel) return channel;
    this.open.add(channel);
    channel.once('close', () => {
      this.open.delete(channel);
      if (this.open.size === 0) this.drainedChannels?.();
    });
    return channel;
  }

  /**
   * The agent ended the connection (revocation, expiry, the target gone): its last words are on
   * the channels (reason on stderr, exit status), on their way to the client. OpenSSH drops what
   * it has not written yet when the server disconnects, so the client is disconnected only once it
   * has closed its channels, or after the grace.
   */
  private agentGone(): void {
    if (this.finished) return;
    if (this.open.size === 0) return this.finish('the agent closed the connection');
    const timer = setTimeout(() => this.finish('the agent closed the connection'), CLOSE_GRACE_MS);
    this.drainedChannels = () => {
      clearTimeout(timer);
      this.finish('the agent closed the connection');
    };
  }

  private refused(ctx: ssh2.AuthContext, refusal: RelayRefusal): void {
    if (refusal.kind === 'auth_failed' || refusal.kind === 'no_access') return this.failed(ctx, refusal.message);
    // Busy or no agent: another password cannot help. Say so with the disconnect reason.
    this.host.logger.info(
      { clientAddress: this.clientAddress, refusal: refusal.kind },
      `ssh relay: ${refusal.message}`,
    );
    ctx.reject();
    this.disconnect(refusal.kind === 'busy' ? DISCONNECT_TOO_MANY_CONNECTIONS : DISCONNECT_SERVICE_NOT_AVAILABLE);
  }

  /** A wrong credential, an unknown connection and no access look the same to the client. */
  private failed(ctx: ssh2.AuthContext, reason: string): void {
    this.failures += 1;
    this.host.logger.info(
      { clientAddress: this.clientAddress, failures: this.failures },
      `ssh relay login refused: ${reason}`,
    );
    ctx.reject(AUTH_METHODS);
    if (this.failures >= MAX_AUTH_FAILURES) this.finish('too many authentication failures');
  }

  private disconnect(reason: number): void {
    // ssh2 exposes no disconnect with a reason on server connections; its protocol object does.
    const protocol = (this.connection as unknown as { _protocol?: { disconnect(reason: number): void } })._protocol;
    try {
      protocol?.disconnect(reason);
    } catch {
      // the socket is closed below anyway
    }
    this.finish();
  }

  private finish(reason?: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.authTimer);
    if (reason) this.host.logger.debug({ clientAddress: this.clientAddress, reason }, 'ssh relay session ended');
    this.upstream?.end();
    if (this.connection) this.connection.end();
    else this.socket.end();
    // Let what is written (a disconnect, channel output) leave, then make sure the socket is gone.
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/** Whether the client's signature was made by the key it offered (ssh2 leaves this to the server). */
function signatureValid(publicKey: Buffer, signed: Buffer, signature: Buffer, hashAlgo?: string): boolean {
  const key = ssh2.utils.parseKey(publicKey);
  // The parsed key must be the offered blob itself, not a key derived from part of it.
  if (key instanceof Error || !key.getPublicSSH().equals(publicKey)) return false;
  try {
    return key.verify(signed, signature, hashAlgo as never) === true;
  } catch {
    return false;
  }
}
