import { createServer } from 'node:net';

/**
 * A port the OS considers free right now. Only for processes that must keep one fixed port
 * across a restart (an agent reconnecting to a restarted control plane); everything else
 * listens on port 0 and reports the port it got.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
