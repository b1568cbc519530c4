import { describe, expect, test } from '@jest/globals';
import { initSqlParser } from '@postern/policy-postgres';
import type { PolicySnapshot__Output } from '@postern/proto';
import type { CompiledRules, DialectRules, ProtocolEngine } from '../engines/engine.js';
import { PostgresEngine } from '../engines/postgres/index.js';
import type { PostgresSessionRules } from '../engines/postgres/rules.js';
import { compilePolicy } from './compiled-policy.js';

const guardrail = (id: string, dialect: string, specJson = JSON.stringify({ statementKinds: ['DROP TABLE'] })) => ({
  id,
  name: id,
  connectionIds: [],
  groups: [],
  action: 'block',
  specJson,
  dialect,
});

const snapshot = (guardrails: ReturnType<typeof guardrail>[]) =>
  ({ version: '7', guardrails, approvalRules: [], maskingRules: [] }) as unknown as PolicySnapshot__Output;

/** An engine of another protocol that only records which rules it was given. */
function otherEngine(seen: DialectRules[]): ProtocolEngine {
  return {
    protocol: 'mysql',
    dialect: 'mysql',
    compileRules: (rules) => {
      seen.push(rules);
      return { problems: [], forSession: () => ({ statements: { empty: true } }) } as unknown as CompiledRules;
    },
    serve: async () => undefined,
  };
}

const postgresRules = (compiled: ReturnType<typeof compilePolicy>) =>
  compiled.byProtocol.get('postgres') as CompiledRules<PostgresSessionRules>;

describe('compilePolicy and rule dialects', () => {
  test('PostgreSQL sessions get postgres rules and rules from control planes older than dialects', async () => {
    await initSqlParser();
    for (const dialect of ['postgres', '']) {
      const compiled = compilePolicy(snapshot([guardrail('g', dialect)]), [new PostgresEngine()], Buffer.alloc(32, 1));
      const rules = postgresRules(compiled).forSession('c', []);
      expect(rules.statements.evaluate('DROP TABLE t')).toMatchObject({ action: 'block' });
      expect(compiled.problems).toEqual([]);
    }
  });

  test("each engine reads only its own dialect's rules", async () => {
    await initSqlParser();
    const seen: DialectRules[] = [];
    const compiled = compilePolicy(
      snapshot([guardrail('m', 'mysql'), guardrail('p', 'postgres')]),
      [new PostgresEngine(), otherEngine(seen)],
      Buffer.alloc(32, 1),
    );
    expect(seen.map((rules) => rules.guardrails.map((g) => g.id))).toEqual([['m']]);
    const rules = postgresRules(compiled).forSession('c', []);
    expect(rules.statements.evaluate('DROP TABLE t')).toMatchObject({ action: 'block', rule: { id: 'p' } });
    expect(compiled.problems).toEqual([]);
  });

  test('a rule that does not load fails closed and is named with its protocol', async () => {
    await initSqlParser();
    const compiled = compilePolicy(
      snapshot([guardrail('broken', 'postgres', '{"statementKinds": 42}')]),
      [new PostgresEngine()],
      Buffer.alloc(32, 1),
    );
    expect(compiled.problems).toEqual([expect.stringMatching(/^postgres: guardrail broken: /)]);
    const rules = postgresRules(compiled).forSession('c', []);
    expect(rules.statements.evaluate('SELECT 1')).toMatchObject({ action: 'block' });
  });
});
