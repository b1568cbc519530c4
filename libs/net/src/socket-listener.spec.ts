import { describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { SocketListener } from './socket-listener.js';

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

describe('SocketListener', () => {
  test('refuses beyond the per-address cap before reading, and stop() ends what is open', async () => {
    const accepted: Socket[] = [];
    const refused: string[] = [];
    const listener = new SocketListener(
      {
        name: 'test',
        host: '127.0.0.1',
        port: 0,
        maxConnectionsPerAddress: 2,
        onRefused: (socket, address) => {
          refused.push(address);
          socket.end('busy');
        },
      },
      (socket) => accepted.push(socket),
    );
    const port = await listener.start();
    expect(port).toBeGreaterThan(0);
    const a = await dial(port);
    const b = await dial(port);
    const c = await dial(port);
    const busy = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      c.on('data', (chunk: Buffer) => chunks.push(chunk));
      c.on('close', () => resolve(Buffer.concat(chunks).toString()));
    });
    expect(busy).toBe('busy');
    expect(listener.refused).toBe(1);
    expect(refused).toEqual(['127.0.0.1']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(listener.open).toBe(2);
    await Promise.all([listener.stop(), closed(a), closed(b)]);
    expect(accepted).toHaveLength(2);
  });
});
