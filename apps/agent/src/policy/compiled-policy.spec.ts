import { describe, expect, test } from '@jest/globals';
import { initSqlParser } from '@postern/policy-postgres';
import type { PolicySnapshot__Output } from '@postern/proto';
import { compilePolicy } from './compiled-policy.js';

const guardrail = (id: string, dialect: string) => ({
  id,
  name: id,
  connectionIds: [],
  groups: [],
  action: 'block',
  specJson: JSON.stringify({ statementKinds: ['DROP TABLE'] }),
  dialect,
});

const snapshot = (guardrails: ReturnType<typeof guardrail>[]) =>
  ({ version: '7', guardrails, approvalRules: [], maskingRules: [] }) as unknown as PolicySnapshot__Output;

describe('compilePolicy and rule dialects', () => {
  test('PostgreSQL sessions get postgres rules and rules from control planes older than dialects', async () => {
    await initSqlParser();
    for (const dialect of ['postgres', '']) {
      const compiled = compilePolicy(snapshot([guardrail('g', dialect)]), Buffer.alloc(32, 1));
      expect(compiled.statements.forSession('c', []).evaluate('DROP TABLE t')).toMatchObject({ action: 'block' });
      expect(compiled.problems).toEqual([]);
    }
  });

  test("another protocol's rule is not read by PostgreSQL's analyser", () => {
    const compiled = compilePolicy(snapshot([guardrail('m', 'mysql')]), Buffer.alloc(32, 1));
    expect(compiled.statements.forSession('c', []).empty).toBe(true);
    expect(compiled.problems).toEqual([]);
  });
});
