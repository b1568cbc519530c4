// Masking by lineage (issue 14, "Evidence"): every attempt of corpora/masking-lineage.jsonl runs
// through the PostgreSQL engine against the machine's PostgreSQL, with four real clients: psql,
// node-postgres in text mode (simple protocol, the line sent as one Query), node-postgres with
// binary results (extended protocol) and named prepared statements executed twice (extended
// protocol, text results). The contract, per attempt:
//   - "masked-or-refused": either a statement is refused (42501, the session stays usable) or no
//     row, notice, notification or error text gives a masked value away (see findLeak). Lines
//     marked `derived` must come back fully redacted: every value NULL or a '*' token.
//     Statements after a refusal may fail in any way (aborted transaction, missing copy).
//     Only the `message-leak` class may end in an error of another SQLSTATE, if its text is clean.
//   - "real": no error, every string of `real` appears, and no masked value either.
// Corpus lines: {"id", "class", "sql", "expect", "real"?, "derived"?}. `sql` may hold several
// statements; psql and the extended-protocol clients send them one by one, node-postgres text
// mode as one Query. Writes run inside BEGIN … ROLLBACK and read their copy back in between.
// The same lines run directly against PostgreSQL first, to prove each attempt really leaks there.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { initSqlParser } from '@postern/policy-postgres';
import type { TestDatabase } from '@postern/testing';
import { ALICE, runClient, TestGateway } from './postgres-harness.js';
import { createLineageDatabase, findLeak, LINEAGE_RULES } from './masking-lineage-fixture.js';

interface Attempt {
  id: string;
  class: string;
  sql: string;
  expect: 'masked-or-refused' | 'real';
  real?: string[];
  derived?: boolean;
}

/** What one client saw of one attempt. */
interface Observation {
  /** Cells as text (binary cells: their bytes as UTF-8 plus the decoded value); '' or null = NULL. */
  rows: (string | null)[][];
  /** Errors in the order received: SQLSTATE and every text field (message, detail, hint, where…). */
  errors: { code: string; texts: string[] }[];
  /** Notices, notifications and other text the client printed. */
  messages: string[];
  closed: boolean;
  alive: boolean;
}

type Runner = (attempts: Attempt[]) => Promise<Map<string, Observation>>;

const CORPUS: Attempt[] = readFileSync(new URL('./corpora/masking-lineage.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Attempt);
const CLASSES = [...new Set(CORPUS.map((a) => a.class))];
const REFUSED = '42501';
const REDACTED = /^\*+$/;
/** Marks a binary cell whose bytes node-postgres lost (see renderCell). */
const OPAQUE = ' [bytes lost by the client]';
/** Binary integers, which pg-types leaves undecoded. */
const INTEGERS: Record<number, (b: Buffer) => string | undefined> = {
  20: (b) => (b.length === 8 ? b.readBigInt64BE().toString() : undefined),
  21: (b) => (b.length === 2 ? String(b.readInt16BE()) : undefined),
  23: (b) => (b.length === 4 ? String(b.readInt32BE()) : undefined),
};

let agentDb: TestDatabase;
let directDb: TestDatabase;
let gateway: TestGateway;

beforeAll(async () => {
  await initSqlParser();
  [agentDb, directDb] = await Promise.all([
    createLineageDatabase('postern_lineage'),
    createLineageDatabase('postern_lineage_direct'),
  ]);
  gateway = await TestGateway.start({
    connections: {
      shop: {
        host: '127.0.0.1',
        port: 5432,
        database: agentDb.name,
        user: 'postgres',
        password: 'unused-with-trust',
        tlsMode: 'disable',
      },
    },
    policy: { masking: LINEAGE_RULES },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([agentDb?.drop(), directDb?.drop()]);
});

// ---------------------------------------------------------------------------------------------
// Judging

function allText(o: Observation): string[] {
  return [...o.rows.flat().filter((c): c is string => c !== null), ...o.errors.flatMap((e) => e.texts), ...o.messages];
}

/** The ways `o` breaks the contract for `a`; empty when it holds. */
function judge(a: Attempt, o: Observation): string[] {
  const problems: string[] = [];
  if (o.closed) problems.push('session closed during the attempt');
  else if (!o.alive) problems.push('session not usable after the attempt');
  for (const text of allText(o)) {
    const leak = findLeak(text);
    if (leak !== null) {
      problems.push(`raw value seen: ${leak}`);
      break;
    }
  }
  const first = o.errors[0];
  if (a.expect === 'real') {
    if (first !== undefined) problems.push(`failed: ${first.code} ${first.texts[0] ?? ''}`);
    const seen = allText(o).join('\n');
    const opaque = seen.includes(OPAQUE);
    for (const value of a.real ?? []) {
      if (opaque && /^[\d.]+$/.test(value)) continue;
      if (!seen.includes(value))
        problems.push(`real value missing: ${JSON.stringify(value)} (saw ${JSON.stringify(seen.slice(0, 120))})`);
    }
    return problems;
  }
  if (first !== undefined && first.code !== REFUSED && a.class !== 'message-leak') {
    problems.push(`wrong error: ${first.code} ${first.texts[0] ?? ''} (expected 42501 or masked rows)`);
  }
  if (a.derived === true && first?.code !== REFUSED) {
    const clear = o.rows.flat().find((cell) => cell !== null && cell !== '' && !REDACTED.test(cell));
    if (clear !== undefined) problems.push(`derived value not redacted: ${JSON.stringify(clear.slice(0, 60))}`);
  }
  return problems;
}

/** Proof that an attempt is a real attempt: without Postern it leaks (or returns its data). */
function judgeDirect(a: Attempt, o: Observation): string[] {
  if (a.expect === 'real') {
    // Raw values are expected here; the masked forms some lines list ('****1486', 'h:') are not.
    const first = o.errors[0];
    const seen = allText(o).join('\n');
    const missing = (a.real ?? []).filter((v) => !/\*|^h:$/.test(v) && !seen.includes(v));
    return [
      ...(first === undefined ? [] : [`failed: ${first.code} ${first.texts[0] ?? ''}`]),
      ...missing.map((v) => `real value missing: ${JSON.stringify(v)}`),
    ];
  }
  if (a.derived === true) {
    const clear = o.rows.flat().some((cell) => cell !== null && cell !== '' && !REDACTED.test(cell));
    return clear ? [] : ['returns no derived value even without Postern'];
  }
  return allText(o).some((text) => findLeak(text) !== null) ? [] : ['leaks nothing even without Postern'];
}

function failuresOf(results: Map<string, Observation>, attempts: Attempt[], by = judge): string[] {
  return attempts.flatMap((a) => {
    const o = results.get(a.id);
    if (o === undefined) return [`${a.id}: not run`];
    return by(a, o).map((p) => `${a.id}: ${p}  —  ${a.sql}`);
  });
}

// ---------------------------------------------------------------------------------------------
// psql: one process per class, markers on stdout (\echo) and stderr (\warn) around each attempt.

function psqlRunner(url: () => string): Runner {
  return async (attempts) => {
    const results = new Map<string, Observation>();
    for (const klass of [...new Set(attempts.map((a) => a.class))]) {
      let pending = attempts.filter((a) => a.class === klass);
      while (pending.length > 0) {
        const script = ['\\set VERBOSITY verbose']
          .concat(
            pending.map(
              (a) =>
                `\\echo @@@S:${a.id}\n\\warn @@@S:${a.id}\n${a.sql};\n\\echo @@@E:${a.id}\n\\warn @@@E:${a.id}\nSELECT 'alive:${a.id}';`,
            ),
          )
          .join('\n');
        const run = await runClient('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=0', '-d', url()], {
          password: ALICE.password,
          input: script + '\n',
          timeoutMs: 60_000,
        });
        const done = pending.findIndex((a) => {
          const observation = parsePsql(a.id, run.stdout, run.stderr);
          results.set(a.id, observation);
          return observation.closed;
        });
        pending = done === -1 ? [] : pending.slice(done + 1);
      }
    }
    return results;
  };
}

function section(text: string, start: string, end: string): string | null {
  const from = text.indexOf(`${start}\n`);
  if (from === -1) return null;
  const to = text.indexOf(`${end}\n`, from);
  return to === -1 ? text.slice(from + start.length + 1) : text.slice(from + start.length + 1, to);
}

function parsePsql(id: string, stdout: string, stderr: string): Observation {
  const out = section(stdout, `@@@S:${id}`, `@@@E:${id}`) ?? '';
  const err = section(stderr, `@@@S:${id}`, `@@@E:${id}`) ?? '';
  const finished = stdout.includes(`@@@E:${id}\n`);
  const after = finished ? (section(stdout, `@@@E:${id}`, '@@@S:') ?? '') : '';
  const lines = (s: string) => s.split('\n').filter((l) => l !== '');
  const errors = lines(err).flatMap((line) => {
    const m = /ERROR:\s+([0-9A-Z]{5}):\s*(.*)$/.exec(line);
    return m === null ? [] : [{ code: m[1]!, texts: [m[2]!] }];
  });
  return {
    rows: lines(out).map((l) => l.split('|')),
    errors,
    messages: lines(err),
    closed: !finished,
    alive: after.includes(`alive:${id}`),
  };
}

// ---------------------------------------------------------------------------------------------
// node-postgres

type PgMode = 'text' | 'binary' | 'extended';

const PASSTHROUGH = { getTypeParser: () => (value: unknown) => value } as unknown as pg.CustomTypesConfig;
const READ = /^\s*(SELECT|WITH|VALUES|TABLE)\b/i;

/** Splits a line into statements at top-level semicolons (quotes, dollar quotes, comments kept). */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      i = sql.indexOf(ch, i + 1) + 1 || sql.length;
      continue;
    }
    if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag !== null) {
        i = sql.indexOf(tag[0], i + tag[0].length) + tag[0].length;
        if (i < tag[0].length) i = sql.length;
        continue;
      }
    }
    if (ch === '-' && sql[i + 1] === '-') {
      i = sql.indexOf('\n', i) + 1 || sql.length;
      continue;
    }
    if (ch === ';') {
      out.push(sql.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * A cell as text. node-postgres hands binary values over as UTF-8 strings (it has no binary
 * mode of its own), so bytes that are not UTF-8 are lost: such cells are decoded as far as
 * possible and marked opaque (`OPAQUE` suffix), and numbers in them cannot be checked.
 */
function renderCell(value: unknown, field: pg.FieldDef): string | null {
  if (value === null || value === undefined) return null;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  if ((field.format as string) !== 'binary') return text;
  const bytes = Buffer.from(text, 'utf8');
  let decoded: unknown = null;
  try {
    decoded =
      INTEGERS[field.dataTypeID]?.(bytes) ??
      pg.types.getTypeParser(field.dataTypeID, 'binary')(bytes as unknown as string);
  } catch {
    decoded = null;
  }
  // Decoded numbers, dates, arrays…: a card cast to bigint is not visible in its raw bytes.
  const shown = decoded === null || decoded === text || Buffer.isBuffer(decoded) ? '' : ` ${JSON.stringify(decoded)}`;
  return `${text}${shown}${text.includes('\uFFFD') ? OPAQUE : ''}`;
}

class PgSession {
  private client!: pg.Client;
  private closed = false;
  private messages: string[] = [];
  private statementNumber = 0;

  constructor(private readonly mode: PgMode) {}

  async connect(): Promise<void> {
    this.closed = false;
    this.client = new pg.Client({
      host: '127.0.0.1',
      port: gateway.port,
      user: ALICE.user,
      password: ALICE.password,
      database: 'shop',
      query_timeout: 15_000,
      types: PASSTHROUGH,
      ...(this.mode === 'binary' ? { binary: true } : {}),
    });
    this.client.on('error', () => (this.closed = true));
    this.client.on('end', () => (this.closed = true));
    this.client.on('notice', (n) => this.messages.push(...fieldsOf(n)));
    this.client.on('notification', (n) => this.messages.push(`notification ${n.channel}: ${n.payload ?? ''}`));
    await this.client.connect();
  }

  async end(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  async run(a: Attempt): Promise<Observation> {
    this.messages = [];
    const observation: Observation = { rows: [], errors: [], messages: [], closed: false, alive: false };
    const steps = this.mode === 'text' ? [a.sql] : splitStatements(a.sql);
    for (const step of steps) {
      const repeat = this.mode === 'extended' && steps.length === 1 && READ.test(step) ? 2 : 1;
      const name = `lineage_${++this.statementNumber}`;
      for (let i = 0; i < repeat; i++) {
        const failed = await this.query(step, name, observation);
        if (failed || this.closed) break;
      }
      if (this.closed) break;
    }
    observation.messages = this.messages;
    if (this.closed) {
      observation.closed = true;
      await this.reconnect();
      return observation;
    }
    if (/\bBEGIN\b/i.test(a.sql)) await this.client.query('ROLLBACK').catch(() => undefined);
    observation.alive = await this.client
      .query({ text: "SELECT 'alive'", rowMode: 'array' })
      .then((r) => r.rows[0]?.[0] === 'alive')
      .catch(() => false);
    if (!observation.alive) await this.reconnect();
    return observation;
  }

  /** Runs one statement; true when it failed. */
  private async query(text: string, name: string, observation: Observation): Promise<boolean> {
    const config: pg.QueryConfig & { rowMode: 'array'; queryMode?: 'extended' } = { text, rowMode: 'array' };
    if (this.mode === 'binary') config.queryMode = 'extended';
    if (this.mode === 'extended') config.name = name;
    try {
      const result = (await this.client.query(config)) as pg.QueryResult<unknown[]> | pg.QueryResult<unknown[]>[];
      for (const r of Array.isArray(result) ? result : [result]) {
        for (const row of r.rows ?? []) observation.rows.push(row.map((v, i) => renderCell(v, r.fields[i]!)));
      }
      return false;
    } catch (error) {
      const e = error as pg.DatabaseError;
      if (/timeout/i.test(e.message)) this.closed = true;
      observation.errors.push({ code: e.code ?? 'no-sqlstate', texts: fieldsOf(e) });
      return true;
    }
  }

  private async reconnect(): Promise<void> {
    await this.end();
    await this.connect();
  }
}

function fieldsOf(e: Partial<pg.DatabaseError> | pg.NoticeMessage): string[] {
  const fields = [e.message, e.detail, e.hint, e.where, e.internalQuery];
  return fields.filter((f): f is string => typeof f === 'string' && f !== '');
}

function pgRunner(mode: PgMode): Runner {
  return async (attempts) => {
    const session = new PgSession(mode);
    await session.connect();
    const results = new Map<string, Observation>();
    try {
      for (const a of attempts) results.set(a.id, await session.run(a));
    } finally {
      await session.end();
    }
    return results;
  };
}

// ---------------------------------------------------------------------------------------------

describe('the corpus', () => {
  test('has enough attempts of every class and benign statements, each with a unique id', () => {
    const ids = CORPUS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(CORPUS.filter((a) => a.expect === 'masked-or-refused').length).toBeGreaterThanOrEqual(150);
    expect(CORPUS.filter((a) => a.expect === 'real').length).toBeGreaterThanOrEqual(40);
    for (const a of CORPUS) {
      expect(['masked-or-refused', 'real']).toContain(a.expect);
      expect(a.sql.trim()).not.toBe('');
    }
  });

  test('no statement carries a masked value itself (an echo of the text must not count as a leak)', () => {
    expect(CORPUS.flatMap((a) => (findLeak(a.sql) === null ? [] : [`${a.id}: ${findLeak(a.sql)}`]))).toEqual([]);
  });

  test('directly against PostgreSQL every attempt leaks and every benign statement returns its data', async () => {
    const results = await psqlRunner(() => `postgresql://postgres@127.0.0.1:5432/${directDb.name}`)(CORPUS);
    expect(failuresOf(results, CORPUS, judgeDirect)).toEqual([]);
  });
});

const CLIENTS: [string, Runner][] = [
  ['psql', psqlRunner(() => gateway.url('shop'))],
  ['node-postgres text (simple protocol)', pgRunner('text')],
  ['node-postgres binary results (extended protocol)', pgRunner('binary')],
  ['node-postgres named prepared statements, executed twice', pgRunner('extended')],
];

describe.each(CLIENTS)('through Postern with %s', (_client, runner) => {
  let results: Map<string, Observation>;

  beforeAll(async () => {
    results = await runner(CORPUS);
  }, 120_000);

  test.each(CLASSES)('%s', (klass) => {
    expect(
      failuresOf(
        results,
        CORPUS.filter((a) => a.class === klass),
      ),
    ).toEqual([]);
  });
});

describe('parameters (extended protocol)', () => {
  const cases: { id: string; text: string; values: unknown[]; real?: string[] }[] = [
    { id: 'pa-01', text: 'SELECT format($1::text, card_number) FROM customers', values: ['%s'] },
    { id: 'pa-02', text: 'SELECT $1::text || card_number FROM customers', values: [''] },
    { id: 'pa-03', text: 'SELECT (SELECT card_number FROM customers WHERE id = $1)', values: [1] },
    { id: 'pa-04', text: 'SELECT to_json(c) FROM customers c WHERE id = $1', values: [2] },
    { id: 'pa-05', text: 'SELECT split_part(email, $1, 1) FROM customers', values: ['@'] },
    { id: 'pa-06', text: 'SELECT substr(card_number, $1, $2) FROM customers', values: [1, 12] },
    { id: 'pa-07', text: 'SELECT card_number FROM customers WHERE id = $1', values: [1], real: ['1486'] },
    { id: 'pa-08', text: 'SELECT name FROM customers WHERE card_number LIKE $1', values: ['4539%'], real: ['Ada'] },
  ];

  test.each([false, true])('binary results: %s', async (binary) => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: gateway.port,
      user: ALICE.user,
      password: ALICE.password,
      database: 'shop',
      types: PASSTHROUGH,
      binary,
      query_timeout: 15_000,
    });
    await client.connect();
    const failures: string[] = [];
    try {
      for (const c of cases) {
        const attempt: Attempt = {
          id: c.id,
          class: 'parameters',
          sql: c.text,
          expect: c.real === undefined ? 'masked-or-refused' : 'real',
          ...(c.real === undefined ? {} : { real: c.real }),
        };
        const observation: Observation = { rows: [], errors: [], messages: [], closed: false, alive: true };
        for (let i = 0; i < 2; i++) {
          try {
            const r = await client.query<unknown[]>({ name: c.id, text: c.text, values: c.values, rowMode: 'array' });
            for (const row of r.rows) observation.rows.push(row.map((v, j) => renderCell(v, r.fields[j]!)));
          } catch (error) {
            const e = error as pg.DatabaseError;
            observation.errors.push({ code: e.code ?? 'no-sqlstate', texts: fieldsOf(e) });
            if (e.code === undefined) observation.closed = true;
            break;
          }
        }
        failures.push(...judge(attempt, observation).map((p) => `${c.id}: ${p}  —  ${c.text}`));
        if (observation.closed) break;
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    expect(failures).toEqual([]);
  });
});
