import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@postern/logging';
import { routeHttpRequest } from '@postern/policy-http';
import { ConnectionsService } from '../../connections/connections.service.js';
import { CONFIG, type ControlPlaneConfig } from '../../platform/config/config.js';
import { LOGGER } from '../../platform/infra/logging/nest-logger.js';
import type { FrontDoor, LocalRoute, RefusalKind } from '../core/front-door.js';
import { RelayRouter } from '../core/relay-router.js';
import {
  kubernetesStatusAnswer,
  presentedCredential,
  problemAnswer,
  readRequestHead,
  type RequestHead,
} from './request-head.js';

export const HTTP = 'http';
/** Kubernetes connections are reached through this door too (`/k8s/<connection>/…`). */
export const KUBERNETES = 'kubernetes';

/** As large as the agent's engine allows (its maxHeaderBytes default). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Time a client has for its TLS handshake and first request head. */
const HEAD_TIMEOUT_MS = 15_000;

const STATUS: Record<RefusalKind, number> = { busy: 429, auth_failed: 401, no_access: 403, unavailable: 502 };
const CHALLENGE = { 'www-authenticate': 'Bearer realm="postern", Basic realm="postern"' };

/**
 * The HTTP front door of the relay (POSTERN_RELAY_HTTP_*, default port 8444): TLS with the relay's
 * certificate, then the first request's head names the connection by its path prefix
 * (`/c/<connection>/…` for an HTTP connection, `/k8s/<connection>/…` for a Kubernetes one: the
 * agent's Kubernetes engine serves it, kubectl's exec and port-forward upgrades included) and
 * carries the caller's credential (`Authorization: Bearer`, or Basic `user:credential`, or for an
 * HTTP connection the header or cookie it names); the relay core checks it before any agent is
 * asked for anything, then the bytes read so far are replayed to the agent's engine and the two
 * sides are piped. The engine parses every request itself, checks the credential again, binds the
 * connection to it (a later request naming another connection or credential is refused) and
 * applies the rules.
 */
@Injectable()
export class HttpFrontDoor implements FrontDoor {
  readonly protocol = HTTP;
  readonly alsoServes = [KUBERNETES] as const;
  readonly defaultPort = 8444;
  private readonly tls: SecureContext | null;

  constructor(
    @Inject(CONFIG) config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly router: RelayRouter,
    private readonly connections: ConnectionsService,
  ) {
    const tls = config.relay.doors[HTTP] ? config.relay.tls : null;
    this.tls = tls ? createSecureContext({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }) : null;
  }

  accept(socket: Socket, clientAddress: string): void {
    socket.setNoDelay(true);
    const client: Duplex = this.tls
      ? new TLSSocket(socket, { isServer: true, secureContext: this.tls, ALPNProtocols: ['http/1.1'] })
      : socket;
    client.on('error', () => client.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => client.destroy());
    const timer = setTimeout(() => {
      client.end(problemAnswer(408, 'request-timeout', 'No request head in time'));
    }, HEAD_TIMEOUT_MS);
    timer.unref();
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      const received = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const head = readRequestHead(received, MAX_HEAD_BYTES);
      if (head === null && bytes <= MAX_HEAD_BYTES) return;
      client.off('data', onData);
      client.pause();
      clearTimeout(timer);
      if (head === null || 'status' in head) {
        const status = head?.status ?? 431;
        client.end(
          problemAnswer(status, status === 431 ? 'headers-too-large' : 'bad-request', 'Bad request', head?.detail),
        );
        return;
      }
      void this.serve(client, received, head, clientAddress).catch((error: unknown) => {
        this.logger.error({ err: error, clientAddress }, 'http relay session failed');
        client.destroy();
      });
    };
    client.on('data', onData);
    client.once('close', () => clearTimeout(timer));
  }

  refuseBusy(socket: Socket, host: string): void {
    // Before TLS: a plain answer is all a client over the limit gets (a TLS client sees a closed connection).
    if (this.tls) socket.end();
    else socket.end(problemAnswer(429, 'busy', `Too many connections from ${host}`));
  }

  adopt(client: Duplex, clientAddress: string, route: LocalRoute): void {
    // The forwarding replica read the head and checked the login; its bytes arrive as they came.
    join(client, route.data, this.logger, clientAddress);
  }

  private async serve(client: Duplex, received: Buffer, head: RequestHead, clientAddress: string): Promise<void> {
    const route = routeHttpRequest(head.headers.get('host')?.[0], head.target, null);
    // kubectl reads Kubernetes Status objects; everything else gets problem bodies.
    const refuse = (status: number, slug: string, title: string, detail?: string, headers?: Record<string, string>) =>
      void client.end(
        route?.protocol === KUBERNETES
          ? kubernetesStatusAnswer(status, `Postern: ${detail ? `${title}: ${detail}` : title}`, headers)
          : problemAnswer(status, slug, title, detail, headers),
      );
    if (route === null) {
      return refuse(
        404,
        'unknown-connection',
        'No connection named',
        'name the connection with the path /c/<connection>/… (HTTP) or /k8s/<connection>/… (Kubernetes)',
      );
    }
    let credential = presentedCredential(head);
    if ('missing' in credential) {
      // No Authorization: the connection may name a header or cookie for it (read as the agent does).
      const named = await this.connections.findByName(route.connection);
      if (named?.protocol === 'HTTP') {
        credential = presentedCredential(head, {
          header: named.settings.credentialHeader,
          cookie: named.settings.credentialCookie,
        });
      }
    }
    if ('missing' in credential) {
      return refuse(
        401,
        'unauthenticated',
        'A Postern credential is required',
        'send a connection credential or an OIDC access token as Authorization: Bearer (or Basic)',
        CHALLENGE,
      );
    }
    if ('problem' in credential) return refuse(400, 'bad-request', 'Bad request', credential.problem);
    const routed = await this.router.route(
      route.protocol,
      {
        connection: route.connection,
        user: credential.user,
        password: credential.password,
        userFromCredential: credential.bearer,
      },
      clientAddress,
    );
    if ('kind' in routed) {
      const status = STATUS[routed.kind];
      return refuse(
        status,
        status === 401 ? 'unauthenticated' : routed.kind.replace(/_/g, '-'),
        status === 401 ? 'Authentication failed' : routed.message,
        routed.hint,
        status === 401 ? CHALLENGE : {},
      );
    }
    const upstream = 'link' in routed ? routed.link : routed.data;
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    // The bytes read so far, unchanged: the agent's engine parses them (and every later request on
    // this connection, an upgraded exec or port-forward stream included) itself.
    upstream.write(received);
    join(client, upstream, this.logger, clientAddress);
    client.resume();
  }
}

/** Pipes a client and its agent's data connection (or the internal link) both ways until either ends. */
function join(client: Duplex, upstream: Duplex, logger: Logger, clientAddress: string): void {
  client.on('error', () => upstream.destroy());
  upstream.on('error', (error: Error) => {
    logger.debug({ err: error, clientAddress }, 'http relay data connection ended with an error');
    client.destroy();
  });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.end());
  client.pipe(upstream);
  upstream.pipe(client);
}
