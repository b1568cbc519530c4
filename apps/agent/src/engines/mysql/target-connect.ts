import { isIP, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  AuthPlugin,
  CachingSha2,
  cachingSha2Password,
  Capability,
  cachingSha2Marker,
  clearPassword,
  decodeAuthReply,
  decodeHandshakeV10,
  ed25519Password,
  encodeHandshakeResponse41,
  encodeSslRequest,
  hasCapability,
  nativePassword,
  packet,
  PacketReader,
  rsaEncryptPassword,
  scrambleOf,
  type HandshakeV10,
  type Message,
  type OkPacket,
  type SessionCapabilities,
} from '@postern/wire-mysql';
import type { PasswordLink } from '../../reach/agent-reach.js';
import type { ResolvedConnection } from '../engine.js';
import { FrameReader } from '../common/frame-reader.js';
import { tlsHandshake } from '../common/tls.js';

/** Capabilities whose absence at the target would change a layout the client already agreed to. */
const LAYOUT_CAPABILITIES = Capability.PROTOCOL_41 | Capability.DEPRECATE_EOF | Capability.SESSION_TRACK;

/** The target refused or could not complete the transport or the login; the message has no secret. */
export class TargetUnavailableError extends Error {
  override readonly name = 'TargetUnavailableError';
}

/** The target answered the login with an ERR. Its text is for logs, not for the client. */
export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';

  constructor(
    readonly errno: number,
    readonly targetMessage: string,
  ) {
    super(`the target refused the session: ${errno} ${targetMessage}`);
  }
}

export interface TargetLogin {
  connection: ResolvedConnection;
  /** The dialled address (allow-listed, DNS pinned). */
  address: string;
  /** PEM CA from the connection's caRef; null: Node's roots. */
  ca: string | null;
  /** Never logged, never put in an error message. */
  password: string;
  /** The capabilities the client session runs with: the target is asked for the same. */
  capabilities: SessionCapabilities;
  characterSet: number;
  maxPacketSize: number;
  attributes: [string, string][] | undefined;
  /** Throws unless the password may go in clear (or RSA-wrapped with an unpinned key) over `link`. */
  revealPassword(link: PasswordLink): void;
  countBytes(bytes: number): void;
}

export interface ConnectedTarget {
  stream: Duplex;
  packets: PacketReader;
  /** Messages the target sent after its login OK in the same read (normally none). */
  pending: Message[];
  greeting: HandshakeV10;
  ok: OkPacket;
  /** The auth plugin the login ended with (for the log). */
  plugin: string;
  encrypted: boolean;
}

/**
 * Opens the target: TCP to the allow-listed address, TLS per the connection's mode (MySQL's
 * ssl-mode: disable, prefer, require, verify-ca, verify-full), then the login with the injected
 * credential: mysql_native_password, caching_sha2_password (fast auth; full auth in clear over
 * TLS or RSA-wrapped without), client_ed25519 (MariaDB), mysql_clear_password over TLS only.
 */
export async function connectTarget(login: TargetLogin, signal: AbortSignal): Promise<ConnectedTarget> {
  const { connection } = login;
  const socket = await connectTcp(connection, login.address, signal);
  let stream: Duplex = socket;
  try {
    let packets = new PacketReader();
    let reader = new FrameReader<Message>(stream, packets, login.countBytes);
    const first = await reader.next(signal);
    if (first.payload[0] === 0xff) {
      const reply = decodeAuthReply(first.payload, { flags: Capability.PROTOCOL_41 });
      if (reply.type === 'Err') throw new TargetRefusedError(reply.err.code, reply.err.message);
    }
    const greeting = decodeHandshakeV10(first.payload);
    let sequenceId = (first.lastSequenceId + 1) & 0xff;
    const wanted = (login.capabilities.flags | Capability.CONNECT_WITH_DB) & ~Capability.SSL;
    const missing = (wanted & LAYOUT_CAPABILITIES & ~greeting.capabilityFlags) >>> 0;
    if (missing !== 0 || !hasCapability(greeting.capabilityFlags, Capability.PLUGIN_AUTH)) {
      throw new TargetUnavailableError(
        'the target lacks a protocol capability the engine needs (4.1, DEPRECATE_EOF, SESSION_TRACK, plugin auth)',
      );
    }
    // CLIENT_MYSQL stays set: MariaDB then uses no extended capabilities (no CACHE_METADATA).
    let flags = (wanted & greeting.capabilityFlags) | Capability.LONG_PASSWORD;
    const mode = connection.target.tls.mode;
    let encrypted = false;
    if (mode !== 'disable') {
      if (hasCapability(greeting.capabilityFlags, Capability.SSL)) {
        flags |= Capability.SSL;
        reader.detach();
        const head = {
          capabilityFlags: flags >>> 0,
          mariaDbCapabilityFlags: 0,
          maxPacketSize: login.maxPacketSize,
          characterSet: login.characterSet,
        };
        stream.write(packet(encodeSslRequest(head), sequenceId));
        sequenceId = (sequenceId + 1) & 0xff;
        stream = await startTls(socket, connection, login.ca, signal);
        encrypted = true;
        packets = new PacketReader();
        reader = new FrameReader<Message>(stream, packets, login.countBytes);
      } else if (mode !== 'prefer') {
        throw new TargetUnavailableError(`the target does not support TLS (tls mode ${mode})`);
      }
    }
    const link: PasswordLink = !encrypted
      ? 'plaintext'
      : mode === 'verify-full' || (mode === 'verify-ca' && login.ca !== null)
        ? 'verified-tls'
        : 'unverified-tls';
    const auth = new TargetAuth(login, link, encrypted);
    const plugin = greeting.authPluginName || AuthPlugin.NATIVE_PASSWORD;
    const response = encodeHandshakeResponse41({
      capabilityFlags: flags >>> 0,
      mariaDbCapabilityFlags: 0,
      maxPacketSize: login.maxPacketSize,
      characterSet: login.characterSet,
      username: connection.target.user,
      authResponse: auth.answer(plugin, scrambleOf(greeting.authPluginData)),
      database: connection.target.settings['database'] ?? '',
      authPluginName: plugin,
      ...(login.attributes !== undefined && hasCapability(flags, Capability.CONNECT_ATTRS)
        ? { attributes: login.attributes }
        : {}),
    });
    stream.write(packet(response, sequenceId));
    const capabilities: SessionCapabilities = { flags: flags >>> 0, mariaDbFlags: 0 };
    const { ok, plugin: used } = await auth.exchange(
      stream,
      reader,
      capabilities,
      plugin,
      scrambleOf(greeting.authPluginData),
      signal,
    );
    const pending = reader.detach();
    return { stream, packets, pending, greeting, ok, plugin: used, encrypted };
  } catch (error) {
    stream.destroy();
    socket.destroy();
    throw error;
  }
}

/** One login's password answers; the password never leaves except as the plugin asks. */
class TargetAuth {
  constructor(
    private readonly login: TargetLogin,
    private readonly link: PasswordLink,
    private readonly encrypted: boolean,
  ) {}

  answer(plugin: string, nonce: Buffer): Buffer {
    const password = this.login.password;
    switch (plugin) {
      case AuthPlugin.NATIVE_PASSWORD:
        return nativePassword(password, nonce);
      case AuthPlugin.CACHING_SHA2_PASSWORD:
        return cachingSha2Password(password, nonce);
      case AuthPlugin.ED25519:
        return ed25519Password(password, nonce);
      case AuthPlugin.CLEAR_PASSWORD:
        this.login.revealPassword(this.link);
        return clearPassword(password);
      default:
        throw new TargetUnavailableError(
          `the target asks for auth plugin ${plugin.slice(0, 64)}, which the agent does not speak`,
        );
    }
  }

  /** Follows the target's replies (switches, caching_sha2 rounds) to its OK. */
  async exchange(
    stream: Duplex,
    reader: FrameReader<Message>,
    capabilities: SessionCapabilities,
    firstPlugin: string,
    firstNonce: Buffer,
    signal: AbortSignal,
  ): Promise<{ ok: OkPacket; plugin: string }> {
    let plugin = firstPlugin;
    let nonce = firstNonce;
    for (let round = 0; round < 8; round++) {
      const message = await reader.next(signal);
      const next = (message.lastSequenceId + 1) & 0xff;
      const reply = decodeAuthReply(message.payload, capabilities);
      switch (reply.type) {
        case 'Ok':
          return { ok: reply.ok, plugin };
        case 'Err':
          throw new TargetRefusedError(reply.err.code, reply.err.message);
        case 'AuthSwitchRequest':
          plugin = reply.request.pluginName;
          nonce = scrambleOf(reply.request.pluginData);
          stream.write(packet(this.answer(plugin, nonce), next));
          continue;
        case 'AuthMoreData': {
          if (plugin !== AuthPlugin.CACHING_SHA2_PASSWORD) {
            throw new TargetUnavailableError(`unexpected AuthMoreData for ${plugin}`);
          }
          const marker = cachingSha2Marker(reply.data);
          if (marker === 'fast-auth-success') continue;
          if (marker === 'perform-full-authentication') {
            this.login.revealPassword(this.link);
            if (this.encrypted) stream.write(packet(clearPassword(this.login.password), next));
            else stream.write(packet(Buffer.of(CachingSha2.REQUEST_PUBLIC_KEY), next));
            continue;
          }
          // The server's RSA public key (PEM), asked for above on a plaintext link.
          if (this.encrypted) throw new TargetUnavailableError('unexpected caching_sha2 data on a TLS link');
          stream.write(packet(rsaEncryptPassword(this.login.password, nonce, reply.data.toString('latin1')), next));
          continue;
        }
      }
    }
    throw new TargetUnavailableError('the target did not finish the login');
  }
}

function connectTcp(connection: ResolvedConnection, address: string, signal: AbortSignal): Promise<Socket> {
  const { host, port } = connection.target;
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const cleanup = (): void => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onConnect = (): void => {
      cleanup();
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      resolve(socket);
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(new TargetUnavailableError(`cannot connect to ${host}:${port}: ${error.message}`));
    };
    const onAbort = (): void => onError(new Error('connection attempt aborted'));
    if (signal.aborted) return onAbort();
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.connect({ host: address, port });
  });
}

/** TLS like MySQL's ssl-mode: require does not verify (unless a CA is given), verify-ca checks the chain, verify-full the name too. */
function startTls(
  socket: Socket,
  connection: ResolvedConnection,
  ca: string | null,
  signal: AbortSignal,
): Promise<TLSSocket> {
  const { host } = connection.target;
  const mode = connection.target.tls.mode;
  const verify = mode === 'verify-ca' || mode === 'verify-full' || ca !== null;
  const options: ConnectionOptions = { socket, host, minVersion: 'TLSv1.2', rejectUnauthorized: verify };
  if (ca !== null) options.ca = ca;
  if (isIP(host) === 0) options.servername = host;
  if (mode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return tlsHandshake(tlsConnect(options), {
    side: 'client',
    signal,
    failure: (error) => new TargetUnavailableError(`TLS with the target failed: ${error.message}`),
    onAbort: 'failure',
  });
}
