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
      ? ServerCredentials.createSsl(
          null,
          [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
          false,
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
