import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpBalancer {
  /** host:port clients dial. */
  address: string;
  port: number;
  /** Which backend (index into `backends`) each accepted connection went to, in order. */
  readonly picks: number[];
  /**
   * Stalls every connection open now, as a broken middlebox does: nothing more is forwarded either
   * way, yet both sockets stay open, so neither end sees a close or a reset. New connections are
   * forwarded as usual.
   */
  stall(): void;
  close(): Promise<void>;
}

/**
 * A tiny round-robin TCP load balancer standing in for a Kubernetes Service in front of several
 * control-plane replicas: each accepted connection is piped to the next backend that accepts a
 * connection; dead backends are skipped. It knows nothing of what it carries (gRPC over TLS here).
 */
export async function startTcpBalancer(backends: Array<{ host?: string; port: number }>): Promise<TcpBalancer> {
  let next = 0;
  const picks: number[] = [];
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const dial = (client: Socket, tries: number) => {
    if (tries >= backends.length || client.destroyed) {
      client.destroy();
      return;
    }
    const index = next;
    next = (next + 1) % backends.length;
    const backend = backends[index]!;
    const upstream = connect({ host: backend.host ?? '127.0.0.1', port: backend.port });
    track(upstream);
    const onConnectError = () => dial(client, tries + 1);
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      upstream.removeListener('error', onConnectError);
      picks.push(index);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      const pair: [Socket, Socket] = [client, upstream];
      pairs.add(pair);
      client.on('close', () => pairs.delete(pair));
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => undefined);
    dial(client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    port,
    picks,
    stall: () => {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
