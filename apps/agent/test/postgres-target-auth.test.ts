// The engine logging in to targets with their own credentials: SCRAM, md5, cleartext and
// verify-full TLS against a private PostgreSQL cluster, refusals that never reveal the target's
// password, and targets asking for what Postern cannot do.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import pg from 'pg';
import { backend, frontend, FrontendParser } from '@postern/wire-postgres';
import { selfSignedCertificate, startPrivatePostgres, waitFor, type PrivatePostgres } from '@postern/testing';
import { ALICE, TestGateway, type TargetSpec } from './postgres-harness.js';

let cluster: PrivatePostgres;
let gateway: TestGateway;
let otherCa: string;
let fakeTarget: Server;

/** A target that answers every StartupMessage with one authentication request we cannot meet. */
function startFakeTarget(): Promise<Server> {
  const server = createServer((socket) => {
    const parser = new FrontendParser();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) =>
      parser.parse(chunk, (frame) => {
        if (frame.kind !== 'startup') return;
        const user = frame.body.toString('latin1');
        socket.write(
          user.includes('gss') ? backend.authenticationGSS() : backend.authenticationSASL(['SCRAM-SHA-256-PLUS']),
        );
      }),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  [cluster, otherCa, fakeTarget] = await Promise.all([
    startPrivatePostgres(),
    selfSignedCertificate(['localhost']).then((c) => c.cert),
    startFakeTarget(),
  ]);
  const { scram, md5, cleartext, tls } = cluster.users;
  const at = (
    user: { user: string; password: string; database: string },
    extra: Partial<TargetSpec> = {},
  ): TargetSpec => ({
    host: cluster.host,
    port: cluster.port,
    database: user.database,
    user: user.user,
    password: user.password,
    tlsMode: 'disable',
    ...extra,
  });
  const fakePort = (fakeTarget.address() as AddressInfo).port;
  gateway = await TestGateway.start({
    wrapInDuplex: true,
    connections: {
      scram: at(scram),
      md5: at(md5),
      cleartext: at(cleartext),
      'tls-full': at(tls, { tlsMode: 'verify-full', ca: cluster.ca, host: 'localhost' }),
      'tls-full-ip': at(tls, { tlsMode: 'verify-full', ca: cluster.ca }),
      'tls-prefer': at(scram, { tlsMode: 'prefer' }),
      'tls-wrong-ca': at(tls, { tlsMode: 'verify-full', ca: otherCa }),
      'tls-disabled': at(tls, { tlsMode: 'disable' }),
      'wrong-password': at(scram, { password: 'not-the-password-31337' }),
      'md5-wrong-password': at(md5, { password: 'not-the-md5-password-31337' }),
      'no-such-port': at(scram, { port: 1 }),
      'scram-plus-only': { ...at(scram), host: '127.0.0.1', port: fakePort, user: 'plus' },
      gss: { ...at(scram), host: '127.0.0.1', port: fakePort, user: 'gss' },
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await cluster?.stop();
  await new Promise((resolve) => fakeTarget?.close(resolve));
});

async function connectThrough(connection: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: gateway.port,
    user: ALICE.user,
    password: ALICE.password,
    database: connection,
  });
  await client.connect();
  return client;
}

async function refusal(connection: string): Promise<{ code?: string; message: string; severity?: string }> {
  const error = await connectThrough(connection).then(
    async (client) => {
      await client.end();
      throw new Error(`connection ${connection} was expected to fail`);
    },
    (e: unknown) => e as { code?: string; message: string; severity?: string },
  );
  return error;
}

describe('target authentication', () => {
  test.each([
    ['scram', 'postern_scram'],
    ['md5', 'postern_md5'],
    ['cleartext', 'postern_cleartext'],
  ])('logs in with %s', async (connection, role) => {
    const client = await connectThrough(connection);
    try {
      const result = await client.query<{ user: string }>('select current_user as user');
      expect(result.rows[0]!.user).toBe(role);
    } finally {
      await client.end();
    }
  });

  test.each(['tls-full', 'tls-full-ip', 'tls-prefer'])('uses TLS to the target (%s)', async (connection) => {
    const client = await connectThrough(connection);
    try {
      const result = await client.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
      expect(result.rows[0]!.ssl).toBe(true);
    } finally {
      await client.end();
    }
  });

  test('a certificate from another CA is refused with 08001', async () => {
    const error = await refusal('tls-wrong-ca');
    expect(error.code).toBe('08001');
    expect(error.message).toContain('tls-wrong-ca');
  });

  test('a hostssl-only role without TLS is refused by the target: 28000', async () => {
    expect((await refusal('tls-disabled')).code).toBe('28000');
  });

  test.each(['wrong-password', 'md5-wrong-password'])(
    'a wrong target password gives a FATAL without it (%s)',
    async (name) => {
      const error = await refusal(name);
      expect(error.severity).toBe('FATAL');
      expect(error.code).toBe('28000');
      expect(error.message).toBe(`the target of connection "${name}" refused Postern's credentials`);
      expect(error.message).not.toContain('31337');
    },
  );

  test("SCRAM's cached salted password serves only the password it came from", async () => {
    // 'scram' and 'wrong-password' are the same role (same salt and iterations) with different
    // passwords: the agent's key cache must not let the second ride on the first's login.
    const first = await connectThrough('scram');
    await first.end();
    expect((await refusal('wrong-password')).code).toBe('28000');
    const again = await connectThrough('scram');
    try {
      const result = await again.query<{ user: string }>('select current_user as user');
      expect(result.rows[0]!.user).toBe('postern_scram');
    } finally {
      await again.end();
    }
  });

  test('an unreachable target gives 08001', async () => {
    const error = await refusal('no-such-port');
    expect(error.code).toBe('08001');
  });

  test('SCRAM-SHA-256-PLUS-only and GSSAPI targets are refused clearly', async () => {
    const plus = await refusal('scram-plus-only');
    expect(plus.code).toBe('0A000');
    expect(plus.message).toContain('SCRAM-SHA-256-PLUS');
    const gss = await refusal('gss');
    expect(gss.code).toBe('0A000');
    expect(gss.message).toContain('GSS');
  });

  test('a cancel request reaches a TLS target over TLS', async () => {
    const client = await connectThrough('tls-full');
    try {
      const sleeping = client.query('select pg_sleep(30)').then(
        () => null,
        (error: { code?: string }) => error,
      );
      await waitFor(async () => {
        const result = await cluster.query("select 1 from pg_stat_activity where query = 'select pg_sleep(30)'");
        return result.rowCount === 1;
      });
      const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
      const socket = connect(gateway.port, '127.0.0.1');
      socket.once('connect', () => socket.end(frontend.cancelRequest(processID, secretKey)));
      expect((await sleeping)?.code).toBe('57014');
      // The agent logs once the target has taken the cancel, which can be after the client saw it.
      await waitFor(() => gateway.logs().includes('cancel request forwarded'));
    } finally {
      await client.end();
    }
  });

  test('no target password ever reached a client or the log', async () => {
    const secrets = [
      ...Object.values(cluster.users).map((u) => u.password),
      'not-the-password-31337',
      'not-the-md5-password-31337',
    ];
    const sent = Buffer.concat(gateway.sentToClients);
    const logs = gateway.logs();
    expect(sent.length).toBeGreaterThan(1000);
    expect(logs).toContain('target session opened');
    for (const secret of secrets) {
      expect(sent.includes(Buffer.from(secret))).toBe(false);
      expect(logs.includes(secret)).toBe(false);
    }
  });
});
