// Connections to the agents' gRPC port that never finish a TLS handshake, against the built
// control plane over TLS: raw sockets that send nothing, and one that trickles a ClientHello a
// byte at a time, are closed by the server once POSTERN_GRPC_HANDSHAKE_TIMEOUT_MS has passed,
// while a real gRPC client enrolls, opens its Control stream and keeps it meanwhile.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import {
  createTestDatabase,
  selfSignedCertificate,
  startControlPlane,
  type CertificateFiles,
  type ControlPlaneHandle,
  type TestDatabase,
} from '@postern/testing';
import { RawAgent } from './support/raw-agent.js';

const IDLE_SOCKETS = 50;
const HANDSHAKE_TIMEOUT_MS = 500;

let database: TestDatabase;
let tls: CertificateFiles;
let cp: ControlPlaneHandle;
let agent: RawAgent | undefined;

beforeAll(async () => {
  [database, tls] = await Promise.all([
    createTestDatabase('postern_grpc_handshake'),
    selfSignedCertificate(['localhost']),
  ]);
  cp = await startControlPlane({
    databaseUrl: database.url,
    tls,
    env: { POSTERN_RELAY_POSTGRES_PORT: 'off', POSTERN_GRPC_HANDSHAKE_TIMEOUT_MS: String(HANDSHAKE_TIMEOUT_MS) },
  });
}, 30_000);

afterAll(async () => {
  agent?.close();
  await cp?.process.stop();
  await database?.drop();
});

/** Resolves with how long the socket stayed open once the server has closed it. */
function closedBy(socket: Socket, openedAt: number): Promise<number> {
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.on('close', () => resolve(Date.now() - openedAt)));
}

function withinSeconds<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still open after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test(`${IDLE_SOCKETS} sockets that never handshake, and one that trickles, are closed; an agent still connects`, async () => {
  const openedAt = Date.now();
  const idle = Array.from({ length: IDLE_SOCKETS }, () => connect(cp.grpcPort, '127.0.0.1'));
  const idleClosed = idle.map((socket) => closedBy(socket, openedAt));
  // A TLS record header announcing a large handshake message, then one byte every 100 ms.
  const trickle = connect(cp.grpcPort, '127.0.0.1', () => trickle.write(Buffer.from([0x16, 0x03, 0x01, 0x3e, 0x80])));
  const drip = setInterval(() => trickle.writable && trickle.write(Buffer.from([0x01])), 100);
  const trickleClosed = closedBy(trickle, openedAt).finally(() => clearInterval(drip));

  // While they are held, a real client completes its handshake, enrolls and streams.
  agent = await RawAgent.start(cp, 'handshake-agent', { ca: Buffer.from(tls.cert), serverName: 'localhost' });

  const held = await withinSeconds(Promise.all([...idleClosed, trickleClosed]), 10, 'pre-handshake sockets');
  expect(held).toHaveLength(IDLE_SOCKETS + 1);
  // Closed by the server's deadline, not by anything sooner (they sent nothing to refuse).
  expect(Math.min(...held)).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);

  // The agent's stream outlived them and still answers.
  await agent.sync();
});
