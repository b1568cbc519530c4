// Faults at the SSH ingress: a client that never authenticates, garbage instead of SSH, a
// relayed-style Duplex instead of a socket, the target going away mid-session. Each ends only
// the session concerned; the engine keeps serving.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect } from 'node:net';
import { initShellParser } from '@postern/policy-ssh';
import { ALICE, PrivateSshd, ssh, SshGateway, waitUntil } from './ssh-harness.js';

let sshd: PrivateSshd;
let gateway: SshGateway;
const login = `${ALICE.login}+web01`;

beforeAll(async () => {
  await initShellParser();
  sshd = await PrivateSshd.start();
  gateway = await SshGateway.start(
    {
      web01: {
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        secret: sshd.clientKey,
        hostKeyFingerprint: sshd.fingerprint,
      },
    },
    {},
    { authTimeoutMs: 500 },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await sshd?.stop();
});

/** Opens a raw TCP connection, writes `bytes`, resolves with what came back once it closed. */
function raw(bytes: Buffer | null): Promise<{ received: Buffer; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(gateway.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () => bytes && socket.write(bytes));
    socket.once('close', () => resolve({ received: Buffer.concat(chunks), ms: Date.now() - started }));
  });
}

describe('ssh engine: faults', () => {
  test('a client that never authenticates is cut off at the deadline', async () => {
    const { received, ms } = await raw(null);
    expect(received.toString()).toMatch(/^SSH-2\.0-Postern/);
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(5_000);
  });

  test('garbage instead of SSH ends that connection only', async () => {
    const { received } = await raw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(50)));
    expect(received.toString()).toMatch(/^SSH-2\.0-Postern/);
    const result = await ssh(gateway.port, login, ['echo still-serving']);
    expect(result).toMatchObject({ code: 0, stdout: 'still-serving\n' });
  });

  test('a session served over a plain Duplex (as relayed sessions are) works like a socket', async () => {
    gateway.wrapInDuplex = true;
    try {
      const result = await ssh(gateway.port, login, ['echo over-a-duplex']);
      expect(result).toMatchObject({ code: 0, stdout: 'over-a-duplex\n' });
    } finally {
      gateway.wrapInDuplex = false;
    }
  });

  test('the target going away mid-command ends the session with a message', async () => {
    const before = gateway.sessions.length;
    // The sshd child serving this session is killed (not the listening sshd): the target drops it.
    const running = ssh(gateway.port, login, ['kill -9 $PPID; sleep 30']);
    const result = await running;
    await waitUntil(() => gateway.sessions[before]?.closed.length === 1, 'the session summary');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('was closed by the target');
    expect(gateway.sessions[before]!.closed[0]).toMatchObject({ endReason: 'target_closed' });
  });
});
