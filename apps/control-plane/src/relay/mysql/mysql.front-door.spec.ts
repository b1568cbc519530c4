import { afterEach, describe, expect, test } from '@jest/globals';
import { createServer, type AddressInfo, type Server } from 'node:net';
import mysql from 'mysql2/promise';
import type { Logger } from '@postern/logging';
import type { ControlPlaneConfig } from '../../platform/config/config.js';
import type { RelayRouter } from '../core/relay-router.js';
import { MysqlFrontDoor } from './mysql.front-door.js';

const logger = { info: () => undefined, debug: () => undefined, warn: () => undefined } as unknown as Logger;
const config = {
  relay: { doors: { mysql: { host: '127.0.0.1', port: 0 } }, tls: null },
} as unknown as ControlPlaneConfig;

let server: Server | undefined;
afterEach(() => void server?.close());

describe('the MySQL front door', () => {
  test('over the per-host cap a client gets ERR 1040 instead of a greeting, as from a MySQL server', async () => {
    const door = new MysqlFrontDoor(config, logger, {} as RelayRouter);
    server = createServer((socket) => door.refuseBusy(socket, '127.0.0.1'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await expect(mysql.createConnection({ host: '127.0.0.1', port, user: 'u', database: 'c' })).rejects.toMatchObject({
      errno: 1040,
      message: expect.stringContaining('Too many connections from 127.0.0.1'),
    });
  });

  test("the router's refusals in a MySQL server's words, for mysql2", async () => {
    const refusals = [
      { kind: 'auth_failed', message: 'password authentication failed for user "u"' },
      { kind: 'no_access', message: 'user "u" has no access to connection "c"' },
      { kind: 'busy', message: 'too many new sessions from 127.0.0.1' },
      { kind: 'unavailable', message: 'the agent serving connection "c" is not connected' },
    ];
    const router = { route: async () => refusals.shift()! } as unknown as RelayRouter;
    const door = new MysqlFrontDoor(config, logger, router);
    server = createServer((socket) => door.accept(socket, `${socket.remoteAddress}:${socket.remotePort}`));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const login = () =>
      mysql
        .createConnection({
          host: '127.0.0.1',
          port,
          user: 'u',
          password: 'p',
          database: 'c',
          enableCleartextPlugin: true,
        })
        .catch((error: { errno: number; message: string }) => ({ errno: error.errno, message: error.message }));
    expect(await login()).toEqual({ errno: 1045, message: "Access denied for user 'u' (using password: YES)" });
    expect(await login()).toEqual({ errno: 1044, message: "Access denied for user 'u' to database 'c'" });
    expect(await login()).toEqual({ errno: 1040, message: 'too many new sessions from 127.0.0.1' });
    expect(await login()).toMatchObject({ errno: 1184 });
  });
});
