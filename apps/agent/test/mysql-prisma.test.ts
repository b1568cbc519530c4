// Prisma through the gateway: a Prisma 7 client generated for a small MySQL schema
// (test/prisma-mysql/schema.prisma, `prisma generate` only: no engine download) on
// @prisma/adapter-mariadb (the MariaDB connector, binary protocol) doing create, read, update,
// delete and transactions through the engine, with a masking rule on customers.email. The
// connector sends a clear password only over TLS: the ingress has a certificate.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { selfSignedCertificate, type CertificateFiles } from '@postern/testing';
import { ALICE, MARIADB, MysqlTestGateway, TargetDatabase } from './mysql-harness.js';

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), 'prisma-mysql');

interface Customer {
  id: number;
  name: string;
  email: string;
  orders?: { id: number; total: { toString(): string } }[];
}
/** The part of the generated client this test uses (it is generated at run time, so not imported for types). */
interface ShopClient {
  customer: {
    create(args: unknown): Promise<Customer>;
    findMany(args?: unknown): Promise<Customer[]>;
    findUnique(args: unknown): Promise<Customer | null>;
    update(args: unknown): Promise<Customer>;
    delete(args: unknown): Promise<Customer>;
    count(args?: unknown): Promise<number>;
  };
  order: { create(args: unknown): Promise<unknown>; count(args?: unknown): Promise<number> };
  $transaction<T>(work: ((tx: ShopClient) => Promise<T>) | Promise<unknown>[]): Promise<T>;
  $queryRawUnsafe<T>(sql: string): Promise<T>;
  $disconnect(): Promise<void>;
}

let db: TargetDatabase;
let gateway: MysqlTestGateway;
let certificate: CertificateFiles;
let prisma: ShopClient;

/** `prisma generate` for the test schema, as scripts/prisma-generate.mjs does for the control plane. */
function generateClient(): void {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  const result = spawnSync(process.execPath, [cli, 'generate'], {
    cwd: schemaDir,
    encoding: 'utf8',
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PRISMA_SCHEMA_ENGINE_BINARY: process.env['PRISMA_SCHEMA_ENGINE_BINARY'] ?? process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
  if (result.status !== 0) throw new Error(`prisma generate failed: ${result.stderr}${result.stdout}`);
}

beforeAll(async () => {
  generateClient();
  db = await TargetDatabase.create();
  await db.root(
    `CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(128) NOT NULL);
     CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2) NOT NULL,
       placed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), FOREIGN KEY (customer_id) REFERENCES customers(id));`,
  );
  certificate = await selfSignedCertificate(['localhost']);
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
          spec: { columns: ['customers.email'], style: 'redact' },
        },
      ],
    },
  });
  const generated = (await import(pathToFileURL(join(schemaDir, 'generated', 'client.ts')).href)) as {
    PrismaClient: new (options: { adapter: PrismaMariaDb }) => ShopClient;
  };
  const adapter = new PrismaMariaDb({
    host: '127.0.0.1',
    port: gateway.port,
    user: ALICE.user,
    password: ALICE.password,
    database: 'shop',
    ssl: { ca: certificate.cert },
    connectionLimit: 2,
  });
  prisma = new generated.PrismaClient({ adapter });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await gateway?.stop();
  await db?.drop();
  if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
});

test('create, read, update and delete through the engine; the masked column reads masked', async () => {
  const ada = await prisma.customer.create({ data: { name: 'Ada', email: 'ada@example.com' } });
  // Prisma reads the created row back (MySQL has no RETURNING): through the gateway, masked.
  expect(ada).toMatchObject({ name: 'Ada', email: '********' });
  await prisma.customer.create({ data: { name: 'Bob', email: 'bob@example.com' } });
  await prisma.order.create({ data: { customerId: ada.id, total: '12.50' } });

  const all = await prisma.customer.findMany({ orderBy: { id: 'asc' }, include: { orders: true } });
  expect(all.map((c) => [c.name, c.email, c.orders?.length])).toEqual([
    ['Ada', '********', 1],
    ['Bob', '********', 0],
  ]);
  expect(all[0]!.orders![0]!.total.toString()).toBe('12.5');

  const renamed = await prisma.customer.update({ where: { id: ada.id }, data: { name: 'Ada L.' } });
  expect(renamed).toMatchObject({ name: 'Ada L.', email: '********' });
  // A filter on the masked column runs at the target on the real value: only the value is masked.
  const found = await prisma.customer.findMany({ where: { email: 'bob@example.com' } });
  expect(found.map((c) => c.name)).toEqual(['Bob']);

  const bob = found[0]!;
  await prisma.customer.delete({ where: { id: bob.id } });
  expect(await prisma.customer.findUnique({ where: { id: bob.id } })).toBeNull();
  expect(await prisma.customer.count()).toBe(1);

  // The target holds the real values.
  const stored = (await db.root('SELECT name, email FROM customers ORDER BY id')) as { email: string }[];
  expect(stored).toEqual([{ name: 'Ada L.', email: 'ada@example.com' }]);
});

test('transactions: a batch commits, an interactive one that throws rolls back', async () => {
  await prisma.$transaction([
    prisma.customer.create({ data: { name: 'Cy', email: 'cy@example.com' } }) as unknown as Promise<unknown>,
    prisma.customer.create({ data: { name: 'Di', email: 'di@example.com' } }) as unknown as Promise<unknown>,
  ]);
  const before = await prisma.customer.count();
  await expect(
    prisma.$transaction(async (tx) => {
      const eve = await tx.customer.create({ data: { name: 'Eve', email: 'eve@example.com' } });
      await tx.order.create({ data: { customerId: eve.id, total: '1.00' } });
      expect(await tx.customer.count()).toBe(before + 1);
      throw new Error('changed my mind');
    }),
  ).rejects.toThrow('changed my mind');
  expect(await prisma.customer.count()).toBe(before);
  expect(await prisma.order.count({ where: { customer: { name: 'Eve' } } })).toBe(0);

  // A guardrail still holds for raw SQL from Prisma.
  await expect(prisma.$queryRawUnsafe('DROP TABLE orders')).rejects.toThrow(/1142|blocked/);
  // Every statement was recorded (text of the binary protocol's PREPARE, then each EXECUTE).
  const statements = [...gateway.recorded.values()].flat().filter((e) => e.type === 'statement');
  expect(statements.some((e) => e.event['protocol'] === 'extended')).toBe(true);
});
