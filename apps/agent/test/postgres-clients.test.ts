// Real clients (psql, pgbench, node-postgres) through the PostgreSQL engine to the machine's
// PostgreSQL (trust auth), in a fresh database: results identical to direct, cancellation.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { frontend } from '@postern/wire-postgres';
import { adminQuery, createTestDatabase, waitFor, type TestDatabase } from '@postern/testing';
import { ALICE, runClient, TestGateway } from './postgres-harness.js';

let database: TestDatabase;
let gateway: TestGateway;
let workDir: string;

beforeAll(async () => {
  database = await createTestDatabase('postern_pgeng');
  workDir = mkdtempSync(join(tmpdir(), 'postern-pg-clients-'));
  gateway = await TestGateway.start({
    connections: {
      app: {
        host: '127.0.0.1',
        port: 5432,
        database: database.name,
        user: 'postgres',
        password: 'unused-with-trust',
        tlsMode: 'prefer',
      },
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await database?.drop();
  rmSync(workDir, { recursive: true, force: true });
});

function psql(args: string[], input?: string) {
  return runClient('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', gateway.url('app'), ...args], {
    password: ALICE.password,
    ...(input === undefined ? {} : { input }),
  });
}

function pgClient(): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port: gateway.port,
    user: ALICE.user,
    password: ALICE.password,
    database: 'app',
  });
}

describe('psql', () => {
  test('runs queries, rolls back a transaction and copies both ways', async () => {
    const csv = join(workDir, 'rows.csv');
    const script = [
      'create table items (id int primary key, label text);',
      "begin; insert into items values (1, 'gone'); rollback;",
      'select count(*) as after_rollback from items;',
      `\\copy (select g, 'item ' || g from generate_series(1, 1000) g) to '${csv}' csv`,
      `\\copy items from '${csv}' csv`,
      'select count(*), sum(id) from items;',
      'select label from items where id = 42;',
    ].join('\n');
    const result = await psql(['-A', '-t'], script);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      'CREATE TABLE',
      'BEGIN',
      'INSERT 0 1',
      'ROLLBACK',
      '0',
      'COPY 1000',
      'COPY 1000',
      '1000|500500',
      'item 42',
    ]);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe('1,item 1');
  });

  test('a 200k-row result is identical to the direct one', async () => {
    const sql =
      "select g, md5(g::text), now()::date - g % 1000 as d, repeat('x', g % 50) from generate_series(1, 200000) g";
    const [proxied, direct] = await Promise.all([
      psql(['-A', '-t', '-c', sql]),
      runClient('psql', ['-X', '-A', '-t', '-d', database.url, '-c', sql]),
    ]);
    expect(proxied.code).toBe(0);
    expect(proxied.stdout.split('\n').length).toBeGreaterThan(200_000);
    const digest = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(digest(proxied.stdout)).toBe(digest(direct.stdout));
  });
});

describe('pgbench', () => {
  const bench = (args: string[]) =>
    runClient('pgbench', ['-h', '127.0.0.1', '-p', String(gateway.port), '-U', ALICE.user, ...args, 'app'], {
      password: ALICE.password,
    });

  test('initialises, then runs select-only in simple and extended mode', async () => {
    const init = await bench(['-i', '-s', '1', '-q']);
    expect(init.stderr).toContain('done in');
    expect(init.code).toBe(0);
    for (const mode of ['simple', 'extended']) {
      const run = await bench(['-S', '-M', mode, '-T', '2', '-c', '4', '-j', '2']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('number of failed transactions: 0');
      expect(run.stdout).toMatch(/tps = \d+/);
    }
  }, 30_000);
});

describe('node-postgres', () => {
  test('parameterised queries, named prepared statements and a transaction', async () => {
    const client = pgClient();
    await client.connect();
    try {
      const sum = await client.query<{ total: string }>('select $1::int + $2::int as total', [40, 2]);
      expect(sum.rows[0]!.total).toBe(42);
      await client.query('create table accounts (id int primary key, balance int)');
      for (const [id, balance] of [
        [1, 100],
        [2, 50],
      ]) {
        await client.query({
          name: 'insert-account',
          text: 'insert into accounts values ($1, $2)',
          values: [id, balance],
        });
      }
      await client.query('begin');
      await client.query('update accounts set balance = balance - 30 where id = 1');
      await client.query('update accounts set balance = balance + 30 where id = 2');
      await client.query('commit');
      const rows = await client.query({ name: 'balances', text: 'select id, balance from accounts order by id' });
      expect(rows.rows).toEqual([
        { id: 1, balance: 70 },
        { id: 2, balance: 80 },
      ]);
      // The key the client holds is ours, not the backend's.
      const pid = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect((client as unknown as { processID: number }).processID).not.toBe(pid.rows[0]!.pid);
    } finally {
      await client.end();
    }
    const summary = await waitFor(() => gateway.closedSummaries().find((s) => s.statementCount >= 8));
    expect(summary.endReason).toBe('client_closed');
    expect(summary.bytesFromClient).toBeGreaterThan(0);
    expect(summary.bytesFromTarget).toBeGreaterThan(0);
  });
});

describe('cancellation', () => {
  /** Sends a CancelRequest with the key the client saw, like libpq's PQcancel. */
  async function cancel(client: pg.Client): Promise<void> {
    const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
    const socket = connect(gateway.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => socket.end(frontend.cancelRequest(processID, secretKey)));
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
  }

  test('a CancelRequest with our key cancels that backend only', async () => {
    const sleeper = pgClient();
    const neighbour = pgClient();
    await Promise.all([sleeper.connect(), neighbour.connect()]);
    try {
      const started = Date.now();
      const long = sleeper.query("select pg_sleep(30), 'sleeper'").then(
        () => null,
        (error: { code?: string }) => error,
      );
      const short = neighbour.query("select pg_sleep(1.5), 'neighbour' as who");
      await waitFor(async () => {
        const rows = await adminQuery("select 1 from pg_stat_activity where query like 'select pg_sleep(30)%'");
        return rows.rowCount === 1;
      });
      await cancel(sleeper);
      const error = await long;
      expect(error?.code).toBe('57014');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await short).rows[0]!.who).toBe('neighbour');
    } finally {
      await Promise.all([sleeper.end(), neighbour.end()]);
    }
  });

  test('psql cancels its query on SIGINT', async () => {
    const child = spawn(
      'psql',
      ['-X', '-v', 'VERBOSITY=verbose', '-d', gateway.url('app'), '-c', 'select pg_sleep(30) as psql_sleep'],
      {
        env: { PATH: process.env['PATH'] ?? '', PGPASSWORD: ALICE.password },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(async () => {
      const rows = await adminQuery(
        "select 1 from pg_stat_activity where query like 'select pg_sleep(30) as psql_sleep%'",
      );
      return rows.rowCount === 1;
    });
    const started = Date.now();
    child.kill('SIGINT');
    expect(await exited).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stderr).toContain('57014');
  });

  test('an unknown key is dropped without an answer', async () => {
    const socket = connect(gateway.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise<void>((resolve) => {
      socket.once('connect', () => socket.write(frontend.cancelRequest(12345, 67890)));
      socket.once('close', () => resolve());
    });
    expect(Buffer.concat(received).length).toBe(0);
  });
});
