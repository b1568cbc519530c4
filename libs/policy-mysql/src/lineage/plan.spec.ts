// The lineage plan: which result columns the MySQL engine redacts beyond its metadata masking,
// and which statements it refuses because masked values could not be told apart.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { compileColumnPattern } from '@postern/policy';
import { initSqlParser } from '../sql/parser.js';
import { analyzeLineage } from './analyze.js';
import { columnActions, planLineage, type LineagePlan } from './plan.js';

beforeAll(() => initSqlParser());

const rules = [{ name: 'emails', matchers: [compileColumnPattern('customers.email')] }];

function plan(sql: string, detectors = false): LineagePlan {
  return planLineage(analyzeLineage(sql), rules, { detectors });
}

function actions(sql: string, columnCount: number): unknown {
  const result = plan(sql);
  if (result.refuse !== null) return result.refuse;
  const items = result.statements[0];
  return items ? columnActions(items, columnCount) : null;
}

describe('lineage masking plan', () => {
  test('plain columns are left to the metadata; what it cannot name is redacted', () => {
    expect(actions('SELECT id, email FROM customers', 2)).toEqual(['keep', 'keep']);
    expect(actions("SELECT id, CONCAT(email, '') FROM customers", 2)).toEqual(['keep', 'redact']);
    expect(actions('SELECT x.m FROM (SELECT email AS m FROM customers) x', 1)).toEqual(['redact']);
    expect(actions('SELECT (SELECT email FROM customers LIMIT 1) AS s, o.* FROM orders o', 4)).toEqual([
      'redact',
      'keep',
      'keep',
      'keep',
    ]);
    expect(actions('SELECT name FROM products UNION SELECT email FROM customers', 1)).toEqual(['redact']);
  });

  test('columns that cannot be told apart are refused; unrelated ones pass', () => {
    expect(actions('SELECT * FROM (SELECT * FROM customers) d', 2)).toBe(
      'masking rule "emails" applies, and the columns of `*` over customers cannot be told apart',
    );
    expect(actions('SELECT * FROM (SELECT * FROM orders) d', 3)).toEqual(['keep', 'keep', 'keep']);
    expect(plan('SELECT NEXT VALUE FOR s')).toMatchObject({ refuse: expect.stringContaining('cannot be followed') });
  });

  test('with detectors, reshaped values from a table are redacted', () => {
    const result = plan('SELECT REVERSE(note), LOWER(note) FROM orders', true);
    expect(result.refuse === null && result.statements[0]).toEqual([
      { action: 'redact', width: 1 },
      { action: 'keep', width: 1 },
    ]);
  });

  test('columnActions places redactions around one `*`, and refuses between two', () => {
    const value = (action: 'keep' | 'redact') => ({ action, width: 1 as const });
    const any = { action: 'keep' as const, width: 'any' as const };
    expect(columnActions([value('redact'), any, value('redact')], 4)).toEqual(['redact', 'keep', 'keep', 'redact']);
    expect(columnActions([any, value('redact'), any], 4)).toBeNull();
    expect(columnActions([value('keep')], 2)).toBeNull();
  });
});
