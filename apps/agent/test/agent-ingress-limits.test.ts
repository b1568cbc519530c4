// Issue 15, items 7 and 8: memory and connections before and after login.
//  - Query and Parse are not assembled beyond the SQL the policy accepts (8 MiB + names/types);
//  - partly received messages count against an agent-wide budget with a per-principal share: over
//    it, that session ends with 53200 and the others go on;
//  - the local ingress caps open connections per address, closing the extra ones at once;
//  - the authentication deadline holds through a stalled TLS handshake.
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { createLogger } from '@postern/logging';
import { initSqlParser } from '@postern/policy-postgres';
import { selfSignedCertificate } from '@postern/testing';
import { decodeDataRow, frontend } from '@postern/wire-postgres';
import { LocalListener } from '../src/ingress/local-listener.js';
import { BufferBudget } from '../src/sessions/buffer-budget.js';
import type { SessionManager } from '../src/sessions/session-manager.js';
import { RawClient, TestGateway, type TargetSpec } from './postgres-harness.js';

const MiB = 1024 * 1024;
const shop: TargetSpec = {
  host: '127.0.0.1',
  port: 5432,
  database: 'postgres',
  user: 'postgres',
  password: 'unused-with-trust',
  tlsMode: 'disable',
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(options: Parameters<typeof TestGateway.start>[0]): Promise<TestGateway> {
  await initSqlParser();
  const started = await TestGateway.start(options);
  cleanups.push(() => started.stop());
  return started;
}

/** The header of a typed message announcing `length` bytes (its body is sent separately). */
function header(code: string, length: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes.write(code, 0, 'latin1');
  bytes.writeInt32BE(length, 1);
  return bytes;
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
}

describe('per-message limits after login', () => {
  test('a Query over the SQL limit is refused from its header, not buffered up to 64 MiB', async () => {
    const gw = await gateway({ connections: { shop } });
    const client = await RawClient.login(gw.port, 'shop');
    // 20 MiB: under the old 64 MiB message limit, over the 8 MiB the policy would analyse.
    client.socket.write(header('Q', 20 * MiB));
    client.socket.write(Buffer.alloc(1024, 0x20));
    expect(await client.error()).toEqual({
      code: '54000',
      message: expect.stringMatching(/^message too large: message length 20971520 exceeds the limit of \d+$/),
    });
    await client.waitClosed();
  });

  test('a Query just under the SQL limit still goes through', async () => {
    const gw = await gateway({ connections: { shop } });
    const client = await RawClient.login(gw.port, 'shop');
    const text = 'x'.repeat(8 * MiB - 64);
    client.socket.write(frontend.query(`SELECT length('${text}')`));
    const row = await client.waitFor((f) => f.code === 0x44, 30_000);
    expect(decodeDataRow(row).values[0]?.toString()).toBe(String(text.length));
    client.socket.destroy();
  });
});

describe('the agent-wide buffer budget', () => {
  test('one principal cannot hold more than its share; the session over it ends alone', async () => {
    const buffers = new BufferBudget({ totalBytes: 16 * MiB, perPrincipalBytes: 4 * MiB });
    const gw = await gateway({ connections: { shop }, engine: { buffers } });
    const first = await RawClient.login(gw.port, 'shop');
    const second = await RawClient.login(gw.port, 'shop');
    const sql = `SELECT length('${'y'.repeat(3 * MiB)}')`;
    const query = frontend.query(sql);
    // The first session holds 3 MiB of a Query still arriving.
    const split = query.length - 16;
    first.socket.write(query.subarray(0, split));
    await waitUntil(() => buffers.heldBytes >= 3 * MiB - 64 * 1024);
    // The second, same principal, starts one of 3 MiB too: 6 MiB > 4 MiB.
    second.socket.write(query.subarray(0, split));
    expect(await second.error()).toEqual({
      code: '53200',
      message:
        "terminating connection: a message being received does not fit this identity's share of the agent's buffers",
    });
    await second.waitClosed();
    // The first goes on: its Query completes and is answered.
    first.socket.write(query.subarray(split));
    const row = await first.waitFor((f) => f.code === 0x44, 30_000);
    expect(decodeDataRow(row).values[0]?.toString()).toBe(String(3 * MiB));
    first.socket.destroy();
    await first.waitClosed();
    await waitUntil(() => buffers.heldBytes === 0);
  });
});

describe('the local ingress', () => {
  test('caps open connections per address, closing and counting the extra ones', async () => {
    const held: Socket[] = [];
    const sessions = { serve: (socket: Socket) => void held.push(socket) } as unknown as SessionManager;
    const logger = createLogger({ name: 'agent-test', level: 'silent' });
    const listener = new LocalListener(
      { protocol: 'postgres', host: '127.0.0.1', port: 0, tls: null, maxConnectionsPerAddress: 20 },
      sessions,
      logger,
    );
    const port = await listener.start();
    cleanups.push(async () => {
      for (const socket of held) socket.destroy();
      await listener.stop();
    });
    const sockets = await Promise.all(
      Array.from({ length: 30 }, () => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        return new Promise<Socket>((resolve) => socket.once('connect', () => resolve(socket)));
      }),
    );
    await waitUntil(() => held.length + listener.refused === 30);
    expect(held).toHaveLength(20);
    expect(listener.refused).toBe(10);
    const refused = sockets.filter((s) => !held.some((h) => h.remotePort === s.localPort));
    expect(refused).toHaveLength(10);
    await Promise.all(refused.map(closed));
    // A slot freed is a slot usable again.
    const freed = held.shift()!;
    const gone = new Promise((resolve) => freed.once('close', resolve));
    freed.destroy();
    await gone;
    const again = connect(port, '127.0.0.1');
    again.on('error', () => undefined);
    await waitUntil(() => held.length === 20);
    expect(listener.refused).toBe(10);
    for (const socket of [...sockets, again]) socket.destroy();
  });

  test('the authentication deadline closes a client that stalls in its TLS handshake', async () => {
    const certificate = await selfSignedCertificate(['localhost']);
    const clientTls = createSecureContext({ cert: certificate.cert, key: readFileSync(certificate.keyFile) });
    const gw = await gateway({ connections: { shop }, clientTls, engine: { authTimeoutMs: 300, closeGraceMs: 200 } });
    // SSLRequest answered 'S', then not a byte of the handshake.
    const stalled = connect(gw.port, '127.0.0.1');
    stalled.on('error', () => undefined);
    const stalledClosed = closed(stalled);
    stalled.write(frontend.sslRequest());
    await new Promise((resolve) => stalled.once('data', resolve));
    await stalledClosed;
    expect(gw.closedSummaries().map((s) => s.endReason)).toEqual(['auth_failed']);
  });

  test('the authentication deadline closes a client that finishes TLS and then says nothing', async () => {
    const certificate = await selfSignedCertificate(['localhost']);
    const clientTls = createSecureContext({ cert: certificate.cert, key: readFileSync(certificate.keyFile) });
    const gw = await gateway({ connections: { shop }, clientTls, engine: { authTimeoutMs: 300, closeGraceMs: 200 } });
    const raw = connect(gw.port, '127.0.0.1');
    raw.on('error', () => undefined);
    raw.write(frontend.sslRequest());
    await new Promise((resolve) => raw.once('data', resolve));
    const silent = tlsConnect({ socket: raw, rejectUnauthorized: false });
    silent.on('error', () => undefined);
    await new Promise((resolve) => silent.once('secureConnect', resolve));
    // Read what the agent says (the FATAL, inside TLS) like a client would, or its end never shows.
    const said: Buffer[] = [];
    silent.on('data', (chunk: Buffer) => said.push(chunk));
    await closed(silent);
    expect(Buffer.concat(said).toString('latin1')).toContain('C57014');
    expect(gw.closedSummaries().map((s) => s.endReason)).toEqual(['auth_failed']);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
