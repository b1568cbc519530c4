import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import type { SessionManager } from '../sessions/session-manager.js';

/**
 * The agent's own listener for workloads in its network segment (local ingress): each accepted
 * socket becomes a session of the given protocol. TLS, when configured, is negotiated by the
 * engine inside the protocol (PostgreSQL's SSLRequest), not at the socket.
 */
export class LocalListener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly options: { protocol: string; host: string; port: number; tls: SecureContext | null },
    private readonly sessions: SessionManager,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    this.logger.info(
      { protocol: this.options.protocol, host: this.options.host, port, tls: Boolean(this.options.tls) },
      'local ingress listening',
    );
    return port;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    this.sessions.serve(socket, {
      protocol: this.options.protocol,
      ingress: 'local',
      clientAddress: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      clientTls: this.options.tls,
    });
  }

  /** Stops accepting; running sessions are ended by the session manager. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
