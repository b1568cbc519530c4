import { readFileSync } from 'node:fs';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { GRPC_SERVER_OPTIONS } from '@postern/proto';
import type { Logger } from '@postern/logging';
import type { ControlPlaneConfig } from '../../config/config.js';

export interface GrpcServiceRegistration {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/**
 * TLS server credentials like `ServerCredentials.createSsl(null, [pair], false)`, plus a deadline
 * for the TLS handshake: grpc-js passes the constructor options to `http2.createSecureServer`,
 * whose default (120 s) let idle sockets that never send a ClientHello pile up before any
 * authentication. Node's HTTP/2 server closes a socket whose handshake has not completed when the
 * timeout expires, counted from the connection, whatever it sends meanwhile (a trickled ClientHello
 * included).
 */
export class HandshakeTimeoutCredentials extends ServerCredentials {
  constructor(cert: Buffer, key: Buffer, handshakeTimeoutMs: number) {
    super({ requestCert: false, handshakeTimeout: handshakeTimeoutMs }, { cert: [cert], key: [key] });
  }

  /** Binding the same port twice (grpc-js compares credentials then) is never done here. */
  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * The agents' gRPC endpoint, on its own port (agents dial in from other networks; the HTTP
 * API may sit behind a different load balancer). TLS unless explicitly configured otherwise.
 */
export class GrpcServer {
  private readonly server = new Server(GRPC_SERVER_OPTIONS);
  private boundPort: number | undefined;

  constructor(
    private readonly config: ControlPlaneConfig,
    private readonly logger: Logger,
  ) {}

  add(registration: GrpcServiceRegistration): void {
    this.server.addService(registration.definition, registration.implementation);
  }

  async start(): Promise<number> {
    const { host, port, tls } = this.config.grpc;
    const credentials = tls
      ? new HandshakeTimeoutCredentials(
          readFileSync(tls.certFile),
          readFileSync(tls.keyFile),
          this.config.grpc.handshakeTimeoutMs,
        )
      : ServerCredentials.createInsecure();
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    this.logger.info({ host, port: this.boundPort, tls: Boolean(tls) }, 'grpc listening');
    return this.boundPort;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /** Stops accepting calls, waits for running calls up to `graceMs`, then cuts the rest. */
  async stop(graceMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
