// Guardrails, per-command approval and masking, enforced by the PostgreSQL engine on the wire,
// through real clients (psql, node-postgres) against the machine's PostgreSQL. The rules are
// compiled by libs/policy exactly as the agent compiles a snapshot; the approvals "control plane"
// is the test (the harness records held statements and the test decides them).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { BackendCode, decodeErrorResponse, decodeNoticeResponse, frontend } from '@postern/wire-postgres';
import { createTestDatabase, queryDatabase, waitFor, type TestDatabase } from '@postern/testing';
import { type ApprovalRuleInput, type MaskingRuleInput, type StatementRuleInput } from '@postern/policy';
import { initSqlParser } from '@postern/policy-postgres';
import { ALICE, RawClient, runClient, TestGateway, type TestPolicy } from './postgres-harness.js';

const CARD = '4111111111111111';
const EMAIL = 'ada.lovelace@example.com';
const PHONE = '+44 20 7946 0958';

const guardrails: StatementRuleInput[] = [
  { id: 'g-drop', name: 'no-drop', connectionIds: [], groups: [], match: { statementKinds: ['DROP', 'TRUNCATE'] } },
  { id: 'g-where', name: 'where-required', connectionIds: [], groups: [], match: { missingWhere: true } },
  {
    id: 'g-files',
    name: 'no-server-files',
    connectionIds: [],
    groups: [],
    match: { functions: ['pg_read_file', 'pg_ls_dir', 'lo_export'] },
  },
  {
    id: 'g-other-conn',
    name: 'elsewhere-only',
    connectionIds: ['conn-somewhere-else'],
    groups: [],
    match: { statementKinds: ['SELECT'] },
  },
];

const approvals: ApprovalRuleInput[] = [
  {
    id: 'a-refunds',
    name: 'refunds-need-approval',
    connectionIds: [],
    groups: [],
    match: { statementKinds: ['UPDATE'], relations: ['public.refunds'] },
    approverGroups: ['approvers'],
    requiredApprovals: 1,
    timeoutSeconds: 2,
  },
];

const masking: MaskingRuleInput[] = [
  {
    id: 'm-card',
    name: 'cards',
    connectionIds: [],
    exemptGroups: ['auditors'],
    spec: { columns: ['customers.card_number'], style: 'partial' },
  },
  {
    id: 'm-email',
    name: 'emails',
    connectionIds: [],
    exemptGroups: ['auditors'],
    spec: { detectors: ['email'], style: 'redact' },
  },
];

const FULL: TestPolicy = { guardrails, approvals, masking };

let database: TestDatabase;
let gateway: TestGateway;
/** A role allowed one connection at a time: the agent's catalog lookup for masking is refused. */
const LIMITED_ROLE = `postern_one_conn_${process.pid}`;

beforeAll(async () => {
  await initSqlParser();
  database = await createTestDatabase('postern_policy');
  await queryDatabase(
    database.url,
    `CREATE TABLE customers (id int PRIMARY KEY, name text, email text, card_number text, phone text, profile jsonb, "drop" int);
     INSERT INTO customers VALUES
       (1, 'Ada', '${EMAIL}', '${CARD}', '${PHONE}', '{"contact": "${EMAIL}"}', 7),
       (2, 'Alan', 'alan@example.org', '5500005555555559', '+1 415 555 0100', '{}', 8);
     CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total numeric);
     INSERT INTO orders SELECT g, 1 + g % 2, g * 10 FROM generate_series(1, 20) g;
     CREATE TABLE refunds (id int PRIMARY KEY, amount numeric, state text);
     INSERT INTO refunds VALUES (1, 10, 'requested'), (2, 20, 'requested');
     DROP ROLE IF EXISTS ${LIMITED_ROLE};
     CREATE ROLE ${LIMITED_ROLE} LOGIN CONNECTION LIMIT 1;
     GRANT SELECT ON customers TO ${LIMITED_ROLE};`,
  );
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
      shop_one_conn: {
        host: '127.0.0.1',
        port: 5432,
        database: database.name,
        user: LIMITED_ROLE,
        password: 'unused-with-trust',
        tlsMode: 'disable',
      },
    },
    policy: FULL,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await database?.drop();
  await queryDatabase(
    database.url.replace(/\/[^/?]+(\?|$)/, '/postgres$1'),
    `DROP ROLE IF EXISTS ${LIMITED_ROLE}`,
  ).catch(() => undefined);
});

function psql(sql: string, options: { stopOnError?: boolean } = {}) {
  return runClient(
    'psql',
    ['-X', '-A', '-t', '-v', `ON_ERROR_STOP=${options.stopOnError === false ? 0 : 1}`, '-d', gateway.url('shop')],
    { password: ALICE.password, input: sql },
  );
}

function client(config: Partial<pg.ClientConfig> = {}): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port: gateway.port,
    user: ALICE.user,
    password: ALICE.password,
    database: 'shop',
    ...config,
  });
}

async function count(table: string): Promise<number> {
  const rows = await queryDatabase(database.url, `SELECT count(*)::int AS n FROM ${table}`);
  return (rows[0] as { n: number }).n;
}

describe('guardrails', () => {
  test('a blocked statement gets 42501 naming the rule, never reaches the target, and the session goes on', async () => {
    const result = await psql('DROP TABLE orders;\nSELECT count(*) FROM orders;\n', { stopOnError: false });
    expect(result.stderr).toContain('ERROR:  Postern rule "no-drop" blocked this statement');
    expect(result.stdout.trim()).toBe('20');
    expect(await count('orders')).toBe(20);
    const audit = gateway.audits.find((e) => e.kind === 'statement.blocked' && e.ruleId === 'g-drop');
    expect(audit).toMatchObject({ decision: 'blocked', policyVersion: expect.any(String) });
    expect(String(audit?.details['sql'])).toContain('DROP TABLE orders');
  });

  test('inside a transaction the block aborts it, as a failing statement would in PostgreSQL', async () => {
    const result = await psql('BEGIN;\nDELETE FROM orders;\nSELECT 1;\nROLLBACK;\n', { stopOnError: false });
    expect(result.stderr).toContain('blocked this statement');
    expect(result.stderr).toContain('current transaction is aborted');
    expect(await count('orders')).toBe(20);
  });

  test('obfuscations are still blocked; look-alikes pass', async () => {
    const c = client();
    await c.connect();
    try {
      for (const sql of [
        '/* hi */ dRoP /* there */ TABLE "orders"',
        'WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone',
        'DELETE FROM orders WHERE 1 = 1',
        "DO $$ BEGIN EXECUTE 'TRUNCATE ' || 'orders'; END $$",
        "SELECT pg_catalog.pg_read_file('/etc/passwd')",
        'SELECT 1; TRUNCATE orders',
      ]) {
        await expect(c.query(sql)).rejects.toMatchObject({ code: '42501' });
      }
      expect((await c.query("SELECT 'DROP TABLE orders' AS s")).rows).toEqual([{ s: 'DROP TABLE orders' }]);
      expect((await c.query('SELECT "drop" FROM customers ORDER BY id')).rows).toEqual([{ drop: 7 }, { drop: 8 }]);
      expect((await c.query('DELETE FROM orders WHERE id = $1', [20])).rowCount).toBe(1);
      await c.query('INSERT INTO orders VALUES (20, 1, 200)');
    } finally {
      await c.end();
    }
    expect(await count('orders')).toBe(20);
  });

  test('extended protocol: a blocked Parse never lets its Bind/Execute through; prepared statements too', async () => {
    const c = client();
    await c.connect();
    try {
      await expect(c.query({ name: 'wipe', text: 'TRUNCATE orders' })).rejects.toMatchObject({ code: '42501' });
      await expect(c.query({ name: 'wipe', text: 'TRUNCATE orders' })).rejects.toMatchObject({ code: '42501' });
      await expect(
        c.query({ text: 'DELETE FROM orders WHERE $1::int IS NOT NULL OR true', values: [1] }),
      ).rejects.toMatchObject({ code: '42501' });
      expect((await c.query({ name: 'n', text: 'SELECT count(*)::int AS n FROM orders' })).rows).toEqual([{ n: 20 }]);
    } finally {
      await c.end();
    }
    expect(await count('orders')).toBe(20);
  });

  test('pipelined messages after a blocked statement keep their order', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      raw.socket.write(
        Buffer.concat([
          frontend.parse({ sql: 'DROP TABLE refunds' }),
          frontend.bind(),
          frontend.execute(),
          frontend.sync(),
          frontend.query('SELECT 42'),
        ]),
      );
      await waitFor(() => raw.frames.filter((f) => f.code === BackendCode.ReadyForQuery).length >= 3);
      const codes = raw.frames.slice(raw.frames.findIndex((f) => f.code === BackendCode.ReadyForQuery) + 1);
      expect(codes.map((f) => String.fromCharCode(f.code)).join('')).toBe('EZTDCZ');
      expect(decodeErrorResponse(codes[0]!).fields['C']).toBe('42501');
    } finally {
      raw.socket.destroy();
    }
    expect(await count('refunds')).toBe(2);
  });

  test('a session that turns standard_conforming_strings off gets its statements refused until it resets it', async () => {
    const result = await psql(
      "SET standard_conforming_strings = off;\nSELECT 'a\\'';\nRESET standard_conforming_strings;\nSELECT 2;\n",
      { stopOnError: false },
    );
    expect(result.stderr).toContain('cannot check statements while standard_conforming_strings is off');
    // SET and RESET themselves went through (psql prints their tags), the SELECT after RESET ran.
    expect(result.stdout.trim().split('\n')).toEqual(['SET', 'RESET', '2']);
  });

  test('fast-path function calls are refused while statement rules apply', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      raw.socket.write(frontend.functionCall({ functionOid: 1242 /* boolin */, args: [Buffer.from('t')] }));
      const error = await raw.error();
      expect(error.code).toBe('42501');
      await raw.waitFor((f) => f.code === BackendCode.ReadyForQuery && raw.frames.indexOf(f) > 2);
    } finally {
      raw.socket.destroy();
    }
  });
});

describe('masking', () => {
  test('fails closed: when the columns of a result cannot be named, no row is forwarded and the session ends with a clear error', async () => {
    // The catalog lookup runs on a connection of its own, which this role's limit refuses.
    const limited = client({ database: 'shop_one_conn' });
    await limited.connect();
    let rows: unknown[] | undefined;
    const error = await limited
      .query('SELECT name, card_number FROM customers ORDER BY id')
      .then((result) => {
        rows = result.rows;
        return null;
      })
      .catch((e: unknown) => e as Error);
    await limited.end().catch(() => undefined);
    expect(rows).toBeUndefined();
    expect(error?.message).toContain(
      "Postern could not apply masking to this result (the result's tables could not be looked up",
    );
    expect(error?.message).not.toContain(CARD);
  });

  test('text results: column rule (partial) and email detector (redact), also through an alias', async () => {
    const result = await psql(
      'SELECT name, email, card_number, profile FROM customers ORDER BY id;\nSELECT card_number AS c, upper(name) FROM customers WHERE id = 1;\n',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(EMAIL);
    expect(result.stdout).not.toContain(CARD);
    expect(result.stdout).toContain('************1111');
    expect(result.stdout).toContain('Ada');
    expect(result.stdout).toContain('ADA');
  });

  test('binary results and re-executed prepared statements are masked', async () => {
    const c = client({ binary: true } as Partial<pg.ClientConfig>);
    await c.connect();
    try {
      for (let i = 0; i < 3; i++) {
        const { rows } = await c.query({
          name: 'by-id',
          text: 'SELECT email, card_number, profile FROM customers WHERE id = $1',
          values: [1],
        });
        const row = rows[0] as { email: string; card_number: string; profile: unknown };
        expect(row.email).not.toBe(EMAIL);
        expect(row.card_number.endsWith('1111')).toBe(true);
        expect(row.card_number).not.toContain('41111111');
        expect(JSON.stringify(row.profile)).not.toContain(EMAIL);
      }
    } finally {
      await c.end();
    }
  });

  test('COPY TO STDOUT of a table or of a query is masked; a query whose columns cannot be told is refused', async () => {
    const copied = await psql('\\copy customers TO STDOUT\n');
    expect(copied.code).toBe(0);
    expect(copied.stdout).toContain('Ada');
    expect(copied.stdout).not.toContain(CARD);
    expect(copied.stdout).not.toContain(EMAIL);
    // The query's lineage names the masked column: it streams masked, the rest intact.
    const query = await psql("\\copy (SELECT name, card_number || '' FROM customers) TO STDOUT\n");
    expect(query.code).toBe(0);
    expect(query.stdout).toContain('Ada');
    expect(query.stdout).not.toContain(CARD);
    const refused = await psql('\\copy (SELECT * FROM customers) TO STDOUT WITH (FORMAT binary)\n', {
      stopOnError: false,
    });
    expect(refused.stdout).not.toContain(CARD);
    expect(refused.stderr).toContain('ERROR:');
  });

  test('a group exempt from the rules sees raw values; a policy change applies to running sessions', async () => {
    const c = client();
    await c.connect();
    try {
      const masked = await c.query('SELECT email FROM customers WHERE id = 1');
      expect(masked.rows[0].email).not.toBe(EMAIL);
      gateway.setPolicy({
        guardrails,
        approvals,
        masking: masking.map((rule) => ({ ...rule, exemptGroups: ['dev'] })),
      });
      const raw = await c.query('SELECT email FROM customers WHERE id = 1');
      expect(raw.rows[0].email).toBe(EMAIL);
    } finally {
      gateway.setPolicy(FULL);
      await c.end();
    }
  });
});

describe('approval', () => {
  test('a held statement waits with a notice naming the review, then runs once approved', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      const before = gateway.held.length;
      raw.socket.write(
        Buffer.concat([frontend.query("UPDATE refunds SET state = 'paid' WHERE id = 1"), frontend.query('SELECT 7')]),
      );
      await waitFor(() => gateway.held.length > before);
      const held = gateway.held[gateway.held.length - 1]!;
      const notice = decodeNoticeResponse(await raw.waitFor((f) => f.code === BackendCode.NoticeResponse));
      expect(notice.fields['M']).toContain(held.reviewId);
      expect(held.command).toContain('UPDATE refunds');
      expect((await queryDatabase(database.url, 'SELECT state FROM refunds WHERE id = 1'))[0]).toEqual({
        state: 'requested',
      });
      held.decide({ outcome: 'approved', decidedBy: 'bob', comment: 'ok' });
      await waitFor(() => raw.frames.filter((f) => f.code === BackendCode.ReadyForQuery).length >= 3);
      const after = raw.frames.slice(raw.frames.findIndex((f) => f.code === BackendCode.ReadyForQuery) + 1);
      expect(after.map((f) => String.fromCharCode(f.code)).join('')).toBe('NCZTDCZ');
      expect((await queryDatabase(database.url, 'SELECT state FROM refunds WHERE id = 1'))[0]).toEqual({
        state: 'paid',
      });
      expect(
        gateway.audits.some((e) => e.kind === 'statement.approved' && e.details['reviewId'] === held.reviewId),
      ).toBe(true);
    } finally {
      raw.socket.destroy();
    }
  });

  test('rejection and timeout end the statement with 42501; the session continues', async () => {
    const c = client();
    await c.connect();
    try {
      const before = gateway.held.length;
      const rejected = c.query("UPDATE refunds SET state = 'void' WHERE id = 2");
      await waitFor(() => gateway.held.length > before);
      gateway.held[gateway.held.length - 1]!.decide({ outcome: 'rejected', decidedBy: 'bob', comment: 'not today' });
      await expect(rejected).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('not today') });
      // No decision: the rule's 2 s timeout refuses it.
      await expect(c.query("UPDATE refunds SET state = 'void' WHERE id = 2")).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('no approval in time'),
      });
      expect((await c.query('SELECT state FROM refunds WHERE id = 2')).rows).toEqual([{ state: 'requested' }]);
    } finally {
      await c.end();
    }
  });
});
