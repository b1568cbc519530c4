import { beforeAll, describe, expect, test } from '@jest/globals';
import { PolicySpecError } from '@postern/policy';
import { AnalysisCache } from './cache.js';
import type { ApprovalRuleInput, StatementMatch, StatementRuleInput } from '@postern/policy';
import { initSqlParser } from './parser.js';
import { compileStatementPolicy } from './policy.js';

beforeAll(() => initSqlParser());

function guardrail(id: string, match: StatementMatch, scope: Partial<StatementRuleInput> = {}): StatementRuleInput {
  return { id, name: `rule ${id}`, connectionIds: [], groups: [], match, ...scope };
}

function approval(id: string, match: StatementMatch, scope: Partial<StatementRuleInput> = {}): ApprovalRuleInput {
  return { ...guardrail(id, match, scope), approverGroups: ['dba'], requiredApprovals: 1, timeoutSeconds: 600 };
}

const everyone = (guardrails: StatementRuleInput[], approvals: ApprovalRuleInput[] = []) =>
  compileStatementPolicy(guardrails, approvals).forSession('conn-1', ['dev']);

describe('decisions', () => {
  test('a matching guardrail blocks with a reason naming what matched', () => {
    const session = everyone([guardrail('g1', { statementKinds: ['DROP'] })]);
    expect(session.evaluate('DROP TABLE public.orders')).toEqual({
      action: 'block',
      rule: { id: 'g1', name: 'rule g1' },
      reason: 'DROP TABLE on public.orders',
    });
    expect(session.evaluate('SELECT 1')).toEqual({ action: 'allow' });
  });

  test('reasons for each kind of condition', () => {
    const reason = (match: StatementMatch, sql: string) => {
      const decision = everyone([guardrail('g', match)]).evaluate(sql);
      return decision.action === 'block' ? decision.reason : decision.action;
    };
    expect(reason({ missingWhere: true }, 'DELETE FROM orders WHERE 1=1')).toBe(
      'DELETE without a row filter on orders',
    );
    expect(reason({ functions: ['pg_read_file'] }, "SELECT pg_catalog.pg_read_file('x')")).toBe(
      'SELECT calling pg_catalog.pg_read_file()',
    );
    expect(reason({ functions: ['pg_read_file'] }, "SELECT ('x'::text).pg_read_file")).toBe(
      'SELECT calling pg_read_file() (attribute notation)',
    );
    expect(reason({ copyProgram: true }, "COPY orders TO PROGRAM 'nc x 1'")).toBe('COPY TO PROGRAM on orders');
    expect(reason({ schemas: ['billing'] }, 'DROP SCHEMA billing')).toBe('DROP SCHEMA on schema billing');
    expect(reason({ unresolvedDynamicSql: true }, 'DO $$ DECLARE q text; BEGIN EXECUTE q; END $$')).toBe(
      'DO with dynamic SQL that cannot be checked',
    );
    expect(reason({ statementKinds: ['TRUNCATE'] }, "DO $$ BEGIN EXECUTE 'TRUNCATE audit.log'; END $$")).toBe(
      'TRUNCATE on audit.log inside dynamic SQL (EXECUTE)',
    );
  });

  test('all conditions of a rule must hold on the same statement', () => {
    const session = everyone([guardrail('g', { statementKinds: ['DELETE'], relations: ['orders'] })]);
    expect(session.evaluate('DELETE FROM orders WHERE id = 1').action).toBe('block');
    expect(session.evaluate('DELETE FROM other WHERE id = 1').action).toBe('allow');
    expect(session.evaluate('SELECT * FROM orders; DELETE FROM other WHERE id = 1').action).toBe('allow');
  });

  test('a multi-statement string is blocked as a whole', () => {
    const session = everyone([guardrail('g', { statementKinds: ['TRUNCATE'] })]);
    expect(session.evaluate('SELECT 1; SELECT 2; TRUNCATE t').action).toBe('block');
  });

  test('blocks win over holds, wherever they are in the string', () => {
    const session = everyone(
      [guardrail('block-drop', { statementKinds: ['DROP'] })],
      [approval('hold-delete', { statementKinds: ['DELETE'] })],
    );
    expect(session.evaluate('DELETE FROM t WHERE id = 1; DROP TABLE t').action).toBe('block');
    const held = session.evaluate('DELETE FROM t WHERE id = 1');
    expect(held).toMatchObject({ action: 'hold', rule: { id: 'hold-delete', approverGroups: ['dba'] } });
    expect(held.action === 'hold' && held.reason).toBe('DELETE on t');
  });

  test('nested statements are checked (CTE, DO, EXPLAIN ANALYZE, PREPARE)', () => {
    const session = everyone([guardrail('g', { statementKinds: ['DELETE'], relations: ['orders'] })]);
    for (const sql of [
      'WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d',
      'DO $$ BEGIN DELETE FROM orders WHERE id = 1; END $$',
      'EXPLAIN ANALYZE DELETE FROM orders WHERE id = 1',
      'PREPARE p AS DELETE FROM orders WHERE id = $1',
    ]) {
      expect([sql, session.evaluate(sql).action]).toEqual([sql, 'block']);
    }
  });
});

describe('unparseable SQL', () => {
  test('is invalid by default, with the parser message and position', () => {
    const session = everyone([guardrail('g', { statementKinds: ['DROP'] })]);
    expect(session.evaluate('SELEC 1')).toEqual({
      action: 'invalid',
      message: 'syntax error at or near "SELEC"',
      position: 0,
    });
  });

  test('is allowed with unparseable: forward, except what cannot be checked', () => {
    const limits = { maxSqlLength: 20, maxNodes: 1000, maxNestingDepth: 4 };
    const session = compileStatementPolicy([guardrail('g', { statementKinds: ['DROP'] })], [], {
      unparseable: 'forward',
      cache: new AnalysisCache({ limits }),
    }).forSession('c', []);
    expect(session.evaluate('SELEC 1')).toEqual({ action: 'allow' });
    expect(session.evaluate('SELECT 1\u0000; DROP TABLE t').action).toBe('invalid');
    expect(session.evaluate('SELECT 1 + 1 + 1 + 1 + 1 + 1')).toEqual({
      action: 'invalid',
      message: 'statement too long to check (over 20 characters)',
      position: null,
    });
  });
});

describe('scoping', () => {
  const policy = compileStatementPolicy(
    [
      guardrail('all', { statementKinds: ['DROP'] }),
      guardrail('prod-only', { statementKinds: ['TRUNCATE'] }, { connectionIds: ['prod'] }),
      guardrail('contractors', { statementKinds: ['DELETE'] }, { groups: ['contractors', 'interns'] }),
    ],
    [approval('prod-updates', { statementKinds: ['UPDATE'] }, { connectionIds: ['prod'], groups: ['dev'] })],
  );

  test('empty connectionIds and groups apply everywhere, to everyone', () => {
    expect(policy.forSession('staging', []).evaluate('DROP TABLE t').action).toBe('block');
  });

  test('connectionIds restrict the connection', () => {
    expect(policy.forSession('prod', []).evaluate('TRUNCATE t').action).toBe('block');
    expect(policy.forSession('staging', []).evaluate('TRUNCATE t').action).toBe('allow');
  });

  test('groups restrict the principal', () => {
    expect(policy.forSession('x', ['interns']).evaluate('DELETE FROM t WHERE id = 1').action).toBe('block');
    expect(policy.forSession('x', ['dev']).evaluate('DELETE FROM t WHERE id = 1').action).toBe('allow');
    expect(policy.forSession('prod', ['dev']).evaluate('UPDATE t SET a = 1 WHERE id = 1').action).toBe('hold');
    expect(policy.forSession('prod', ['ops']).evaluate('UPDATE t SET a = 1 WHERE id = 1').action).toBe('allow');
  });

  test('a session no rule applies to is empty and allows without parsing', () => {
    const none = compileStatementPolicy([guardrail('g', { statementKinds: ['DROP'] }, { groups: ['x'] })], []);
    const session = none.forSession('c', ['y']);
    expect(session.empty).toBe(true);
    expect(session.evaluate('not even SQL')).toEqual({ action: 'allow' });
    expect(none.forSession('c', ['x']).empty).toBe(false);
  });
});

describe('compilation', () => {
  test('an invalid rule is refused with its path', () => {
    expect(() =>
      compileStatementPolicy([guardrail('a', { statementKinds: ['DROP'] })], [approval('b', { relations: ['a b'] })]),
    ).toThrow(expect.objectContaining({ name: 'PolicySpecError', path: 'approvals[0].match.relations[0]' }));
    expect(() => compileStatementPolicy([guardrail('a', {} as StatementMatch)], [])).toThrow(PolicySpecError);
  });

  test('the caller gets its own rule object back on hold', () => {
    const rule = approval('h', { statementKinds: ['alter user'] });
    const decision = compileStatementPolicy([], [rule]).forSession('c', []).evaluate('ALTER ROLE x LOGIN');
    expect(decision.action === 'hold' && decision.rule).toBe(rule);
  });
});

describe('parse cache', () => {
  test('repeated SQL reuses one analysis, across sessions and policies', () => {
    const cache = new AnalysisCache({ maxEntries: 10 });
    const first = compileStatementPolicy([guardrail('g', { statementKinds: ['DROP'] })], [], { cache });
    const second = compileStatementPolicy([guardrail('g', { statementKinds: ['TRUNCATE'] })], [], { cache });
    const sql = 'SELECT * FROM orders WHERE id = $1';
    first.forSession('a', []).evaluate(sql);
    const analysis = cache.analyze(sql);
    second.forSession('b', ['x']).evaluate(sql);
    expect(cache.analyze(sql)).toBe(analysis);
    expect(cache.size).toBe(1);
  });

  test('is bounded in entries (least recently used goes first) and in string length', () => {
    // String literals: these texts have no literal shape, so each is an entry of its own.
    const cache = new AnalysisCache({ maxEntries: 3, maxEntryLength: 100 });
    const kept = cache.analyze("SELECT '0'");
    for (let i = 1; i <= 5; i += 1) {
      cache.analyze(`SELECT '${i}'`);
      cache.analyze("SELECT '0'");
    }
    expect(cache.size).toBe(3);
    expect(cache.analyze("SELECT '0'")).toBe(kept);
    cache.analyze(`SELECT '${'x'.repeat(200)}'`);
    expect(cache.size).toBe(3);
    const big = `SELECT '${'y'.repeat(200)}'`;
    expect(cache.analyze(big)).not.toBe(cache.analyze(big));
  });

  test('bounded in total length', () => {
    const cache = new AnalysisCache({ maxEntries: 100, maxTotalLength: 50 });
    for (let i = 0; i < 20; i += 1) cache.analyze(`SELECT '${i}' || '100000'`);
    expect(cache.size).toBeLessThanOrEqual(3);
  });

  test('cacheSize gives a policy its own cache; 0 disables caching', () => {
    const session = compileStatementPolicy([guardrail('g', { statementKinds: ['DROP'] })], [], {
      cacheSize: 0,
    }).forSession('c', []);
    expect(session.evaluate('DROP TABLE t').action).toBe('block');
    expect(session.evaluate('DROP TABLE t').action).toBe('block');
  });
});
