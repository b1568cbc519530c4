// The client side of the PostgreSQL engine and its failure handling: refusals before any target
// connection, client TLS, timeouts, bad input, and failures that must end one session only.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { readFileSync, rmSync } from 'node:fs';
import pg from 'pg';
import { frontend } from '@postern/wire-postgres';
import { SessionAbortError } from '../src/engines/engine.js';
import {
  adminQuery,
  createTestDatabase,
  selfSignedCertificate,
  waitFor,
  type CertificateFiles,
  type TestDatabase,
} from '@postern/testing';
import { ALICE, CountingRelay, EXPIRED, NO_ACCESS, RawClient, runClient, TestGateway } from './postgres-harness.js';

let database: TestDatabase;
let relay: CountingRelay;
let gateway: TestGateway;
let tlsGateway: TestGateway;
let impatientGateway: TestGateway;
let socketTlsGateway: TestGateway;
let certificate: CertificateFiles;

beforeAll(async () => {
  [database, relay, certificate] = await Promise.all([
    createTestDatabase('postern_pgsess'),
    CountingRelay.start({ host: '127.0.0.1', port: 5432 }),
    selfSignedCertificate(['localhost']),
  ]);
  const connections = {
    app: {
      host: '127.0.0.1',
      port: relay.port,
      database: database.name,
      user: 'postgres',
      password: 'unused-with-trust',
      tlsMode: 'disable' as const,
    },
  };
  const clientTls = createSecureContext({
    cert: readFileSync(certificate.certFile),
    key: readFileSync(certificate.keyFile),
  });
  [gateway, tlsGateway, socketTlsGateway, impatientGateway] = await Promise.all([
    TestGateway.start({ connections, engine: { maxClientMessageLength: 1024 * 1024 } }),
    TestGateway.start({ connections, clientTls, wrapInDuplex: true }),
    TestGateway.start({ connections, clientTls }),
    TestGateway.start({ connections, engine: { authTimeoutMs: 300 } }),
  ]);
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), tlsGateway?.stop(), socketTlsGateway?.stop(), impatientGateway?.stop()]);
  await relay?.stop();
  await database?.drop();
  if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
});

function client(connection = 'app', credential = ALICE, port = gateway.port): pg.Client {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: credential.user,
    password: credential.password,
    database: connection,
  });
  c.on('error', () => undefined);
  return c;
}

async function refusal(c: pg.Client): Promise<{ code?: string; message: string }> {
  return c.connect().then(
    () => {
      throw new Error('expected the connection to be refused');
    },
    (error: unknown) => error as { code?: string; message: string },
  );
}

/** A session that must keep working while others fail. */
async function withBystander<T>(scenario: () => Promise<T>): Promise<T> {
  const bystander = client();
  await bystander.connect();
  try {
    const result = await scenario();
    const check = await bystander.query<{ ok: number }>('select 1 as ok');
    expect(check.rows[0]!.ok).toBe(1);
    return result;
  } finally {
    await bystander.end();
  }
}

describe('refusals before the target', () => {
  test.each([
    // An unknown connection answers as an existing one would: names cannot be probed before login.
    [
      'an unknown connection',
      () => client('no-such-connection'),
      '28000',
      'user "alice" has no access to connection "no-such-connection"',
      'unknown_connection',
    ],
    [
      'an unknown connection and a bad credential',
      () => client('no-such-connection', { user: ALICE.user, password: 'wrong' }),
      '28P01',
      'password authentication failed for user "alice"',
      'unknown_connection',
    ],
    [
      'a bad credential',
      () => client('app', { user: ALICE.user, password: 'wrong' }),
      '28P01',
      'password authentication failed for user "alice"',
      'auth_failed',
    ],
    [
      'an expired credential',
      () => client('app', EXPIRED),
      '28P01',
      'the credential of user "eve" has expired',
      'auth_failed',
    ],
    [
      'no access',
      () => client('app', NO_ACCESS),
      '28000',
      'user "mallory" has no access to connection "app"',
      'auth_failed',
    ],
  ])('%s is refused and opens no target connection', async (_name, makeClient, code, message, endReason) => {
    const before = relay.connections;
    const sessions = gateway.sessions.length;
    const error = await refusal(makeClient());
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    const summary = await waitFor(() => gateway.sessions[sessions]?.closed[0]);
    expect(summary.endReason).toBe(endReason);
    expect(gateway.sessions[sessions]!.opened).toEqual([]);
    expect(relay.connections).toBe(before);
  });

  test('replication connections, protocol 2 and a missing user are refused', async () => {
    const replication = await RawClient.connect(gateway.port);
    replication.socket.write(frontend.startupMessage({ user: 'alice', database: 'app', replication: 'database' }));
    expect((await replication.error()).code).toBe('42501');
    const v2 = await RawClient.connect(gateway.port);
    const packet = Buffer.alloc(8);
    packet.writeInt32BE(8, 0);
    packet.writeInt32BE(2 << 16, 4);
    v2.socket.write(packet);
    expect(await v2.error()).toEqual({
      code: '0A000',
      message: 'unsupported frontend protocol 2.0: server supports 3.0 to 3.0',
    });
    const anonymous = await RawClient.connect(gateway.port);
    anonymous.socket.write(frontend.startupMessage({ database: 'app' }));
    expect((await anonymous.error()).code).toBe('28000');
    await Promise.all([replication.waitClosed(), v2.waitClosed(), anonymous.waitClosed()]);
  });

  test('`options` is not forwarded: the client is told, the setting is not applied', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: gateway.port,
      user: ALICE.user,
      password: ALICE.password,
      database: 'app',
      options: '-c search_path=pg_catalog -c statement_timeout=1',
    });
    const notices: string[] = [];
    c.on('notice', (notice) => notices.push(notice.message ?? ''));
    await c.connect();
    try {
      const timeout = await c.query<{ statement_timeout: string }>('show statement_timeout');
      expect(timeout.rows[0]!.statement_timeout).toBe('0');
      expect(notices.join()).toContain('options');
    } finally {
      await c.end();
    }
  });
});

describe('client TLS', () => {
  const psql = (sslmode: string, target = tlsGateway) =>
    runClient('psql', ['-X', '-A', '-t', '-d', target.url('app', ALICE.user, sslmode), '-c', 'select 40 + 2'], {
      password: ALICE.password,
      env: { PGSSLROOTCERT: certificate.certFile },
    });

  test('sslmode=verify-full works over a Duplex ingress and over a socket', async () => {
    for (const target of [tlsGateway, socketTlsGateway]) {
      const result = await psql('verify-full', target);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('42');
    }
  });

  test('sslmode=disable is refused with 28000', async () => {
    const result = await psql('disable');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('SSL/TLS required');
  });

  test('a startup refused after the TLS handshake is told inside TLS', async () => {
    const raw = await RawClient.connect(socketTlsGateway.port);
    raw.socket.removeAllListeners('data');
    const sslRequest = Buffer.alloc(8);
    sslRequest.writeInt32BE(8, 0);
    sslRequest.writeInt32BE(80877103, 4);
    raw.socket.write(sslRequest);
    await new Promise<void>((resolve) => raw.socket.once('data', () => resolve()));
    const secure = tlsConnect({ socket: raw.socket, rejectUnauthorized: false });
    const received: Buffer[] = [];
    secure.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise<Error | null>((resolve) => {
      secure.on('error', resolve);
      secure.on('close', () => resolve(null));
    });
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    const v2 = Buffer.alloc(8);
    v2.writeInt32BE(8, 0);
    v2.writeInt32BE(2 << 16, 4);
    secure.write(v2);
    expect(await ended).toBeNull();
    const reply = Buffer.concat(received);
    expect(String.fromCharCode(reply[0]!)).toBe('E');
    expect(reply.toString('latin1')).toContain('0A000');
  });

  test('after the TLS handshake nothing reaches the client in plaintext', async () => {
    await psql('require');
    const sent = Buffer.concat(tlsGateway.sentToClients);
    expect(sent.includes(Buffer.from('SSL/TLS required'))).toBe(true);
    expect(sent.includes(Buffer.from('server_version'))).toBe(false);
  });
});

describe('startup details', () => {
  test('GSSENCRequest and SSLRequest are declined when the ingress has no TLS', async () => {
    const raw = await RawClient.connect(gateway.port);
    const answers: number[] = [];
    raw.socket.removeAllListeners('data');
    raw.socket.on('data', (chunk: Buffer) => answers.push(...chunk));
    const request = (code: number) => {
      const packet = Buffer.alloc(8);
      packet.writeInt32BE(8, 0);
      packet.writeInt32BE(code, 4);
      return packet;
    };
    raw.socket.write(request(80877104));
    await waitFor(() => answers.length === 1);
    raw.socket.write(request(80877103));
    await waitFor(() => answers.length === 2);
    expect(Buffer.from(answers).toString()).toBe('NN');
    raw.socket.destroy();
  });

  test('a Terminate before any startup packet is closed silently, as PostgreSQL does', async () => {
    const raw = await RawClient.connect(gateway.port);
    const received: Buffer[] = [];
    raw.socket.removeAllListeners('data');
    raw.socket.on('data', (chunk: Buffer) => received.push(chunk));
    raw.socket.write(frontend.terminate());
    await raw.waitClosed();
    expect(Buffer.concat(received).length).toBe(0);
  });

  test('protocol 3.2 and _pq_ options are negotiated down to 3.0', async () => {
    const raw = await RawClient.connect(gateway.port);
    const startup = frontend.startupMessage({ user: 'alice', database: 'app', '_pq_.test_option': 'x' });
    startup.writeInt32BE((3 << 16) | 2, 4);
    raw.socket.write(startup);
    const negotiate = await raw.waitFor((f) => f.code === 0x76);
    expect(negotiate.body.readInt32BE(0)).toBe(0);
    expect(negotiate.body.subarray(8).toString()).toBe('_pq_.test_option\0');
    await raw.waitFor((f) => f.code === 0x52);
    raw.socket.destroy();
  });

  test('a query pipelined right behind the password is answered', async () => {
    const raw = await RawClient.connect(gateway.port);
    raw.socket.write(frontend.startupMessage({ user: 'alice', database: 'app' }));
    await raw.waitFor((f) => f.code === 0x52);
    raw.socket.write(Buffer.concat([frontend.passwordMessage(ALICE.password), frontend.query("select 'pipelined'")]));
    const row = await raw.waitFor((f) => f.code === 0x44);
    expect(row.body.toString()).toContain('pipelined');
    raw.socket.end(frontend.terminate());
    await raw.waitClosed();
  });
});

describe('one session failing leaves the others alone', () => {
  test('a client that stops reading holds its target back (backpressure)', async () => {
    const raw = await RawClient.login(gateway.port, 'app');
    raw.socket.pause();
    raw.socket.write(frontend.query("select generate_series(1, 50000000), repeat('postern-backpressure', 10)"));
    const memoryBefore = process.memoryUsage().rss;
    await waitFor(
      async () => {
        const rows = await adminQuery(
          "select 1 from pg_stat_activity where wait_event = 'ClientWrite' and query like '%postern-backpressure%'",
        );
        return rows.rowCount === 1;
      },
      { timeoutMs: 10_000 },
    );
    // Blocked on the client: the engine buffers at most a few socket buffers, not the result.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(process.memoryUsage().rss - memoryBefore).toBeLessThan(64 * 1024 * 1024);
    raw.socket.destroy();
  });

  test('a client that never sends its password is dropped after the auth timeout', async () => {
    const targetConnections = relay.connections;
    const raw = await RawClient.connect(impatientGateway.port);
    raw.socket.write(frontend.startupMessage({ user: 'alice', database: 'app' }));
    const started = Date.now();
    expect((await raw.error()).code).toBe('57014');
    await raw.waitClosed();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(impatientGateway.closedSummaries()[0]?.endReason).toBe('auth_failed');
    expect(relay.connections).toBe(targetConnections);
  });

  test('a malformed message ends that session with 08P01', async () => {
    await withBystander(async () => {
      const raw = await RawClient.login(gateway.port, 'app');
      raw.socket.write(Buffer.from([0x01, 0, 0, 0, 4]));
      expect((await raw.error()).code).toBe('08P01');
      await raw.waitClosed();
    });
  });

  test('an oversized message ends that session with 54000 (program_limit_exceeded)', async () => {
    await withBystander(async () => {
      const raw = await RawClient.login(gateway.port, 'app');
      raw.socket.write(frontend.query(`select '${'x'.repeat(2 * 1024 * 1024)}'`));
      const error = await raw.error();
      expect(error.code).toBe('54000');
      expect(error.message).toContain('exceeds');
      await raw.waitClosed();
    });
  });

  test('a client disconnecting mid-result ends its target backend', async () => {
    await withBystander(async () => {
      const raw = await RawClient.login(gateway.port, 'app');
      raw.socket.write(frontend.query("select generate_series(1, 50000000), 'postern-mid-result'"));
      await raw.waitFor((f) => f.code === 0x44);
      const session = gateway.sessions.at(-1)!;
      raw.socket.destroy();
      const summary = await waitFor(() => session.closed[0]);
      expect(summary.endReason).toBe('client_closed');
      await waitFor(async () => {
        const rows = await adminQuery(
          "select 1 from pg_stat_activity where query like '%postern-mid-result%' and pid <> pg_backend_pid()",
        );
        return rows.rowCount === 0;
      });
    });
  });

  test('a target backend killed mid-session ends that session only', async () => {
    await withBystander(async () => {
      const victim = client();
      await victim.connect();
      const errors: { code?: string }[] = [];
      victim.on('error', (error: Error) => errors.push(error as { code?: string }));
      const session = gateway.sessions.at(-1)!;
      const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
      await adminQuery(`select pg_terminate_backend(${rows[0]!.pid})`);
      await waitFor(() => errors.length > 0);
      expect(errors[0]!.code).toBe('57P01');
      expect((await waitFor(() => session.closed[0])).endReason).toBe('target_closed');
    });
  });

  test('revoking a session tells its client and closes its target', async () => {
    await withBystander(async () => {
      const victim = client();
      const errors: { code?: string; message?: string }[] = [];
      victim.on('error', (error: Error) => errors.push(error as { code?: string }));
      await victim.connect();
      const session = gateway.sessions.at(-1)!;
      session.controller.abort(new SessionAbortError('revoked'));
      await waitFor(() => errors.length > 0);
      expect(errors[0]).toMatchObject({ code: '57P01', message: 'terminating connection: access revoked' });
      const summary = await waitFor(() => session.closed[0]);
      expect(summary.endReason).toBe('revoked');
      expect(session.closed).toHaveLength(1);
    });
  });

  test('every session reported exactly once and released its cancel key', async () => {
    await waitFor(() => gateway.engine.activeSessions === 0);
    for (const session of [...gateway.sessions, ...tlsGateway.sessions, ...impatientGateway.sessions]) {
      await session.done;
      expect(session.closed).toHaveLength(1);
    }
  });
});
