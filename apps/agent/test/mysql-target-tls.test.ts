// TLS to the target, per the connection's tls mode: a private MariaDB with a certificate (the
// machine's MariaDB has no TLS), a target account that requires TLS, and mysql2 through the engine.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { freePort, selfSignedCertificate, waitFor, type CertificateFiles } from '@postern/testing';
import mysql from 'mysql2/promise';
import { connectThrough, MysqlTestGateway, type TargetSpec } from './mysql-harness.js';

const run = promisify(execFile);
const PASSWORD = 'tls-target-pw';
const dir = mkdtempSync(join(tmpdir(), 'postern-mariadb-tls-'));
let server: ChildProcess;
let port: number;
let certificate: CertificateFiles;
let other: CertificateFiles;
let gateway: MysqlTestGateway;

beforeAll(async () => {
  [certificate, other, port] = await Promise.all([
    selfSignedCertificate(['localhost']),
    selfSignedCertificate(['localhost']),
    freePort(),
  ]);
  const data = join(dir, 'data');
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  server = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=root',
      `--socket=${join(dir, 'sock')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--ssl-cert=${certificate.certFile}`,
      `--ssl-key=${certificate.keyFile}`,
      `--pid-file=${join(dir, 'pid')}`,
      '--skip-networking=0',
    ],
    { stdio: 'ignore' },
  );
  const root = await waitFor(
    async () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root' }).catch(() => undefined),
    { timeoutMs: 30_000, what: 'the private MariaDB' },
  );
  await root.query('CREATE DATABASE app');
  await root.query(`CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}' REQUIRE SSL`);
  await root.query(`GRANT ALL ON app.* TO 'app'@'127.0.0.1'`);
  await root.end();
  const target = (mode: TargetSpec['tlsMode'], ca?: string): TargetSpec => ({
    host: '127.0.0.1',
    port,
    database: 'app',
    user: 'app',
    password: PASSWORD,
    tlsMode: mode,
    ...(ca === undefined ? {} : { ca }),
  });
  gateway = await MysqlTestGateway.start({
    connections: {
      full: target('verify-full', readFileSync(certificate.certFile, 'utf8')),
      required: target('require'),
      preferred: target('prefer'),
      'wrong-ca': target('verify-ca', readFileSync(other.certFile, 'utf8')),
      plain: target('disable'),
    },
  });
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  if (server?.pid !== undefined) server.kill('SIGTERM');
  await new Promise((resolve) => (server?.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
  for (const path of [dir, certificate?.dir, other?.dir]) if (path) rmSync(path, { recursive: true, force: true });
});

async function cipherThrough(connection: string): Promise<string> {
  const client = await connectThrough(gateway.port, connection);
  const [rows] = (await client.query("SHOW STATUS LIKE 'Ssl_cipher'")) as unknown as [{ Value: string }[]];
  await client.end();
  return rows[0]!.Value;
}

test.each(['full', 'required', 'preferred'])('tls mode %s: the agent reaches the target over TLS', async (name) => {
  expect(await cipherThrough(name)).not.toBe('');
});

test('verify-ca with a CA that did not sign the target certificate is refused', async () => {
  await expect(connectThrough(gateway.port, 'wrong-ca')).rejects.toMatchObject({ errno: 1184 });
});

test('disable: the target refuses an account that requires TLS, the client gets the agent’s error', async () => {
  await expect(connectThrough(gateway.port, 'plain')).rejects.toMatchObject({
    errno: 1184,
    message: expect.not.stringContaining(PASSWORD),
  });
});
