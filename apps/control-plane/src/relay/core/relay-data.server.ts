import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { SocketListener, readDataHello } from '@postern/net';
import { AgentsService } from '../../agents/agents.service.js';
import { UnauthenticatedCalls } from '../../agents/unauthenticated-calls.js';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import { InternalLinkClient } from './internal-link.client.js';
import { TunnelBroker } from './tunnel-broker.js';

const HELLO_TIMEOUT_MS = 5_000;

/**
 * The relay data port: agents dial it, one connection per relayed session, when asked by
 * OpenTunnel on their Control stream. The opening (see @postern/net `relay-data.ts`) names the
 * tunnel and carries its one-time ticket and the agent credential; anything wrong closes the
 * connection without a word (fail closed). Then the socket is handed to the waiting front door
 * as a raw byte pipe: TLS and TCP flow control are the per-session backpressure, and no message
 * size limit applies. A connection for a tunnel another replica asked for is joined to that
 * replica over the internal link (agents may reach all replicas through one address). TLS with
 * the gRPC certificate; plain TCP only when gRPC is insecure too. Refused openings spend the
 * peer's budget of unauthenticated calls (shared with the gRPC port, audited in aggregate);
 * once it is spent, the peer's connections are closed before a byte is read or a lookup made.
 */
@Injectable()
export class RelayDataServer implements OnApplicationBootstrap, OnModuleDestroy {
  private listener: SocketListener | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly agents: AgentsService,
    private readonly broker: TunnelBroker,
    private readonly link: InternalLinkClient,
    private readonly refusals: UnauthenticatedCalls,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const data = this.config.relay.data;
    if (!data) return;
    const tls = this.config.grpc.tls;
    this.listener = new SocketListener(
      {
        name: 'relay data',
        host: data.host,
        port: data.port,
        tls: tls ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), minVersion: 'TLSv1.3' } : null,
        onTlsError: (error) => this.logger.debug({ err: error }, 'relay data TLS handshake failed'),
      },
      (socket) => this.accept(socket),
    );
    const port = await this.listener.start();
    const advertised = data.advertiseAddress ?? `:${port}`;
    this.broker.advertise(advertised);
    this.logger.info({ host: data.host, port, advertised, tls: Boolean(tls) }, 'relay data port listening');
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }

  private accept(socket: Socket): void {
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    if (!this.refusals.admit(peer, 'RelayData')) {
      socket.destroy();
      return;
    }
    let buffered: Buffer = Buffer.alloc(0);
    let refused = false;
    const refuse = (reason: string, agentId: string | null = null) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.destroy();
      if (refused) return;
      refused = true;
      // Logged (as a warning) and audited by the refusal budget.
      void this.refusals.refused(peer, { method: 'RelayData', reason, agentId });
    };
    const timer = setTimeout(() => refuse('no opening in time'), HELLO_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let read;
      try {
        read = readDataHello(buffered);
      } catch (error) {
        return refuse((error as Error).message);
      }
      if (!read) return;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.pause();
      if (read.rest.length > 0) socket.unshift(read.rest);
      const { tunnelId, ticket, credential } = read.hello;
      if (!this.broker.issued(tunnelId)) {
        void this.forward(socket, tunnelId, ticket, credential).then((forwarded) => {
          if (!forwarded) refuse('unknown, expired or spent tunnel');
        });
        return;
      }
      const claimed = this.broker.claim(tunnelId, ticket);
      if (!claimed) return refuse('wrong ticket');
      this.agents.authenticate(credential).then(
        (agent) => {
          if (agent.id !== claimed.agentId) {
            claimed.refuse();
            return refuse('the tunnel was asked of another agent', agent.id);
          }
          if (socket.destroyed) return claimed.refuse();
          claimed.accept(socket);
        },
        (error: unknown) => {
          claimed.refuse();
          refuse((error as Error).message);
        },
      );
    };
    socket.on('data', onData);
    // A peer that hangs up before its opening was not refused: nothing to count.
    socket.once('close', () => {
      if (!refused) clearTimeout(timer);
    });
  }

  /**
   * A data connection for a tunnel another replica asked for (the agent reached this one through
   * an address shared by all replicas): once the agent credential checks out, it is joined to
   * that replica over the internal link, which checks the ticket where it was issued.
   */
  private async forward(socket: Socket, tunnelId: string, ticket: Buffer, credential: string): Promise<boolean> {
    try {
      const agent = await this.agents.authenticate(credential);
      const link = await this.link.dataToIssuer(agent.id, tunnelId, ticket);
      if (!link) return false;
      if (socket.destroyed) {
        link.destroy();
        return true;
      }
      link.on('error', () => socket.destroy());
      socket.on('error', () => link.destroy());
      socket.pipe(link);
      link.pipe(socket);
      link.on('close', () => socket.destroy());
      socket.on('close', () => link.destroy());
      socket.resume();
      link.resume();
      return true;
    } catch {
      return false;
    }
  }
}
