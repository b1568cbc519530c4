import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { selfSignedCertificate, type CertificateFiles } from '@postern/testing';
import { connectThrough, MARIADB, MysqlTestGateway, runMariadb, TargetDatabase } from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;
let certificate: CertificateFiles;

beforeAll(async () => {
  db = await TargetDatabase.create();
  certificate = await selfSignedCertificate(['localhost']);
  gateway = await MysqlTestGateway.start({
    connections: {
      shop: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
    },
    clientTls: createSecureContext({
      cert: readFileSync(certificate.certFile),
      key: readFileSync(certificate.keyFile),
    }),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

test('the mariadb CLI logs in over TLS', async () => {
  const result = await runMariadb(gateway.port, 'shop', 'SELECT 42 AS answer;', undefined, [
    '--ssl',
    `--ssl-ca=${certificate.certFile}`,
  ]);
  expect(result.stderr).toBe('');
  expect(result.stdout).toBe('answer\n42\n');
  // Only the greeting went out in clear: the rest of what the agent sent was inside TLS.
  expect(gateway.sentText()).not.toContain('answer');
});

test('mysql2 logs in over TLS (its ClientHello arrives with the SSLRequest)', async () => {
  const connection = await connectThrough(gateway.port, 'shop', undefined, { ssl: { ca: certificate.cert } });
  const [rows] = await connection.query('SELECT 1 AS one');
  expect(rows).toEqual([{ one: 1 }]);
  await connection.end();
});

test('a client without TLS is refused before it sends its credential', async () => {
  const before = gateway.sessions.length;
  const result = await runMariadb(gateway.port, 'shop', 'SELECT 1;', undefined, ['--skip-ssl']);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('3159');
  const summaries = await gateway.closedCount(before + 1);
  expect(summaries.at(-1)?.endReason).toBe('auth_failed');
});
