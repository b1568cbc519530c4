import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { SocketListener } from '@postern/net';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import { FRONT_DOORS, type FrontDoor } from './front-door.js';
import { binding } from './internal-link.client.js';
import { linkMac, macMatches, newNonce } from './internal-link-auth.js';
import { LinkFrameReader, encodeLinkMessage, isLinkRequest, type LinkMessage } from './internal-link.codec.js';
import { RelayRouter } from './relay-router.js';
import { StreamDirectory } from './stream-directory.js';
import { TunnelBroker } from './tunnel-broker.js';

const HANDSHAKE_TIMEOUT_MS = 5_000;

/**
 * This replica's end of the internal link: other replicas forward here the relay clients (and
 * CancelRequests) of agents whose Control stream this replica holds. A peer must prove the shared
 * secret before it may send anything else; any failure closes the connection (fail closed).
 */
@Injectable()
export class InternalLinkServer implements OnApplicationBootstrap, OnModuleDestroy {
  private listener: SocketListener | null = null;
  private readonly doors: Map<string, FrontDoor>;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly router: RelayRouter,
    private readonly directory: StreamDirectory,
    private readonly broker: TunnelBroker,
    @Inject(FRONT_DOORS) doors: FrontDoor[],
  ) {
    // A door also takes the forwarded clients of the protocols it routes to (HTTP: kubernetes).
    this.doors = new Map(
      doors.flatMap((door) => [door.protocol, ...(door.alsoServes ?? [])].map((protocol) => [protocol, door] as const)),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const internal = this.config.internal;
    if (!internal) return;
    this.listener = new SocketListener(
      {
        name: 'internal link',
        host: internal.host,
        port: internal.port,
        tls: internal.tls
          ? {
              cert: readFileSync(internal.tls.certFile),
              key: readFileSync(internal.tls.keyFile),
              minVersion: 'TLSv1.3',
            }
          : null,
        onTlsError: (error) => this.logger.warn({ err: error }, 'internal link TLS handshake failed'),
      },
      (socket) => this.accept(socket),
    );
    const port = await this.listener.start();
    const advertised = internal.advertiseAddress ?? `${advertiseHost(internal.host)}:${port}`;
    this.directory.advertise(advertised);
    this.logger.info({ host: internal.host, port, advertised, tls: Boolean(internal.tls) }, 'internal link listening');
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }

  private accept(socket: Socket): void {
    const internal = this.config.internal!;
    socket.on('error', () => socket.destroy());
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const reader = new LinkFrameReader();
    const serverNonce = newNonce();
    let step: 'auth' | 'request' | 'serving' = 'auth';
    const timer = setTimeout(() => refuse('handshake timed out'), HANDSHAKE_TIMEOUT_MS);
    const refuse = (reason: string) => {
      clearTimeout(timer);
      this.logger.warn({ peer, reason }, 'internal link connection refused');
      socket.destroy();
    };
    const onMessage = (message: LinkMessage) => {
      if (step === 'auth' && message.t === 'auth') {
        const expected = linkMac(internal.secret, 'client', serverNonce, message.nonce, binding(socket));
        if (!macMatches(expected, message.mac)) return refuse('bad proof of the internal secret');
        const mac = linkMac(internal.secret, 'server', serverNonce, message.nonce, binding(socket));
        socket.write(encodeLinkMessage({ t: 'proof', mac }));
        step = 'request';
        return;
      }
      if (step === 'request' && isLinkRequest(message)) {
        clearTimeout(timer);
        step = 'serving';
        socket.pause();
        socket.removeListener('data', onData);
        const rest = reader.rest();
        if (rest.length > 0) socket.unshift(rest);
        void this.serve(socket, message as LinkMessage & { t: 'relay' | 'cancel' | 'data' }, peer);
        return;
      }
      refuse(`unexpected ${message.t}`);
    };
    const onData = (chunk: Buffer) => {
      try {
        for (const message of reader.push(chunk, isLinkRequest)) {
          onMessage(message);
          if (step === 'serving' || socket.destroyed) return;
        }
      } catch (error) {
        refuse((error as Error).message);
      }
    };
    socket.on('data', onData);
    socket.write(encodeLinkMessage({ t: 'challenge', nonce: serverNonce }));
  }

  private async serve(
    socket: Socket,
    request: LinkMessage & { t: 'relay' | 'cancel' | 'data' },
    peer: string,
  ): Promise<void> {
    if (request.t === 'data') return this.serveData(socket, request, peer);
    const { protocol, agentId, connectionId, clientAddress } = request;
    const door = this.doors.get(protocol);
    try {
      if (request.t === 'cancel') {
        await door?.signal?.({ agentId, connectionId }, Buffer.from(request.packet, 'base64'), clientAddress);
        socket.end(encodeLinkMessage({ t: 'ready' }));
        return;
      }
      const routed = door
        ? await this.router.openLocal(protocol, agentId, connectionId, clientAddress)
        : { kind: 'unavailable' as const, message: `no ${protocol} relay on this replica` };
      if ('kind' in routed) {
        socket.end(encodeLinkMessage({ t: 'refused', kind: routed.kind, message: routed.message }));
        return;
      }
      if (socket.destroyed) {
        routed.data.destroy();
        return;
      }
      socket.write(encodeLinkMessage({ t: 'ready' }));
      this.logger.debug({ peer, agentId, clientAddress, protocol }, 'relay client forwarded by another replica');
      door!.adopt(socket, clientAddress, routed);
    } catch (error) {
      this.logger.warn({ err: error, peer, agentId }, 'could not serve a forwarded relay request');
      socket.end(encodeLinkMessage({ t: 'refused', kind: 'unavailable', message: 'the agent could not be reached' }));
    }
  }

  /**
   * The agent's data connection for a tunnel this replica asked for, reached another replica
   * (agents behind one address for all replicas): that replica checked the agent credential; the
   * ticket is checked here, where it was issued. Then the link is the data connection.
   */
  private serveData(socket: Socket, request: LinkMessage & { t: 'data' }, peer: string): void {
    const claimed = this.broker.claim(request.tunnelId, Buffer.from(request.ticket, 'hex'));
    if (!claimed) return refuseData(socket);
    if (claimed.agentId !== request.agentId) {
      claimed.refuse();
      this.logger.warn({ peer, agentId: request.agentId }, 'forwarded data connection for another agent');
      return refuseData(socket);
    }
    socket.write(encodeLinkMessage({ t: 'ready' }));
    this.logger.debug({ peer, agentId: request.agentId }, 'relay data connection forwarded by another replica');
    claimed.accept(socket);
  }
}

/** Answers an agent data connection another replica received for a tunnel this one asked for. */
function refuseData(socket: Socket): void {
  socket.end(encodeLinkMessage({ t: 'refused', kind: 'unavailable', message: 'no such tunnel here' }));
}

function advertiseHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return hostname();
  return host.includes(':') ? `[${host}]` : host;
}
