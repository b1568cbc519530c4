import { afterEach, describe, expect, test } from '@jest/globals';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import type { Logger } from '@postern/logging';
import { GATEWAY_CAPABILITIES, encodeHandshakeResponse41, encodeSslRequest, packet } from '@postern/wire-mysql';
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

  test('any bytes from a client end in an ERR or a close, never an exception', async () => {
    const router = { route: async () => ({ kind: 'unavailable', message: 'no agent' }) } as unknown as RelayRouter;
    const door = new MysqlFrontDoor(config, logger, router);
    server = createServer((socket) => door.accept(socket, 'fuzz:1'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const head = {
      capabilityFlags: GATEWAY_CAPABILITIES,
      mariaDbCapabilityFlags: 0,
      maxPacketSize: 1 << 24,
      characterSet: 45,
    };
    const wellFormed = [
      packet(encodeSslRequest(head), 1),
      packet(encodeHandshakeResponse41({ ...head, username: 'u', authResponse: Buffer.alloc(20), database: 'c' }), 1),
    ];
    // What a client sends and then leaves: random bytes, or a real first packet cut or followed by junk.
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc
        .tuple(fc.constantFrom(...wellFormed), fc.nat(), fc.uint8Array({ maxLength: 40 }))
        .map(([valid, cut, junk]) => Buffer.concat([valid.subarray(0, cut % (valid.length + 1)), Buffer.from(junk)])),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        const received: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.end(bytes);
        await new Promise((resolve) => socket.once('close', resolve));
        // The greeting always came first; then the request for the clear password (0xfe) when a
        // handshake response was whole, and an ERR (0xff) when anything was wrong.
        const all = Buffer.concat(received);
        expect(all[4]).toBe(10);
        let rest = all.subarray(4 + all.readUIntLE(0, 3));
        if (rest[4] === 0xfe) rest = rest.subarray(4 + rest.readUIntLE(0, 3));
        if (rest.length > 0) expect(rest[4]).toBe(0xff);
      }),
      { numRuns: 60 },
    );
  });
});
