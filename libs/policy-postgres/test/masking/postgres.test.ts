// Against the machine's real PostgreSQL (127.0.0.1:5432, trust auth): masked output must be
// something PostgreSQL itself accepts. Binary jsonb and text[] values come from the server
// (jsonb_send/array_send), are masked, then sent back as binary parameters, which the server
// parses with jsonb_recv/array_recv; COPY output in text, CSV and binary comes from psql, is
// masked in CopyData messages of awkward sizes, then loaded back with COPY FROM.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { column, copyData, dataRow, readCopyData, readDataRow, sessionFor } from './support/frames.js';

const HOST = process.env.PGHOST_TCP ?? '127.0.0.1';
const PORT = Number(process.env.PGPORT ?? 5432);
const DATABASE = 'test';
const schema = `masking_${randomBytes(4).toString('hex')}`;

const SECRETS = [
  'ann@example.com',
  '4111 1111 1111 1111',
  'bob@example.org',
  'DE89 3704 0044 0532 0130 00',
  'AKIAIOSFODNN7EXAMPLE',
];
const ROWS = [
  [
    1,
    'ann@example.com',
    'mail ann@example.com\tthen a tab, a "quote", a \\ and\na newline',
    '{"to": "bob@example.org", "n": 1}',
    ['x', 'card 4111 1111 1111 1111', null],
  ],
  [2, null, 'Zürich, IBAN DE89 3704 0044 0532 0130 00; ok', '{"k": ["AKIAIOSFODNN7EXAMPLE", 2]}', ['plain']],
  [3, 'bob@example.org', '', '{}', []],
  [4, 'carol@example.net', null, '{"a": "b,c\\"d"}', ['a,b', '{x}', '"q"']],
] as const;

let client: InstanceType<typeof pg.Client>;

function psql(sql: string, input?: Buffer): Buffer {
  return execFileSync(
    'psql',
    ['-h', HOST, '-p', String(PORT), '-U', 'postgres', '-d', DATABASE, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    {
      input,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

beforeAll(async () => {
  client = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: DATABASE });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.query(`create table ${schema}.people (id int8, email text, note text, doc jsonb, tags text[])`);
  for (const row of ROWS) await client.query(`insert into ${schema}.people values ($1, $2, $3, $4, $5)`, [...row]);
});

afterAll(async () => {
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

const session = () =>
  sessionFor(
    { columns: ['people.email', 'people.id'], style: 'redact' },
    { detectors: ['email', 'payment_card', 'iban', 'secret'], style: 'redact' },
  );

const peopleColumns = (format: 0 | 1) => [
  column('id', 20, format, 'people'),
  column('email', 25, format, 'people'),
  column('note', 25, format, 'people'),
  column('doc', 3802, format, 'people'),
  column('tags', 1009, format, 'people'),
];

describe('binary values masked are accepted by PostgreSQL', () => {
  test('jsonb and text[] from jsonb_send/array_send, masked, parse again with jsonb_recv/array_recv', async () => {
    const { rows } = await client.query<{ doc: Buffer; tags: Buffer }>(
      `select jsonb_send(doc) as doc, array_send(tags) as tags from ${schema}.people order by id`,
    );
    const masker = session().planRows([column('doc', 3802, 1), column('tags', 1009, 1)])!;
    for (const row of rows) {
      const [doc, tags] = readDataRow(masker.maskDataRow(dataRow([row.doc, row.tags])));
      const back = await client.query<{ doc: unknown; tags: string[] }>('select $1::jsonb as doc, $2::text[] as tags', [
        doc,
        tags,
      ]);
      const shown = JSON.stringify(back.rows[0]);
      for (const secret of SECRETS) expect(shown).not.toContain(secret);
    }
    const roundTrip = await client.query<{ tags: string[] }>('select $1::text[] as tags', [
      readDataRow(masker.maskDataRow(dataRow([rows[0]!.doc, rows[0]!.tags])))[1],
    ]);
    expect(roundTrip.rows[0]!.tags).toEqual(['x', 'card ****', null]);
  });

  test('text-format values, masked, are valid json, jsonb and text[] literals', async () => {
    const { rows } = await client.query<{ doc: string; tags: string }>(
      `select doc::text as doc, tags::text as tags from ${schema}.people order by id`,
    );
    const masker = session().planRows([column('doc', 3802, 0), column('tags', 1009, 0)])!;
    for (const row of rows) {
      const [doc, tags] = readDataRow(masker.maskDataRow(dataRow([row.doc, row.tags])));
      const back = await client.query('select $1::jsonb as doc, $2::text[] as tags', [
        doc!.toString(),
        tags!.toString(),
      ]);
      const shown = JSON.stringify(back.rows[0]);
      for (const secret of SECRETS) expect(shown).not.toContain(secret);
    }
  });
});

describe('COPY output masked loads back with COPY FROM', () => {
  test.each([
    ['text', 'format text'],
    ['csv', 'format csv, header true'],
    ['binary', 'format binary'],
  ] as const)('%s', async (format, options) => {
    const output = psql(`copy (select * from ${schema}.people order by id) to stdout (${options})`);
    const { masker, refuse } = session().planCopy(peopleColumns(format === 'binary' ? 1 : 0), format, {
      header: format === 'csv',
    });
    expect(refuse).toBeNull();
    // Messages of 7 bytes: rows, fields, escapes and the binary header all get split.
    const pieces: Buffer[] = [];
    for (let at = 0; at < output.length; at += 7) {
      pieces.push(readCopyData(masker!.maskCopyData(copyData(output.subarray(at, at + 7)))));
    }
    const tail = masker!.finish();
    if (tail !== null) pieces.push(readCopyData(tail));
    const target = `${schema}.loaded_${format}`;
    await client.query(`create table ${target} (like ${schema}.people)`);
    psql(`copy ${target} from stdin (${options})`, Buffer.concat(pieces));
    const { rows } = await client.query(`select * from ${target}`);
    expect(rows).toHaveLength(ROWS.length);
    for (const row of rows) {
      expect(row.id).toBeNull();
      expect(['********', null]).toContain(row.email);
      const shown = JSON.stringify(row);
      for (const secret of SECRETS) expect(shown).not.toContain(secret);
    }
    const notes = rows.map((r) => r.note);
    expect(notes).toContain('mail ****\tthen a tab, a "quote", a \\ and\na newline');
    expect(notes).toContain('Zürich, IBAN ****; ok');
    expect(rows.map((r) => r.tags)).toContainEqual(['a,b', '{x}', '"q"']);
  });
});
