// The relay's own admission limits, against a real control plane with small limits: open
// connections per client host, and new sessions per second per client host (a flood of startups
// from one host must not turn into a flood of tunnel requests to agents).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { createTestDatabase, startControlPlane, type ControlPlaneHandle, type TestDatabase } from '@postern/testing';

let database: TestDatabase;
let cp: ControlPlaneHandle;

beforeAll(async () => {
  database = await createTestDatabase('postern_relay_limits');
  cp = await startControlPlane({
    databaseUrl: database.url,
    env: {
      POSTERN_RELAY_CONNECT_RATE_PER_ADDRESS: '0.5',
      POSTERN_RELAY_CONNECT_BURST_PER_ADDRESS: '3',
      POSTERN_RELAY_MAX_CONNECTIONS_PER_ADDRESS: '4',
    },
  });
}, 60_000);

afterAll(async () => {
  await cp?.process.stop();
  await database?.drop();
});

function startup(database: string): Buffer {
  const body = Buffer.from(`\0\x03\0\0user\0alice\0database\0${database}\0\0`, 'latin1');
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}

/** Opens a connection; resolves once connected. */
function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: cp.relayPort! }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A PasswordMessage with a password no connection accepts. */
const WRONG_PASSWORD = Buffer.concat([Buffer.from('p'), Buffer.from([0, 0, 0, 10]), Buffer.from('wrong\0')]);

/**
 * Everything the relay sends until it closes the connection; asked for a password
 * (AuthenticationCleartextPassword), the client gives a wrong one.
 */
function answer(socket: Socket, send?: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (chunk[0] === 0x52 && chunk.length >= 9 && chunk.readInt32BE(5) === 3) socket.write(WRONG_PASSWORD);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    if (send) socket.write(send);
  });
}

describe('relay admission limits per client host', () => {
  test('beyond the open-connection limit a new connection gets 53300 at once', async () => {
    const held = await Promise.all([open(), open(), open(), open()]);
    try {
      const refused = await answer(await open());
      expect(refused).toContain('C53300');
      expect(refused).toContain('too many connections from 127.0.0.1');
    } finally {
      for (const socket of held) socket.destroy();
    }
  });

  test('beyond the session rate, startups are refused with 53300 before any routing', async () => {
    // The relay may not have seen the previous test's sockets close yet: a connection it refuses
    // for the open-connection limit (no startup read, no token spent) is simply tried again.
    const answerOnce = async (send: Buffer): Promise<string> => {
      for (let attempt = 0; ; attempt += 1) {
        const got = await answer(await open(), send);
        if (!got.includes('too many connections') || attempt === 100) return got;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const answers: string[] = [];
    for (let i = 0; i < 5; i += 1) answers.push(await answerOnce(startup('no-such-connection')));
    // The burst (3) gets to log in — asked for a password like any connection, known or not, and
    // refused (28P01); then the bucket is empty and startups are refused before any login.
    expect(answers.slice(0, 3).every((a) => a.startsWith('R') && a.includes('C28P01'))).toBe(true);
    expect(answers.slice(3).every((a) => a.includes('C53300') && a.includes('too many new sessions'))).toBe(true);
  });
});
