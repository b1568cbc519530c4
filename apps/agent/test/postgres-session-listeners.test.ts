// Issue 15, item 18: a busy session must not pile listeners on its AbortSignal. Each catalog
// lookup for masking (one per table not yet in the cache) used to leave a deadline listener on
// the session's signal for 10 s; eleven of them made Node print MaxListenersExceededWarning.
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import pg from 'pg';
import { initSqlParser } from '@postern/policy-postgres';
import { createTestDatabase, queryDatabase, type TestDatabase } from '@postern/testing';
import { ALICE, TestGateway } from './postgres-harness.js';

const TABLES = 25;

let database: TestDatabase;
let gateway: TestGateway;

beforeAll(async () => {
  await initSqlParser();
  database = await createTestDatabase('postern_listeners');
  const ddl = Array.from(
    { length: TABLES },
    (_, i) => `CREATE TABLE people_${i} (id int, email text); INSERT INTO people_${i} VALUES (1, 'p${i}@example.com');`,
  );
  await queryDatabase(database.url, ddl.join('\n'));
  gateway = await TestGateway.start({
    connections: {
      shop: {
        host: '127.0.0.1',
        port: 5432,
        database: database.name,
        user: 'postgres',
        password: 'unused-with-trust',
        tlsMode: 'disable',
      },
    },
    policy: {
      masking: [
        {
          id: 'm-email',
          name: 'emails',
          connectionIds: [],
          exemptGroups: [],
          spec: { columns: ['email'], style: 'redact' },
        },
      ],
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await database?.drop();
});

test('a session running many statements that need catalog lookups keeps its abort listeners bounded', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  const client = new pg.Client({
    host: '127.0.0.1',
    port: gateway.port,
    user: ALICE.user,
    password: ALICE.password,
    database: 'shop',
  });
  try {
    await client.connect();
    const session = gateway.sessions.at(-1)!;
    const listeners: number[] = [];
    for (let i = 0; i < TABLES; i++) {
      // A table the catalog cache has not seen: the masking needs a lookup on the target.
      const result = await client.query(`SELECT id, email FROM people_${i}`);
      expect(result.rows[0].email).not.toBe(`p${i}@example.com`);
      listeners.push(getEventListeners(session.controller.signal, 'abort').length);
    }
    // The proxy's own listener (and at most one in-flight step) — not one per lookup.
    expect(Math.max(...listeners)).toBeLessThanOrEqual(2);
    expect(listeners.at(-1)).toBe(listeners[0]);
  } finally {
    await client.end();
    process.off('warning', onWarning);
  }
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
});
