// Lineage of result columns: where a computed column's value comes from, so that masking can
// follow `email` through aliases, derived tables, CTEs, subqueries, functions and UNION.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { initSqlParser } from '../sql/parser.js';
import { analyzeLineage } from './analyze.js';
import type { OutputItem } from './facts.js';

beforeAll(() => initSqlParser());

/** Each output as `name: schema.table.column+… [D]irect [T]ransformed [N]amed by the metadata`. */
function outputs(sql: string): string[] {
  const analysis = analyzeLineage(sql);
  if (!analysis.ok) throw new Error(analysis.message);
  return (analysis.statements[0]?.outputs ?? []).map((item: OutputItem) => {
    const sources = item.lineage.sources
      .map((source) => `${source.schema ? `${source.schema}.` : ''}${source.relation}.${source.column ?? '*'}`)
      .join('+');
    const marks = `${item.lineage.direct ? ' D' : ''}${item.lineage.transformed ? ' T' : ''}${item.named ? ' N' : ''}`;
    const label = item.kind === 'value' ? (item.name ?? '(expr)') : '*';
    return `${label}: ${sources}${marks}`;
  });
}

describe('result column lineage', () => {
  test('aliases and functions do not hide a column', () => {
    expect(outputs('SELECT c.email AS e, lower(c.email), reverse(email), id FROM shop.customers c')).toEqual([
      'e: shop.customers.email D N',
      '(expr): shop.customers.email',
      '(expr): shop.customers.email T',
      'id: shop.customers.id D N',
    ]);
    expect(outputs("SELECT CONCAT(first_name, ' ', last_name) AS n FROM people")).toEqual([
      'n: people.first_name+people.last_name',
    ]);
  });

  test('derived tables, CTEs and scalar subqueries are followed', () => {
    expect(outputs('SELECT x.m FROM (SELECT email AS m FROM customers) x')).toEqual(['m: customers.email D']);
    expect(outputs('WITH t (addr) AS (SELECT email FROM customers) SELECT addr FROM t')).toEqual([
      'addr: customers.email D',
    ]);
    expect(outputs('SELECT (SELECT email FROM customers LIMIT 1) AS s FROM dual')).toEqual(['s: customers.email']);
  });

  test('UNION merges by position; only the same column on both sides stays direct', () => {
    expect(outputs('SELECT name FROM products UNION SELECT email FROM customers')).toEqual([
      'name: products.name+customers.email',
    ]);
    expect(outputs('SELECT email FROM customers UNION ALL SELECT email FROM customers')).toEqual([
      'email: customers.email D',
    ]);
  });

  test('* over a table needs the result metadata; an ambiguous column counts every candidate', () => {
    expect(outputs('SELECT o.*, c.email FROM orders o JOIN customers c ON c.id = o.customer_id')).toEqual([
      '*: orders.* D N',
      'email: customers.email D N',
    ]);
    // MariaDB's metadata says d.email here (checked on the server): only lineage knows the table.
    expect(outputs('SELECT * FROM (SELECT * FROM customers) d')).toEqual(['*: customers.* D']);
    expect(outputs('WITH t AS (SELECT email FROM customers) SELECT email FROM t')).toEqual([
      'email: customers.email D',
    ]);
    expect(outputs('SELECT email FROM customers c JOIN orders o ON o.customer_id = c.id')).toEqual([
      'email: customers.email+orders.email',
    ]);
  });

  test('statements other than queries have no outputs; text that does not parse says so', () => {
    const update = analyzeLineage('UPDATE customers SET email = NULL WHERE id = 1');
    expect(update.ok && update.statements[0]?.outputs).toBeNull();
    expect(analyzeLineage('SELECT NEXT VALUE FOR s')).toMatchObject({ ok: false, parseError: true });
  });
});
