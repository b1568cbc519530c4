// COPY … TO STDOUT under column masking, through the engine against the machine's PostgreSQL:
// the copied table is resolved on the session's own connection, so temporary tables, tables
// created in the open transaction and the session's search_path all mask as the session sees
// them; a COPY masking cannot follow is refused alone and the session goes on.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BackendCode, decodeErrorResponse, frontend, type Frame } from '@postern/wire-postgres';
import { createTestDatabase, queryDatabase, type TestDatabase } from '@postern/testing';
import { type MaskingRuleInput } from '@postern/policy';
import { initSqlParser } from '@postern/policy-postgres';
import { ALICE, RawClient, runClient, TestGateway } from './postgres-harness.js';

const S1_CARD = '4111111111111111';
const S3_CARD = '5500005555555559';
const PUBLIC_CARD = '340000000000009';
const SECRET = 'hunter2-very-secret';

const masking: MaskingRuleInput[] = [
  {
    id: 'm-s1-card',
    name: 's1-cards',
    connectionIds: [],
    exemptGroups: [],
    spec: { columns: ['s1.customers.card_number'], style: 'redact' },
  },
  {
    id: 'm-secret',
    name: 'secrets',
    connectionIds: [],
    exemptGroups: [],
    spec: { columns: ['secret'], style: 'redact' },
  },
];

let database: TestDatabase;
let gateway: TestGateway;

beforeAll(async () => {
  await initSqlParser();
  database = await createTestDatabase('postern_copy');
  await queryDatabase(
    database.url,
    `CREATE SCHEMA s1; CREATE SCHEMA s2; CREATE SCHEMA s3;
     CREATE TABLE s1.customers (id int, name text, card_number text);
     INSERT INTO s1.customers VALUES (1, 'Ada', '${S1_CARD}');
     CREATE TABLE s3.customers (id int, name text, card_number text);
     INSERT INTO s3.customers VALUES (1, 'Grace', '${S3_CARD}');
     CREATE TABLE public.customers (id int, name text, card_number text);
     INSERT INTO public.customers VALUES (1, 'Alan', '${PUBLIC_CARD}');
     CREATE TABLE public.vault (id int, secret text, label text, shout text GENERATED ALWAYS AS (upper(label)) STORED);
     INSERT INTO public.vault (id, secret, label) VALUES (1, '${SECRET}', 'first');
     CREATE VIEW public.vault_view AS SELECT id, secret FROM public.vault;`,
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
    },
    policy: { masking },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await database?.drop();
});

/** One psql session (simple protocol; `\copy` sends COPY … TO STDOUT), every statement run. */
function psql(script: string) {
  return runClient('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=0', '-d', gateway.url('shop')], {
    password: ALICE.password,
    input: script,
  });
}

/** Writes `messages` and collects the answers up to the `syncs`-th ReadyForQuery. */
async function exchange(raw: RawClient, messages: Buffer[], syncs = 1): Promise<Frame[]> {
  const start = raw.frames.length;
  raw.socket.write(Buffer.concat(messages));
  const answered = (): boolean =>
    raw.frames.slice(start).filter((f) => f.code === BackendCode.ReadyForQuery).length >= syncs;
  await raw.waitFor(() => answered());
  return raw.frames.slice(start);
}

function copied(frames: Frame[]): Buffer {
  return Buffer.concat(frames.filter((f) => f.code === BackendCode.CopyData).map((f) => f.body));
}

function errors(frames: Frame[]): { code: string; message: string }[] {
  return frames
    .filter((f) => f.code === BackendCode.ErrorResponse)
    .map((f) => decodeErrorResponse(f).fields)
    .map((fields) => ({ code: fields['C'] ?? '', message: fields['M'] ?? '' }));
}

function codes(frames: Frame[]): string {
  return frames.map((f) => String.fromCharCode(f.code)).join('');
}

function extendedCopy(sql: string): Buffer[] {
  return [frontend.parse({ sql }), frontend.bind(), frontend.execute(), frontend.sync()];
}

describe('COPY … TO STDOUT resolves its table as the session does', () => {
  test('a table created in the open transaction (create, then COPY, as psycopg2 does) is masked', async () => {
    const result = await psql(
      `BEGIN;
       CREATE TABLE fresh (id int, secret text, note text);
       INSERT INTO fresh VALUES (1, '${SECRET}', 'visible note');
       \\copy fresh TO STDOUT
       ROLLBACK;
       SELECT 'still here';`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('visible note');
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stdout).toContain('still here');
  });

  test('a temporary table is masked, in text and CSV with a header', async () => {
    const result = await psql(
      `CREATE TEMP TABLE scratch (id int, note text, secret text);
       INSERT INTO scratch VALUES (1, 'temp note', '${SECRET}');
       \\copy scratch TO STDOUT
       \\copy scratch TO STDOUT WITH (FORMAT csv, HEADER)`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('temp note');
    expect(result.stdout).toContain('id,note,secret');
    expect(result.stdout).not.toContain(SECRET);
  });

  test('the session search_path decides the table: s1 masked, a shadowing table without a rule raw', async () => {
    const result = await psql(
      `SET search_path TO s1;
       \\copy customers TO STDOUT
       SET search_path TO s2, s1;
       \\copy customers TO STDOUT
       SET search_path TO s3, s1;
       \\copy customers TO STDOUT`,
    );
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    // s1 (twice: s2 has no customers table) masked; s3's table, which no rule names, as it is.
    expect(lines.filter((l) => l.startsWith('1\tAda\t'))).toHaveLength(2);
    expect(result.stdout).not.toContain(S1_CARD);
    expect(lines).toContain(`1\tGrace\t${S3_CARD}`);
    // public.customers (what a lookup outside the session would find) never stood in for s1's.
    expect(result.stdout).not.toContain('Alan');
  });

  test('a column list is resolved by name, in its order; generated columns stay out of the default list', async () => {
    const result = await psql(
      `\\copy s1.customers (card_number, name) TO STDOUT
       \\copy s1.customers (name, id) TO STDOUT
       \\copy vault TO STDOUT`,
    );
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]!.endsWith('\tAda')).toBe(true);
    expect(lines[0]).not.toContain(S1_CARD);
    expect(lines[1]).toBe('Ada\t1');
    expect(lines[2]!.startsWith('1\t')).toBe(true);
    expect(lines[2]!.endsWith('\tfirst')).toBe(true);
    expect(result.stdout).not.toContain(SECRET);
  });

  test('binary COPY is masked, and the lookup never shows on the wire', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      const frames = await exchange(raw, [frontend.query('COPY s1.customers TO STDOUT (FORMAT binary)')]);
      expect(codes(frames)).toMatch(/^Hd+cCZ$/);
      const data = copied(frames);
      expect(data.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
      expect(data.includes('Ada')).toBe(true);
      expect(data.includes(S1_CARD)).toBe(false);
    } finally {
      raw.socket.destroy();
    }
  });
  test('pipelined queries: the lookup waits for the earlier answers and every answer keeps its place', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      const frames = await exchange(
        raw,
        [
          frontend.query("SELECT pg_sleep(0.2)::text || 'slept'"),
          frontend.query('COPY s1.customers TO STDOUT (FORMAT csv)'),
          frontend.query('SELECT 2'),
        ],
        3,
      );
      expect(codes(frames)).toMatch(/^TDCZHd+cCZTDCZ$/);
      expect(copied(frames).toString()).toMatch(/^1,Ada,/);
      expect(copied(frames).includes(S1_CARD)).toBe(false);
    } finally {
      raw.socket.destroy();
    }
  });
});

describe('a COPY that cannot run or cannot be masked is refused alone', () => {
  test('a table that does not exist: PostgreSQL’s own error, and the session goes on', async () => {
    const result = await psql(`\\copy nosuch TO STDOUT
       \\copy s1.customers (nosuch) TO STDOUT
       \\copy vault_view TO STDOUT
       SELECT 'after';`);
    expect(result.stderr).toContain('relation "nosuch" does not exist');
    expect(result.stderr).toContain('column "nosuch" of relation "customers" does not exist');
    expect(result.stderr).toContain('cannot copy from view "vault_view"');
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stdout.trim()).toBe('after');
  });

  test('options masking cannot follow, or a COPY after other statements in one query: 42501, then the next statement works', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      const options = await exchange(raw, [frontend.query("COPY s1.customers TO STDOUT (DELIMITER 'é')")]);
      expect(errors(options)).toEqual([{ code: '42501', message: expect.stringContaining('delimiter') }]);
      const mixed = await exchange(raw, [frontend.query('SET search_path TO s1; COPY customers TO STDOUT')]);
      expect(errors(mixed)).toEqual([{ code: '42501', message: expect.stringContaining('send it on its own') }]);
      expect(copied(mixed).length).toBe(0);
      // Nothing of the refused query ran (its SET neither), and the session answers as usual.
      const after = await exchange(raw, [frontend.query('SHOW search_path')]);
      expect(errors(after)).toEqual([]);
      expect(after.some((f) => f.code === BackendCode.DataRow && f.body.includes('public'))).toBe(true);
      expect(raw.closed).toBe(false);
    } finally {
      raw.socket.destroy();
    }
  });

  test('inside a failed transaction the COPY gets 25P02, as from PostgreSQL; after ROLLBACK it is masked', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      await exchange(raw, [frontend.query('BEGIN'), frontend.query('SELECT 1/0')], 2);
      const failed = await exchange(raw, [frontend.query('COPY s1.customers TO STDOUT')]);
      expect(errors(failed)).toEqual([
        { code: '25P02', message: 'current transaction is aborted, commands ignored until end of transaction block' },
      ]);
      expect(failed[failed.length - 1]!.body.toString('latin1')).toBe('E');
      await exchange(raw, [frontend.query('ROLLBACK')]);
      const ok = await exchange(raw, [frontend.query('COPY s1.customers TO STDOUT')]);
      expect(copied(ok).toString()).toMatch(/^1\tAda\t/);
      expect(copied(ok).includes(S1_CARD)).toBe(false);
    } finally {
      raw.socket.destroy();
    }
  });
});

describe('extended protocol', () => {
  test('Parse/Bind/Execute of COPY is masked; the table is the one the portal runs against', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      const plain = await exchange(raw, extendedCopy('COPY s1.customers TO STDOUT'));
      expect(codes(plain)).toMatch(/^12Hd+cCZ$/);
      expect(copied(plain).includes(S1_CARD)).toBe(false);
      expect(copied(plain).includes('Ada')).toBe(true);
      // Prepared while search_path finds s3's table, executed after it finds s1's: masked.
      await exchange(raw, [frontend.query('SET search_path TO s3')]);
      await exchange(raw, [frontend.parse({ name: 'cp', sql: 'COPY customers TO STDOUT' }), frontend.sync()]);
      const raw3 = await exchange(raw, [frontend.bind({ statement: 'cp' }), frontend.execute(), frontend.sync()]);
      expect(copied(raw3).toString()).toContain(S3_CARD);
      await exchange(raw, [frontend.query('SET search_path TO s1')]);
      const masked = await exchange(raw, [frontend.bind({ statement: 'cp' }), frontend.execute(), frontend.sync()]);
      expect(copied(masked).toString()).toMatch(/^1\tAda\t/);
      expect(copied(masked).includes(S1_CARD)).toBe(false);
    } finally {
      raw.socket.destroy();
    }
  });

  test('inside one pipeline: a table the pipeline created is masked; an earlier failure skips the COPY; a missing table is 42P01', async () => {
    const raw = await RawClient.login(gateway.port, 'shop');
    try {
      const created = await exchange(raw, [
        frontend.parse({ sql: `CREATE TEMP TABLE piped AS SELECT 1 AS id, '${SECRET}'::text AS secret` }),
        frontend.bind(),
        frontend.execute(),
        frontend.parse({ name: 'copy_piped', sql: 'COPY piped TO STDOUT' }),
        frontend.bind({ statement: 'copy_piped' }),
        frontend.execute(),
        frontend.sync(),
      ]);
      expect(errors(created)).toEqual([]);
      expect(codes(created)).toMatch(/^12C12Hd+cCZ$/);
      expect(copied(created).toString()).toMatch(/^1\t/);
      expect(copied(created).includes(SECRET)).toBe(false);
      const failed = await exchange(raw, [
        frontend.parse({ sql: 'SELECT 1/0' }),
        frontend.bind(),
        frontend.execute(),
        frontend.bind({ statement: 'copy_piped' }),
        frontend.execute(),
        frontend.sync(),
      ]);
      expect(errors(failed).map((e) => e.code)).toEqual(['22012']);
      // 1/0 is folded when the Bind plans it: the Bind fails, the rest is skipped to the Sync.
      expect(codes(failed)).toBe('1EZ');
      const missing = await exchange(raw, extendedCopy('COPY nosuch TO STDOUT'));
      expect(errors(missing)).toEqual([{ code: '42P01', message: 'relation "nosuch" does not exist' }]);
      expect(codes(missing)).toBe('12EZ');
      const again = await exchange(raw, [
        frontend.bind({ statement: 'copy_piped' }),
        frontend.execute(),
        frontend.sync(),
      ]);
      expect(codes(again)).toMatch(/^2Hd+cCZ$/);
      expect(copied(again).includes(SECRET)).toBe(false);
    } finally {
      raw.socket.destroy();
    }
  });
});
