import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { splitAddress } from '@postern/net';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import type { ForwardedRoute, RelayRefusal } from './front-door.js';
import { linkMac, macMatches, newNonce } from './internal-link-auth.js';
import { LinkFrameReader, encodeLinkMessage, type LinkMessage } from './internal-link.codec.js';
import { StreamDirectory } from './stream-directory.js';

const HANDSHAKE_TIMEOUT_MS = 5_000;
export const CHANNEL_BINDING_LABEL = 'EXPORTER-postern-internal-link';

/** The replica could not be reached or did not prove the shared secret: try another one. */
export class LinkUnavailableError extends Error {}

type Request = LinkMessage & { t: 'relay' | 'cancel' | 'data' };

/**
 * Dials another replica's internal link: authenticates both ways, sends one relay or cancel
 * request, and hands back the socket (now a raw byte pipe) or the other replica's refusal.
 */
@Injectable()
export class InternalLinkClient {
  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly directory: StreamDirectory,
  ) {}

  /**
   * Forwards a relay client to a replica holding a stream of one of `agentIds` (an agent, or the
   * online members of its group). Unreachable replicas are skipped; a refusal is final.
   * Undefined when no replica holds a stream (or the link is off).
   */
  async relayToHolder(
    protocol: string,
    agentIds: string[],
    connectionId: string,
    clientAddress: string,
  ): Promise<ForwardedRoute | RelayRefusal | undefined> {
    if (!this.config.internal) return undefined;
    for (const agentId of shuffled(agentIds)) {
      for (const address of await this.directory.holders(agentId)) {
        try {
          const result = await this.relay(address, { protocol, agentId, connectionId, clientAddress });
          return 'kind' in result ? result : { link: result, agentId };
        } catch (error) {
          this.logger.warn(
            { err: error, address, agentId },
            'replica unreachable on the internal link; trying another',
          );
        }
      }
    }
    return undefined;
  }

  /**
   * Forwards a front door's out-of-band signal (PostgreSQL: a CancelRequest) to a replica holding
   * the agent's stream (dropped if there is none).
   */
  async signalAtHolder(
    protocol: string,
    route: { agentId: string; connectionId: string },
    packet: Buffer,
    clientAddress: string,
  ): Promise<void> {
    if (!this.config.internal) return;
    for (const address of await this.directory.holders(route.agentId)) {
      try {
        await this.cancel(address, { protocol, ...route, clientAddress, packet: packet.toString('base64') });
        return;
      } catch (error) {
        this.logger.warn({ err: error, address }, 'cancel not forwarded to this replica; trying another');
      }
    }
  }

  /**
   * Hands an agent's data connection that reached this replica to the replica that asked for the
   * tunnel (one of those holding the agent's Control stream). Resolves with the link, now the
   * data connection's other half, or undefined if no replica knows the tunnel.
   */
  async dataToIssuer(agentId: string, tunnelId: string, ticket: Buffer): Promise<Socket | undefined> {
    if (!this.config.internal) return undefined;
    for (const address of await this.directory.holders(agentId)) {
      try {
        const result = await this.exchange(address, { t: 'data', agentId, tunnelId, ticket: ticket.toString('hex') });
        if (!('kind' in result)) return result;
      } catch (error) {
        this.logger.warn(
          { err: error, address, agentId },
          'data connection not forwarded to this replica; trying another',
        );
      }
    }
    return undefined;
  }

  /** Forwards a relay client; resolves with the link once the other replica has its tunnel. */
  relay(address: string, request: Omit<Request & { t: 'relay' }, 't'>): Promise<Socket | RelayRefusal> {
    return this.exchange(address, { t: 'relay', ...request });
  }

  /** Forwards a CancelRequest (16 bytes) to the replica holding the agent's stream. */
  async cancel(address: string, request: Omit<Request & { t: 'cancel' }, 't'>): Promise<void> {
    const result = await this.exchange(address, { t: 'cancel', ...request });
    if ('kind' in result) throw new LinkUnavailableError(result.message);
    result.end();
  }

  private exchange(address: string, request: Request): Promise<Socket | RelayRefusal> {
    const internal = this.config.internal;
    if (!internal) return Promise.reject(new LinkUnavailableError('the internal link is off'));
    const { host, port } = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket: Socket = internal.tls
        ? connectTls({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
        : connectTcp({ host, port });
      socket.setNoDelay(true);
      const reader = new LinkFrameReader();
      const clientNonce = newNonce();
      let serverNonce = '';
      let step: 'challenge' | 'proof' | 'answer' = 'challenge';
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error instanceof LinkUnavailableError ? error : new LinkUnavailableError(error.message));
      };
      const timer = setTimeout(
        () => fail(new LinkUnavailableError(`${address}: handshake timed out`)),
        HANDSHAKE_TIMEOUT_MS,
      );
      socket.on('error', fail);
      socket.on('close', () => fail(new LinkUnavailableError(`${address}: closed during the handshake`)));
      const onMessage = (message: LinkMessage): boolean => {
        if (step === 'challenge' && message.t === 'challenge') {
          serverNonce = message.nonce;
          const mac = linkMac(internal.secret, 'client', serverNonce, clientNonce, binding(socket));
          socket.write(encodeLinkMessage({ t: 'auth', nonce: clientNonce, mac }));
          step = 'proof';
          return false;
        }
        if (step === 'proof' && message.t === 'proof') {
          const expected = linkMac(internal.secret, 'server', serverNonce, clientNonce, binding(socket));
          if (!macMatches(expected, message.mac))
            throw new LinkUnavailableError(`${address}: replica failed to authenticate`);
          socket.write(encodeLinkMessage(request));
          step = 'answer';
          return false;
        }
        if (step === 'answer' && (message.t === 'ready' || message.t === 'refused')) {
          clearTimeout(timer);
          socket.pause();
          socket.removeAllListeners('data');
          socket.removeAllListeners('close');
          socket.removeAllListeners('error');
          const rest = reader.rest();
          if (rest.length > 0) socket.unshift(rest);
          if (message.t === 'refused') {
            socket.destroy();
            resolve({ kind: message.kind, message: message.message });
          } else {
            socket.on('error', () => undefined); // the relay session attaches its own handlers
            resolve(socket);
          }
          return true;
        }
        throw new LinkUnavailableError(`${address}: unexpected ${message.t} on the internal link`);
      };
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const message of reader.push(chunk, isAnswer)) if (onMessage(message)) return;
        } catch (error) {
          fail(error as Error);
        }
      });
    });
  }
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const isAnswer = (message: LinkMessage) => message.t === 'ready' || message.t === 'refused';

/** TLS exporter keying material (RFC 5705) binding the proofs to this TLS channel; empty in plaintext. */
export function binding(socket: Socket): Buffer {
  const tls = socket as Partial<TLSSocket>;
  return typeof tls.exportKeyingMaterial === 'function' && tls.encrypted
    ? tls.exportKeyingMaterial(32, CHANNEL_BINDING_LABEL, Buffer.alloc(0))
    : Buffer.alloc(0);
}
