import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { LoginFailures, SourceLimits, sourceHost } from '@postern/policy';
import { DataPlaneLogins, type LoginRefusal } from '../../access/data-plane-logins.js';
import { AgentGroupsService } from '../../agents/agent-groups.service.js';
import { AgentStreams } from '../../agents/agent-streams.js';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { ConnectionsService } from '../../connections/connections.service.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import type { ForwardedRoute, LocalRoute, RelayCore, RelayLogin, RelayRefusal } from './front-door.js';
import { InternalLinkClient } from './internal-link.client.js';
import { TunnelBroker } from './tunnel-broker.js';

/** Connection protocols (the Prisma enum) per engine protocol name. */
const CONNECTION_PROTOCOL: Record<string, string> = {
  postgres: 'POSTGRES',
  mysql: 'MYSQL',
  ssh: 'SSH',
  kubernetes: 'KUBERNETES',
  http: 'HTTP',
};

/**
 * The protocol-neutral relay: per-host session rate and failed-login lockout, the login check
 * (credential, user, access to the connection) before any agent is asked for anything, the choice
 * of agent (a group's online member), and the data connection — from an agent whose Control
 * stream this replica holds, or through the internal link to the replica that holds one.
 */
@Injectable()
export class RelayRouter implements RelayCore {
  /** New sessions per client host (token bucket). */
  private readonly rates: SourceLimits;
  /** Failed logins per (client host, user name), with backoff. */
  private readonly failures: LoginFailures;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly connections: ConnectionsService,
    private readonly streams: AgentStreams,
    private readonly broker: TunnelBroker,
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

  async route(
    protocol: string,
    login: RelayLogin,
    clientAddress: string,
  ): Promise<LocalRoute | ForwardedRoute | RelayRefusal> {
    // Spent per login that would open a tunnel to an agent: a flood from one host reaches no agent.
    const host = sourceHost(clientAddress);
    const { user } = login;
    const locked = this.failures.lockedFor(host, user);
    if (locked > 0) {
      return {
        kind: 'busy',
        message: `too many failed authentications for user "${user}" from ${host}; try again in ${Math.ceil(locked / 1000)} s`,
      };
    }
    if (!this.rates.take(host)) return { kind: 'busy', message: `too many new sessions from ${host}` };
    const name = login.connection.slice(0, 63);
    const found = await this.connections.findByName(login.connection);
    const connection = found && found.protocol === CONNECTION_PROTOCOL[protocol] ? found : null;
    // An unknown name is answered like a known one (names cannot be probed); the log tells them apart.
    let verdict = login.publicKey
      ? await this.logins.checkSshKey(connection?.id ?? null, user, login.publicKey)
      : await this.logins.check(connection?.id ?? null, user, login.password);
    // A bearer token names no user: take the credential's own login name (not counted as a failure).
    if (
      login.userFromCredential === true &&
      !login.publicKey &&
      user === '' &&
      !verdict.ok &&
      verdict.reason === 'user_mismatch' &&
      verdict.loginNames?.[0]
    ) {
      verdict = await this.logins.check(connection?.id ?? null, verdict.loginNames[0], login.password);
    }
    if (!verdict.ok) {
      if (verdict.reason === 'invalid_credential' || verdict.reason === 'expired_credential') {
        this.failures.failed(host, user);
      }
      this.logger.info(
        {
          protocol,
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
      const data = await this.broker.request(stream, { connectionId: connection.id, clientAddress, protocol });
      return { data, agentId: stream.agentId, connectionId: connection.id };
    }
    // No stream here: the replica holding one serves the client, over the internal link.
    const forwarded = await this.link.relayToHolder(protocol, candidates, connection.id, clientAddress);
    return (
      forwarded ?? {
        kind: 'unavailable',
        message: `the agent serving connection "${connection.name}" is not connected`,
      }
    );
  }

  /** A data connection to an agent whose stream this replica holds (forwarded clients, signals). */
  async openLocal(
    protocol: string,
    agentId: string,
    connectionId: string,
    clientAddress: string,
  ): Promise<LocalRoute | RelayRefusal> {
    const stream = this.streams.any(agentId);
    if (!stream) return { kind: 'unavailable', message: 'the agent serving this connection is not connected' };
    const data = await this.broker.request(stream, { connectionId, clientAddress, protocol });
    return { data, agentId, connectionId };
  }

  /** Whether this replica holds a Control stream of the agent. */
  holds(agentId: string): boolean {
    return this.streams.any(agentId) !== undefined;
  }
}

/** What the client is told: the words the protocol uses, nothing about the reason. */
function refusalFor(verdict: LoginRefusal, user: string, connection: string): RelayRefusal {
  switch (verdict.reason) {
    case 'invalid_credential':
      return { kind: 'auth_failed', message: `password authentication failed for user "${user}"` };
    case 'expired_credential':
      return {
        kind: 'auth_failed',
        message: `the credential of user "${user}" has expired`,
        hint: 'Obtain a fresh credential and connect again.',
      };
    case 'no_access':
      return { kind: 'no_access', message: `user "${user}" has no access to connection "${connection}"` };
    case 'user_mismatch':
      return {
        kind: 'no_access',
        message: `the credential presented does not belong to user "${user}"`,
        ...(verdict.loginNames?.length ? { hint: `Connect with user=${verdict.loginNames.at(-1)}.` } : {}),
      };
  }
}
