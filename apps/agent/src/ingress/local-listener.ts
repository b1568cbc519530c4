import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@postern/logging';
import { SocketListener } from '@postern/net';
import type { SessionManager } from '../sessions/session-manager.js';

/**
 * The agent's own listener for workloads in its network segment (local ingress): each accepted
 * socket becomes a session of the given protocol. TLS, when configured, is negotiated by the
 * engine inside the protocol (PostgreSQL's SSLRequest), not at the socket. The listener lifecycle
 * and the per-address cap are @postern/net's SocketListener, shared with the control plane.
 */
export class LocalListener {
  private readonly listener: SocketListener;
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
  ) {
    this.listener = new SocketListener(
      {
        name: `${options.protocol} local ingress`,
        host: options.host,
        port: options.port,
        maxConnectionsPerAddress: options.maxConnectionsPerAddress,
        onRefused: (socket, address) => this.refuse(socket, address),
      },
      (socket) => this.accept(socket),
    );
  }

  async start(): Promise<number> {
    const port = await this.listener.start();
    this.logger.info(
      { protocol: this.options.protocol, host: this.options.host, port, tls: Boolean(this.options.tls) },
      'local ingress listening',
    );
    return port;
  }

  /** Connections closed at once because their address held too many already. */
  get refused(): number {
    return this.listener.refused;
  }

  private accept(socket: Socket): void {
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
    socket.destroy();
    const now = Date.now();
    if (now - this.refusalLogAt < 1_000) return;
    this.refusalLogAt = now;
    this.logger.warn(
      {
        protocol: this.options.protocol,
        clientAddress: address,
        limit: this.options.maxConnectionsPerAddress,
        refusedTotal: this.listener.refused,
      },
      'connection refused: too many open connections from this address',
    );
  }

  /** Stops accepting; running sessions are ended by the session manager. */
  async stop(): Promise<void> {
    await this.listener.close();
  }
}
