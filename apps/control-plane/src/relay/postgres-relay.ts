import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { LoginFailures, SourceLimits, sourceHost } from '@postern/policy';
import { errorResponse } from '@postern/wire-postgres';
import { DataPlaneLogins, type LoginRefusal } from '../access/data-plane-logins.js';
import { AgentGroupsService } from '../agents/agent-groups.service.js';
import { AgentStreams } from '../agents/agent-streams.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { CancelRoutes, type CancelRoute } from './cancel-routes.js';
import { InternalLinkClient } from './internal-link.client.js';
import {
  RelaySession,
  type RelayLogin,
  type ForwardedRoute,
  type LocalRoute,
  type RelayRefusal,
  type RelayRouter,
} from './relay-session.js';
import { TunnelBroker } from './tunnel-broker.js';

/**
 * The control plane's PostgreSQL listener for clients outside the agents' segments. It checks the
 * login (credential, user name, access to the connection) before it asks any agent for a tunnel,
 * then relays bytes over a Tunnel stream to the agent serving the connection, which checks the
 * login again and enforces policy.
 */
@Injectable()
export class PostgresRelay implements RelayRouter, OnApplicationBootstrap, OnModuleDestroy {
  private server: Server | null = null;
  private tls: SecureContext | null = null;
  private readonly sockets = new Set<Socket>();
  /** New sessions per client host (token bucket) and open connections per client host. */
  private readonly rates: SourceLimits;
  private readonly openPerHost = new Map<string, number>();
  /** Failed logins per (client host, user name), with backoff. */
  private readonly failures: LoginFailures;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly connections: ConnectionsService,
    private readonly streams: AgentStreams,
    private readonly broker: TunnelBroker,
    private readonly cancelRoutes: CancelRoutes,
    private readonly agentGroups: AgentGroupsService,
    private readonly link: InternalLinkClient,
    private readonly logins: DataPlaneLogins,
  ) {
    this.failures = new LoginFailures({
      threshold: config.relay.authFailuresPerMinute,
      windowMs: 60_000,
      baseLockMs: config.relay.authLockoutMs,
      maxLockMs: Math.max(config.relay.authLockoutMs, 3_600_000),
      maxTracked: 10_000,
    });
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

  async route(login: RelayLogin, clientAddress: string): Promise<LocalRoute | ForwardedRoute | RelayRefusal> {
    // Spent per startup that would open a tunnel to an agent: a flood from one host reaches no agent.
    const host = sourceHost(clientAddress);
    const { user } = login;
    const locked = this.failures.lockedFor(host, user);
    if (locked > 0) {
      return {
        code: '53300',
        message: `too many failed authentications for user "${user}" from ${host}; try again in ${Math.ceil(locked / 1000)} s`,
      };
    }
    if (!this.rates.take(host)) return { code: '53300', message: `too many new sessions from ${host}` };
    const name = login.database.slice(0, 63);
    const found = await this.connections.findByName(login.database);
    const connection = found?.protocol === 'POSTGRES' ? found : null;
    // An unknown name is answered like a known one (names cannot be probed); the log tells them apart.
    const verdict = await this.logins.check(connection?.id ?? null, user, login.password);
    if (!verdict.ok) {
      if (verdict.reason === 'invalid_credential' || verdict.reason === 'expired_credential') {
        this.failures.failed(host, user);
      }
      this.logger.info(
        {
          clientAddress,
          user,
          connection: name,
          known: connection !== null,
          reason: verdict.reason,
          detail: verdict.detail,
        },
        'relay login refused',
      );
      return refusalFor(verdict, user, name);
    }
    this.failures.succeeded(host, user);
    if (!connection) return refusalFor({ ok: false, reason: 'no_access', detail: '' }, user, name);
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

/** What the client is told: the words PostgreSQL (and the agent) use, nothing about the reason. */
function refusalFor(verdict: LoginRefusal, user: string, connection: string): RelayRefusal {
  switch (verdict.reason) {
    case 'invalid_credential':
      return { code: '28P01', message: `password authentication failed for user "${user}"` };
    case 'expired_credential':
      return {
        code: '28P01',
        message: `the credential of user "${user}" has expired`,
        hint: 'Obtain a fresh credential and connect again.',
      };
    case 'no_access':
      return { code: '28000', message: `user "${user}" has no access to connection "${connection}"` };
    case 'user_mismatch':
      return {
        code: '28000',
        message: `the credential presented does not belong to user "${user}"`,
        ...(verdict.loginNames?.length ? { hint: `Connect with user=${verdict.loginNames.at(-1)}.` } : {}),
      };
  }
}
