import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { KUBERNETES_PATH_PREFIX, routeHttpRequest } from '@postern/policy-http';
import type { Principal, ResolvedConnection } from '../engine.js';
import type { KubernetesContext } from './rules.js';
import type { StatusReason } from './status.js';

/**
 * Where a client addresses a connection: its kubeconfig's server URL is
 * `https://<agent or relay>/k8s/<connection>`, and client-go puts the API path after it. The
 * prefix is stripped before the request is read or forwarded.
 */
export const CONNECTION_PREFIX = KUBERNETES_PATH_PREFIX;

export interface Addressed {
  connectionName: string;
  /** The API request target after the prefix: `/api/v1/…?…` */
  target: string;
}

/**
 * Splits `/k8s/<connection>/api/v1/pods?…` (@postern/policy-http's routing, the one the relay's
 * HTTP front door uses too); null when the path does not start that way or the name is not a
 * connection name.
 */
export function addressed(url: string): Addressed | null {
  const route = routeHttpRequest(undefined, url, null);
  return route?.protocol === 'kubernetes' ? { connectionName: route.connection, target: route.target } : null;
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1]! : null;
}

export type AuthVerdict =
  | { ok: true; principal: Principal; connection: ResolvedConnection; first: boolean }
  | { ok: false; reason: StatusReason; message: string; close: boolean };

/**
 * Client authentication for one client connection (one session): the first request's bearer
 * token is checked by the agent's authenticator through the context (connection credential or
 * OIDC access token; no user name: the credential names its principal). Every later request on
 * the connection must carry the same token (compared in constant time) and name the same
 * connection; a different token closes the connection, so the client's next one — with its
 * refreshed token — is a new, fully checked session.
 */
export class ClientAuth {
  private admitted: Promise<AuthVerdict> | null = null;
  private digest: Buffer | null = null;
  private failures = 0;

  constructor(
    private readonly context: KubernetesContext,
    private readonly maxFailures: number,
  ) {}

  get authenticated(): boolean {
    return this.digest !== null;
  }

  async check(request: IncomingMessage, connectionName: string): Promise<AuthVerdict> {
    const token = bearerToken(request.headers.authorization);
    if (token === null) {
      return this.fail('Postern: present your Postern credential as a bearer token (see `postern kubeconfig`)');
    }
    const digest = createHash('sha256').update(token).digest();
    if (this.admitted === null) {
      this.admitted = this.login(connectionName, token, digest);
      const verdict = await this.admitted;
      if (!verdict.ok) this.admitted = null;
      return verdict;
    }
    const verdict = await this.admitted;
    if (!verdict.ok) return this.check(request, connectionName);
    if (this.digest === null || !timingSafeEqual(digest, this.digest)) {
      return {
        ok: false,
        reason: 'Unauthorized',
        message: 'Postern: a different credential on this connection: reconnect',
        close: true,
      };
    }
    if (connectionName !== verdict.connection.name) {
      return {
        ok: false,
        reason: 'NotFound',
        message: `Postern: this connection serves "${verdict.connection.name}", not "${connectionName.slice(0, 80)}"`,
        close: true,
      };
    }
    return { ...verdict, first: false };
  }

  private async login(connectionName: string, token: string, digest: Buffer): Promise<AuthVerdict> {
    const connection = this.context.resolveConnection(connectionName, 'kubernetes');
    // An unknown connection and a wrong credential read the same to the client.
    if (connection === null) return this.fail('Postern: the credential is not valid for this connection');
    const result = await this.context.authenticate(connection, null, token);
    if (!result.ok) {
      this.context.logger.info({ connection: connection.name, reason: result.reason }, 'kubernetes login refused');
      switch (result.reason) {
        case 'expired_credential':
          return this.fail('Postern: the credential has expired: obtain a fresh one');
        case 'no_access':
          return {
            ok: false,
            reason: 'Forbidden',
            message: `Postern: no access to connection "${connection.name}"`,
            close: true,
          };
        case 'rate_limited':
          return { ok: false, reason: 'TooManyRequests', message: `Postern: ${result.message}`, close: true };
        case 'policy_stale':
          return {
            ok: false,
            reason: 'ServiceUnavailable',
            message: 'Postern: the agent cannot reach its control plane: new sessions are refused until it can',
            close: true,
          };
        default:
          return this.fail('Postern: the credential is not valid for this connection');
      }
    }
    this.digest = digest;
    return { ok: true, principal: result.principal, connection, first: true };
  }

  private fail(message: string): AuthVerdict {
    this.failures += 1;
    return { ok: false, reason: 'Unauthorized', message, close: this.failures >= this.maxFailures };
  }
}
