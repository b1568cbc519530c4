// Python client parity for masking: psycopg2 and asyncpg (Debian's python3-psycopg2 and
// python3-asyncpg, installed by .ci/run) through the PostgreSQL engine with the lineage rules
// (card partial, notes hash, email/phone/IBAN detectors). Each scenario of python/clients.py
// must succeed, show masked values where a rule applies and real data everywhere else.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { initSqlParser } from '@postern/policy-postgres';
import type { TestDatabase } from '@postern/testing';
import { ALICE, runClient, TestGateway } from './postgres-harness.js';
import { createLineageDatabase, findLeak, LINEAGE_RULES } from './masking-lineage-fixture.js';

/** Debian's interpreter: the drivers are Debian packages, not in any other Python's path. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python/clients.py', import.meta.url));
/** Planted by the script into its own tables; the email detector must catch it there too. */
const PLANTED_LOCAL_PART = 'planted.person.4711';

interface ScenarioResult {
  name: string;
  ok: boolean;
  error: string;
  text: string;
}

/** What each scenario must show: real data, and the masked forms of the rules that apply. */
const EXPECTED: Record<string, string[]> = {
  'psycopg2 create-then-COPY in one transaction': ['fresh-label-one', 'fresh-label-two'],
  'psycopg2 temp tables': ['temp-label', 'Ada Lovelace', 'Grace Hopper', '************1486'],
  'psycopg2 named (server-side) cursor': ['Ada Lovelace', 'Grace Hopper', '************1486', 'h:'],
  'psycopg2 copy_to': ['Ada Lovelace', 'Alan Turing', '************1486', 'h:'],
  'asyncpg copy_from_query': ['Ada Lovelace', '************1486'],
  'asyncpg copy_records_to_table': ['imported-label', 'imported-other'],
  'asyncpg copy_from_table': ['Ada Lovelace', 'Grace Hopper', '************1486', 'h:'],
  'asyncpg prepared statements': ['Ada Lovelace', 'Alan Turing', '************1486', '************5559', 'h:'],
  'asyncpg binary results': ['Ada Lovelace', 'Grace Hopper', '************1486', 'h:', 'total=975.00', 'count=1'],
};

let database: TestDatabase;
let gateway: TestGateway;
let results: Map<string, ScenarioResult>;
let stderr = '';

beforeAll(async () => {
  await initSqlParser();
  database = await createLineageDatabase('postern_pyclients');
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
    policy: { masking: LINEAGE_RULES },
  });
  const run = await runClient(PYTHON, [SCRIPT, '127.0.0.1', String(gateway.port), 'shop', ALICE.user, ALICE.password], {
    env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1' },
    timeoutMs: 50_000,
  });
  stderr = run.stderr;
  results = new Map(
    run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as ScenarioResult)
      .map((r) => [r.name, r]),
  );
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await database?.drop();
});

describe('python clients through Postern', () => {
  test.each(Object.keys(EXPECTED))('%s', (name) => {
    const result = results.get(name);
    if (result === undefined) throw new Error(`scenario did not report; python stderr:\n${stderr}`);
    const problems: string[] = [];
    if (!result.ok) problems.push(`failed: ${result.error}`);
    const leak = findLeak(result.text);
    if (leak !== null) problems.push(`raw value seen: ${leak}`);
    if (result.text.includes(PLANTED_LOCAL_PART)) problems.push('planted email seen unmasked');
    if (result.ok) {
      for (const value of EXPECTED[name]!) {
        if (!result.text.includes(value)) problems.push(`missing: ${JSON.stringify(value)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
