import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { errorResponse } from '@postern/wire-postgres';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import type { FrontDoor, LocalRoute, RefusalKind } from '../core/front-door.js';
import { InternalLinkClient } from '../core/internal-link.client.js';
import { RelayRouter } from '../core/relay-router.js';
import { CancelRoutes, type CancelRoute } from './cancel-routes.js';
import { PostgresRelaySession, type PostgresSessionHost, type PostgresRefusal } from './postgres-relay-session.js';

export const POSTGRES = 'postgres';

/** SQLSTATEs for the relay core's refusals. */
const SQLSTATE: Record<RefusalKind, string> = {
  busy: '53300',
  auth_failed: '28P01',
  no_access: '28000',
  unavailable: '08001',
};

/**
 * The PostgreSQL front door of the relay (POSTERN_RELAY_POSTGRES_*): learns the connection name
 * from the StartupMessage (`database`) and the credential from a cleartext password request,
 * then hands the login to the relay core. It also routes CancelRequests, which carry no name —
 * only a key the agent issued — to the agent that issued them.
 */
@Injectable()
export class PostgresFrontDoor implements FrontDoor, PostgresSessionHost {
  readonly protocol = POSTGRES;
  readonly defaultPort = 5433;
  private readonly tls: SecureContext | null;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly router: RelayRouter,
    private readonly cancelRoutes: CancelRoutes,
    private readonly link: InternalLinkClient,
  ) {
    const tls = config.relay.doors[POSTGRES] ? config.relay.tls : null;
    this.tls = tls ? createSecureContext({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }) : null;
  }

  accept(socket: Socket, clientAddress: string): void {
    new PostgresRelaySession(socket, clientAddress, this.tls, this, this.logger);
  }

  refuseBusy(socket: Socket, host: string): void {
    socket.end(errorResponse({ severity: 'FATAL', code: '53300', message: `too many connections from ${host}` }));
  }

  adopt(client: Duplex, clientAddress: string, route: LocalRoute): void {
    new PostgresRelaySession(client, clientAddress, null, this, this.logger, route);
  }

  async route(login: { database: string; user: string; password: string }, clientAddress: string) {
    const routed = await this.router.route(
      POSTGRES,
      { connection: login.database, user: login.user, password: login.password },
      clientAddress,
    );
    if ('kind' in routed) return toPostgres(routed);
    return routed;
  }

  async cancel(processId: number, secretKey: Buffer, packet: Buffer, clientAddress: string): Promise<void> {
    const route = await this.cancelRoutes.find(processId, secretKey);
    if (!route) return; // unknown keys are dropped silently, as PostgreSQL does
    try {
      if (this.router.holds(route.agentId)) await this.signal(route, packet, clientAddress);
      else await this.link.signalAtHolder(POSTGRES, route, packet, clientAddress);
    } catch (error) {
      this.logger.warn({ err: error, clientAddress }, 'could not relay a cancel request');
    }
  }

  /** Sends a CancelRequest to the agent on a data connection of its own (dropped if not held here). */
  async signal(route: CancelRoute, packet: Buffer, clientAddress: string): Promise<void> {
    const opened = await this.router.openLocal(POSTGRES, route.agentId, route.connectionId, clientAddress);
    if ('kind' in opened) return;
    opened.data.on('error', () => undefined);
    opened.data.end(packet);
  }

  rememberCancelKey(processId: number, secretKey: Buffer, route: CancelRoute): () => void {
    return this.cancelRoutes.add(processId, secretKey, route);
  }
}

function toPostgres(refusal: { kind: RefusalKind; message: string; hint?: string }): PostgresRefusal {
  return {
    code: SQLSTATE[refusal.kind],
    message: refusal.message,
    ...(refusal.hint === undefined ? {} : { hint: refusal.hint }),
  };
}
