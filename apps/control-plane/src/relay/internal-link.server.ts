import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { binding } from './internal-link.client.js';
import { linkMac, macMatches, newNonce } from './internal-link-auth.js';
import { LinkFrameReader, encodeLinkMessage, type LinkMessage } from './internal-link.codec.js';
import { PostgresRelay } from './postgres-relay.js';
import { StreamDirectory } from './stream-directory.js';

const HANDSHAKE_TIMEOUT_MS = 5_000;

/**
 * This replica's end of the internal link: other replicas forward here the relay clients (and
 * CancelRequests) of agents whose Control stream this replica holds. A peer must prove the shared
 * secret before it may send anything else; any failure closes the connection (fail closed).
 */
@Injectable()
export class InternalLinkServer implements OnApplicationBootstrap, OnModuleDestroy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly relay: PostgresRelay,
    private readonly directory: StreamDirectory,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const internal = this.config.internal;
    if (!internal) return;
    const accept = (socket: Socket) => this.accept(socket);
    const server = internal.tls
      ? createTlsServer(
          { cert: readFileSync(internal.tls.certFile), key: readFileSync(internal.tls.keyFile), minVersion: 'TLSv1.3' },
          accept,
        )
      : createTcpServer(accept);
    server.on('tlsClientError', (error: Error) =>
      this.logger.warn({ err: error }, 'internal link TLS handshake failed'),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(internal.port, internal.host, () => resolve());
    });
    const bound = server.address();
    const port = typeof bound === 'object' && bound ? bound.port : internal.port;
    const advertised = internal.advertiseAddress ?? `${advertiseHost(internal.host)}:${port}`;
    this.directory.advertise(advertised);
    this.logger.info({ host: internal.host, port, advertised, tls: Boolean(internal.tls) }, 'internal link listening');
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private accept(socket: Socket): void {
    const internal = this.config.internal!;
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
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
      if (step === 'request' && (message.t === 'relay' || message.t === 'cancel')) {
        clearTimeout(timer);
        step = 'serving';
        socket.pause();
        socket.removeListener('data', onData);
        const rest = reader.rest();
        if (rest.length > 0) socket.unshift(rest);
        void this.serve(socket, message, peer);
        return;
      }
      refuse(`unexpected ${message.t}`);
    };
    const onData = (chunk: Buffer) => {
      try {
        const isRequest = (m: LinkMessage) => m.t === 'relay' || m.t === 'cancel';
        for (const message of reader.push(chunk, isRequest)) {
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

  private async serve(socket: Socket, request: LinkMessage & { t: 'relay' | 'cancel' }, peer: string): Promise<void> {
    const { agentId, connectionId, clientAddress } = request;
    try {
      if (request.t === 'cancel') {
        const packet = Buffer.from(request.packet, 'base64');
        await this.relay.cancelLocal({ agentId, connectionId }, packet, clientAddress);
        socket.end(encodeLinkMessage({ t: 'ready' }));
        return;
      }
      const routed = await this.relay.openLocalTunnel(agentId, connectionId, clientAddress);
      if ('code' in routed) {
        socket.end(encodeLinkMessage({ t: 'refused', code: routed.code, message: routed.message }));
        return;
      }
      if (socket.destroyed) {
        routed.call.end();
        return;
      }
      socket.write(encodeLinkMessage({ t: 'ready' }));
      this.logger.debug({ peer, agentId, clientAddress }, 'relay client forwarded by another replica');
      this.relay.adopt(socket, clientAddress, routed);
    } catch (error) {
      this.logger.warn({ err: error, peer, agentId }, 'could not serve a forwarded relay request');
      socket.end(encodeLinkMessage({ t: 'refused', code: '08001', message: 'the agent could not be reached' }));
    }
  }
}

function advertiseHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return hostname();
  return host.includes(':') ? `[${host}]` : host;
}
