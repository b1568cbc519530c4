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
  /** Open sockets per client address (entries leave with their last socket). */
  private readonly perAddress = new Map<string, number>();
  private refusedCount = 0;
  private refusalLogAt = 0;

  constructor(
    private readonly options: {
      protocol: string;
      host: string;
      port: number;
      tls: SecureContext | null;
      /** Open connections one client address may hold; more are closed before any byte is read. */
      maxConnectionsPerAddress: number;
    },
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

  /** Connections closed at once because their address held too many already. */
  get refused(): number {
    return this.refusedCount;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    const address = socket.remoteAddress ?? '?';
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.options.maxConnectionsPerAddress) return this.refuse(socket, address);
    this.perAddress.set(address, open + 1);
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
    this.sessions.serve(socket, {
      protocol: this.options.protocol,
      ingress: 'local',
      clientAddress: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      clientTls: this.options.tls,
    });
  }

  /**
   * Over the cap: closed before the engine sees it (no TLS, no session, no audit row). Counted,
   * and logged at most once a second so a flood does not become a flood of log lines.
   */
  private refuse(socket: Socket, address: string): void {
    this.refusedCount += 1;
    socket.destroy();
    const now = Date.now();
    if (now - this.refusalLogAt < 1_000) return;
    this.refusalLogAt = now;
    this.logger.warn(
      {
        protocol: this.options.protocol,
        clientAddress: address,
        limit: this.options.maxConnectionsPerAddress,
        refusedTotal: this.refusedCount,
      },
      'connection refused: too many open connections from this address',
    );
  }

  /** Stops accepting; running sessions are ended by the session manager. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
