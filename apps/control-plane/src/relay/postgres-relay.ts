import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { SourceLimits, sourceHost } from '@postern/policy';
import { errorResponse } from '@postern/wire-postgres';
import { AgentGroupsService } from '../agents/agent-groups.service.js';
import { AgentStreams } from '../agents/agent-streams.js';
import { CONFIG, type ControlPlaneConfig } from '../config/config.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { LOGGER } from '../infra/logging/nest-logger.js';
import { CancelRoutes, type CancelRoute } from './cancel-routes.js';
import { InternalLinkClient } from './internal-link.client.js';
import {
  RelaySession,
  type ForwardedRoute,
  type LocalRoute,
  type RelayRefusal,
  type RelayRouter,
} from './relay-session.js';
import { TunnelBroker } from './tunnel-broker.js';

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
  /** New sessions per client host (token bucket) and open connections per client host. */
  private readonly rates: SourceLimits;
  private readonly openPerHost = new Map<string, number>();

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly connections: ConnectionsService,
    private readonly streams: AgentStreams,
    private readonly broker: TunnelBroker,
    private readonly cancelRoutes: CancelRoutes,
    private readonly agentGroups: AgentGroupsService,
    private readonly link: InternalLinkClient,
  ) {
    this.rates = new SourceLimits({
      ratePerSecond: config.relay.connectRatePerAddress,
      burst: config.relay.connectBurstPerAddress,
      maxTracked: 10_000,
    });
  }

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
    const host = socket.remoteAddress ?? '?';
    const open = (this.openPerHost.get(host) ?? 0) + 1;
    if (open > this.config.relay.maxConnectionsPerAddress) {
      // Refused before anything is read: one host cannot hold every socket of the relay.
      this.logger.debug({ host, limit: this.config.relay.maxConnectionsPerAddress }, 'relay connection refused');
      socket.on('error', () => undefined);
      socket.end(errorResponse({ severity: 'FATAL', code: '53300', message: `too many connections from ${host}` }));
      return;
    }
    this.openPerHost.set(host, open);
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      const left = (this.openPerHost.get(host) ?? 1) - 1;
      if (left <= 0) this.openPerHost.delete(host);
      else this.openPerHost.set(host, left);
    });
    const clientAddress = `${host}:${socket.remotePort ?? 0}`;
    new RelaySession(socket, clientAddress, this.tls, this, this.logger);
  }

  async route(database: string, clientAddress: string): Promise<LocalRoute | ForwardedRoute | RelayRefusal> {
    // Spent per startup that would open a tunnel to an agent: a flood from one host reaches no agent.
    const host = sourceHost(clientAddress);
    if (!this.rates.take(host)) return { code: '53300', message: `too many new sessions from ${host}` };
    const connection = await this.connections.findByName(database);
    if (!connection || connection.protocol !== 'POSTGRES') {
      return { code: '3D000', message: `connection "${database.slice(0, 63)}" does not exist` };
    }
    // A group's connection goes to one of its online replicas; each session stays on the agent
    // chosen here, so losing that agent ends only its own sessions.
    const candidates = connection.agentId
      ? [connection.agentId]
      : connection.agentGroupId
        ? await this.agentGroups.onlineMemberIds(connection.agentGroupId)
        : [];
    const stream = this.streams.pick(candidates);
    if (stream) {
      const call = await this.broker.request(stream, {
        connectionId: connection.id,
        clientAddress,
        protocol: 'postgres',
      });
      return { call, agentId: stream.agentId, connectionId: connection.id };
    }
    // No stream here: the replica holding one serves the client, over the internal link.
    const forwarded = await this.link.relayToHolder(candidates, connection.id, clientAddress);
    return (
      forwarded ?? { code: '08001', message: `the agent serving connection "${connection.name}" is not connected` }
    );
  }

  /** A client forwarded by another replica, for an agent whose stream this replica holds. */
  async openLocalTunnel(
    agentId: string,
    connectionId: string,
    clientAddress: string,
  ): Promise<LocalRoute | RelayRefusal> {
    const stream = this.streams.any(agentId);
    if (!stream) return { code: '08001', message: 'the agent serving this connection is not connected' };
    const call = await this.broker.request(stream, { connectionId, clientAddress, protocol: 'postgres' });
    return { call, agentId, connectionId };
  }

  /** Serves a forwarded client like one of this listener's own, from its first raw byte. */
  adopt(socket: Socket, clientAddress: string, route: LocalRoute): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    new RelaySession(socket, clientAddress, null, this, this.logger, route);
  }

  async cancel(processId: number, secretKey: Buffer, packet: Buffer, clientAddress: string): Promise<void> {
    const route = await this.cancelRoutes.find(processId, secretKey);
    if (!route) return; // unknown keys are dropped silently, as PostgreSQL does
    try {
      if (this.streams.any(route.agentId)) await this.cancelLocal(route, packet, clientAddress);
      else await this.link.cancelAtHolder(route, packet, clientAddress);
    } catch (error) {
      this.logger.warn({ err: error, clientAddress }, 'could not relay a cancel request');
    }
  }

  /** Tunnels a CancelRequest through the agent's stream on this replica (dropped if there is none). */
  async cancelLocal(route: CancelRoute, packet: Buffer, clientAddress: string): Promise<void> {
    const stream = this.streams.any(route.agentId);
    if (!stream) return;
    const call = await this.broker.request(stream, {
      connectionId: route.connectionId,
      clientAddress,
      protocol: 'postgres',
    });
    call.write({ data: packet });
    call.end();
  }

  rememberCancelKey(
    processId: number,
    secretKey: Buffer,
    route: { agentId: string; connectionId: string },
  ): () => void {
    return this.cancelRoutes.add(processId, secretKey, route);
  }
}
