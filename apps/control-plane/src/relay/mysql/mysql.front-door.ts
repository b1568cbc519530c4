import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { encodeErr, packet, ServerError, type ServerErrorCode } from '@postern/wire-mysql';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import type { FrontDoor, LocalRoute, RefusalKind, RelayLogin, RelayRefusal } from '../core/front-door.js';
import { RelayRouter } from '../core/relay-router.js';
import { MysqlRelaySession, type MysqlRefusal, type MysqlSessionHost } from './mysql-relay-session.js';

export const MYSQL = 'mysql';

/** The relay core's refusals as MySQL servers number them (the agent's engine uses the same). */
const SERVER_ERROR: Record<RefusalKind, ServerErrorCode> = {
  busy: ServerError.TooManyConnections,
  auth_failed: ServerError.AccessDenied,
  no_access: ServerError.DatabaseAccessDenied,
  unavailable: ServerError.AbortingConnection,
};

/** As long as the agent's engine allows (its maxPasswordLength default). */
const MAX_PASSWORD_BYTES = 16 * 1024;
/** MySQL's connect_timeout is 10 s; the relay adds the agent's login. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

/**
 * The MySQL/MariaDB front door of the relay (POSTERN_RELAY_MYSQL_*, default port 3307): greets
 * like the agent's engine, learns the connection name from the handshake response's database and
 * the credential through mysql_clear_password, hands the login to the relay core, then logs in to
 * the agent's engine for the client (see MysqlRelaySession).
 */
@Injectable()
export class MysqlFrontDoor implements FrontDoor, MysqlSessionHost {
  readonly protocol = MYSQL;
  readonly defaultPort = 3307;
  private readonly tls: SecureContext | null;
  /** Connection ids in our greetings (clients show them; the agent's session has its own). */
  private nextConnectionId = 1;

  constructor(
    @Inject(CONFIG) config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly router: RelayRouter,
  ) {
    const tls = config.relay.doors[MYSQL] ? config.relay.tls : null;
    this.tls = tls ? createSecureContext({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }) : null;
  }

  accept(socket: Socket, clientAddress: string): void {
    socket.setNoDelay(true);
    const connectionId = this.nextConnectionId;
    this.nextConnectionId = (this.nextConnectionId % 0x7fff_ffff) + 1;
    new MysqlRelaySession(
      socket,
      clientAddress,
      { tls: this.tls, connectionId, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, maxPasswordBytes: MAX_PASSWORD_BYTES },
      this,
      this.logger,
    );
  }

  /** As a MySQL server over its connection limit: an ERR instead of the greeting. */
  refuseBusy(socket: Socket, host: string): void {
    const { errno, sqlState } = ServerError.TooManyConnections;
    socket.end(packet(encodeErr({ code: errno, sqlState, message: `Too many connections from ${host}` }), 0));
  }

  /**
   * A client forwarded by another replica: that replica's session greeted the client, checked
   * the login and speaks to the agent's engine itself through the link, so here the link and the
   * agent's data connection are joined as they are.
   */
  adopt(client: Duplex, clientAddress: string, route: LocalRoute): void {
    const { data } = route;
    client.on('error', () => data.destroy());
    data.on('error', (error: Error) => {
      this.logger.debug({ err: error, clientAddress }, 'relay data connection ended with an error');
      client.destroy();
    });
    client.on('close', () => data.destroy());
    data.on('close', () => client.end());
    client.pipe(data);
    data.pipe(client);
  }

  async route(login: RelayLogin, clientAddress: string) {
    const routed = await this.router.route(MYSQL, login, clientAddress);
    if ('kind' in routed) return toMysql(routed, login);
    return routed;
  }
}

/** The relay core's refusal in the words a MySQL server uses for it. */
function toMysql(refusal: RelayRefusal, login: RelayLogin): MysqlRefusal {
  const hint = refusal.hint === undefined ? '' : ` (${refusal.hint})`;
  switch (refusal.kind) {
    case 'auth_failed': {
      const expired = /expired/.test(refusal.message) ? ': the credential has expired' : '';
      return {
        error: SERVER_ERROR.auth_failed,
        message: `Access denied for user '${login.user}' (using password: YES)${expired}${hint}`,
      };
    }
    case 'no_access':
      return {
        error: SERVER_ERROR.no_access,
        message: `Access denied for user '${login.user}' to database '${login.connection.slice(0, 63)}'${hint}`,
      };
    default:
      return { error: SERVER_ERROR[refusal.kind], message: `${refusal.message}${hint}` };
  }
}
