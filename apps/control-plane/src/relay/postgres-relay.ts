import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { AgentStreams } from '../agents/agent-streams.js';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { LOGGER } from '../infra/logging/nest-logger.js';
import { CancelRoutes } from './cancel-routes.js';
import { RelaySession, type RelayRefusal, type RelayRouter } from './relay-session.js';
import { TunnelBroker, type TunnelCall } from './tunnel-broker.js';

/**
 * The control plane's PostgreSQL listener for clients outside the agents' segments. It routes
 * each client to the agent serving the connection it names and relays bytes over a Tunnel
 * stream; authentication and policy happen at the agent.
 */
@Injectable()
export class PostgresRelay implements RelayRouter, OnApplicationBootstrap, OnModuleDestroy {
  private server: Server | null = null;
  private tls: SecureContext | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly connections: ConnectionsService,
    private readonly streams: AgentStreams,
    private readonly broker: TunnelBroker,
    private readonly cancelRoutes: CancelRoutes,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const listen = this.config.relay.postgres;
    if (!listen) return;
    const tls = this.config.relay.tls;
    this.tls = tls ? createSecureContext({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }) : null;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listen.port;
    this.logger.info({ host: listen.host, port, tls: Boolean(this.tls) }, 'postgres relay listening');
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
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const clientAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    new RelaySession(socket, clientAddress, this.tls, this, this.logger);
  }

  async route(
    database: string,
    clientAddress: string,
  ): Promise<{ call: TunnelCall; agentId: string; connectionId: string } | RelayRefusal> {
    const connection = await this.connections.findByName(database);
    if (!connection || connection.protocol !== 'POSTGRES') {
      return { code: '3D000', message: `connection "${database.slice(0, 63)}" does not exist` };
    }
    const stream = connection.agentId ? this.streams.any(connection.agentId) : undefined;
    if (!stream) {
      return { code: '08001', message: `the agent serving connection "${connection.name}" is not connected` };
    }
    const call = await this.broker.request(stream, {
      connectionId: connection.id,
      clientAddress,
      protocol: 'postgres',
    });
    return { call, agentId: stream.agentId, connectionId: connection.id };
  }

  async cancel(processId: number, secretKey: Buffer, packet: Buffer, clientAddress: string): Promise<void> {
    const route = this.cancelRoutes.find(processId, secretKey);
    const stream = route ? this.streams.any(route.agentId) : undefined;
    if (!route || !stream) return; // unknown keys are dropped silently, as PostgreSQL does
    try {
      const call = await this.broker.request(stream, {
        connectionId: route.connectionId,
        clientAddress,
        protocol: 'postgres',
      });
      call.write({ data: packet });
      call.end();
    } catch (error) {
      this.logger.warn({ err: error, clientAddress }, 'could not relay a cancel request');
    }
  }

  rememberCancelKey(
    processId: number,
    secretKey: Buffer,
    route: { agentId: string; connectionId: string },
  ): () => void {
    return this.cancelRoutes.add(processId, secretKey, route);
  }
}
