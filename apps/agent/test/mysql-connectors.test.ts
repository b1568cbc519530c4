// The MariaDB connector for Node (LGPL; a test dependency only) through the engine: text and
// binary protocol, masking in both, a guardrail, with the Postern credential as the password. The
// connector sends a clear password only over TLS (or a local socket): the ingress has a certificate.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { selfSignedCertificate, type CertificateFiles } from '@postern/testing';
import mariadb from 'mariadb';
import { ALICE, MARIADB, MysqlTestGateway, TargetDatabase } from './mysql-harness.js';

let db: TargetDatabase;
let gateway: MysqlTestGateway;
let certificate: CertificateFiles;

beforeAll(async () => {
  db = await TargetDatabase.create();
  certificate = await selfSignedCertificate(['localhost']);
  await db.root('CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(32), email VARCHAR(64))');
  await db.root("INSERT INTO people VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com')");
  gateway = await MysqlTestGateway.start({
    connections: {
      shop: { ...MARIADB, database: db.name, user: db.native.user, password: db.native.password, tlsMode: 'disable' },
    },
    clientTls: createSecureContext({
      cert: readFileSync(certificate.certFile),
      key: readFileSync(certificate.keyFile),
    }),
    policy: {
      guardrails: [
        { id: 'g', name: 'no drops', connectionIds: [], groups: [], match: { statementKinds: ['DROP TABLE'] } },
      ],
      masking: [
        {
          id: 'm',
          name: 'emails',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['people.email'], style: 'redact' },
        },
      ],
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
  if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
});

test('the mariadb connector: login, text and binary protocol, masking, a guardrail', async () => {
  const connection = await mariadb.createConnection({
    host: '127.0.0.1',
    port: gateway.port,
    user: ALICE.user,
    password: ALICE.password,
    database: 'shop',
    ssl: { ca: certificate.cert },
  });
  try {
    const text = await connection.query('SELECT id, name, email AS contact FROM people ORDER BY id');
    expect([...text]).toEqual([
      { id: 1, name: 'Ada', contact: '********' },
      { id: 2, name: 'Bob', contact: '********' },
    ]);
    const binary = await connection.execute('SELECT name, email FROM people WHERE id = ?', [2]);
    expect([...binary]).toEqual([{ name: 'Bob', email: '********' }]);
    await expect(connection.query('DROP TABLE people')).rejects.toMatchObject({ errno: 1142 });
    const again = await connection.execute('SELECT COUNT(*) AS n FROM people');
    expect(Number(again[0].n)).toBe(2);
  } finally {
    await connection.end();
  }
});
