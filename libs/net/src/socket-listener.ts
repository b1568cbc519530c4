import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';

export interface SocketListenerOptions {
  /** Names the listener in logs ("postgres relay", "internal link", "relay data", …). */
  name: string;
  host: string;
  /** 0: a port chosen by the OS (read it from `start()`). */
  port: number;
  /** TLS at the socket (internal link, relay data port). Null: plain TCP, or TLS inside the protocol. */
  tls?: TlsOptions | null;
  /** Open connections one client address may hold; more are handed to `onRefused`. */
  maxConnectionsPerAddress?: number;
  /** Called for a socket over the per-address cap, before any byte is read; it must end it. */
  onRefused?: (socket: Socket, address: string) => void;
  onTlsError?: (error: Error) => void;
}

/**
 * The one TCP listener lifecycle of Postern (relay front doors, the relay data port and the
 * internal link in the control plane, local ingress in the agent): listen, count open sockets per
 * client address and refuse beyond the cap before reading anything, track every socket so that
 * `stop()` closes the server and destroys what is still open.
 */
export class SocketListener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly perAddress = new Map<string, number>();
  private refusedCount = 0;

  constructor(
    private readonly options: SocketListenerOptions,
    private readonly onSocket: (socket: Socket) => void,
  ) {}

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    const accept = (socket: Socket) => this.accept(socket);
    const tls = this.options.tls;
    const server = tls ? createTlsServer(tls, accept) : createTcpServer({ noDelay: true }, accept);
    if (tls) {
      server.on('tlsClientError', (error: Error) => this.options.onTlsError?.(error));
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  /** Connections closed at once because their address held too many already. */
  get refused(): number {
    return this.refusedCount;
  }

  get open(): number {
    return this.sockets.size;
  }

  /** Serves a socket that arrived another way (a client forwarded by another replica) until stop(). */
  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Stops accepting and destroys the sockets still open. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** Closes the server only; open sockets are left to their owners (the agent's graceful end). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const address = socket.remoteAddress ?? '?';
    const cap = this.options.maxConnectionsPerAddress ?? Infinity;
    const open = this.perAddress.get(address) ?? 0;
    if (open >= cap) {
      this.refusedCount += 1;
      if (this.options.onRefused) this.options.onRefused(socket, address);
      else socket.destroy();
      return;
    }
    this.perAddress.set(address, open + 1);
    this.track(socket);
    socket.once('close', () => {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
    this.onSocket(socket);
  }
}
