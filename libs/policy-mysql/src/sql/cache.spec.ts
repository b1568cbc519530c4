// The parse cache: repeated texts cost a lookup, SELECTs differing only in literals share one
// analysis (with their own code), and nothing whose reading depends on more than the literals
// is ever shared.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { AnalysisCache } from './cache.js';
import { initSqlParser } from './parser.js';

beforeAll(() => initSqlParser());

describe('the analysis cache', () => {
  test('a repeated text is the same analysis', () => {
    const cache = new AnalysisCache();
    const first = cache.analyze('SELECT * FROM orders WHERE id = 1');
    expect(cache.analyze('SELECT * FROM orders WHERE id = 1')).toBe(first);
  });

  test('SELECTs differing only in literals share facts but keep their own code', () => {
    const cache = new AnalysisCache();
    const first = cache.analyze("SELECT * FROM orders WHERE id = 1 AND note = 'a'");
    const second = cache.analyze("SELECT * FROM orders WHERE id = 22 AND note = 'bb'");
    if (!first.ok || !second.ok) throw new Error('not analysed');
    expect(second.statements[0]?.relations).toBe(first.statements[0]?.relations);
    expect(second.statements[0]?.code).toBe("SELECT * FROM orders WHERE id = 22 AND note = 'bb'");
  });

  test('an executable comment or an escaped quote never takes a plain text’s analysis', () => {
    const cache = new AnalysisCache();
    cache.analyze('SELECT * FROM orders WHERE id = 1 OR 1 = 1');
    const hidden = cache.analyze('SELECT * FROM orders WHERE id = 1 /*! OR 1 = 1 */');
    expect(hidden.ok && hidden.statements[0]?.flags).toEqual(['executableComment']);
    cache.analyze("SELECT * FROM orders WHERE note = 'x'");
    const escaped = cache.analyze("SELECT * FROM orders WHERE note = 'a\\' ; DROP TABLE orders; -- '");
    expect(escaped.ok && escaped.all.map((statement) => statement.kinds[0])).toContain('DROP TABLE');
  });

  test('writes whose row filter names a column share; a constant WHERE is judged for each text', () => {
    const cache = new AnalysisCache();
    const first = cache.analyze('UPDATE orders SET paid = 1 WHERE id = 1');
    const second = cache.analyze('UPDATE orders SET paid = 0 WHERE id = 2');
    if (!first.ok || !second.ok) throw new Error('not analysed');
    expect(second.statements[0]?.relations).toBe(first.statements[0]?.relations);
    expect(second.statements[0]?.code).toBe('UPDATE orders SET paid = 0 WHERE id = 2');
  });

  test('a constant WHERE depends on the literals', () => {
    const cache = new AnalysisCache();
    const filtered = cache.analyze('DELETE FROM orders WHERE 1 = 2');
    const everything = cache.analyze('DELETE FROM orders WHERE 1 = 1');
    const mixed = cache.analyze('DELETE FROM orders WHERE id = 3 OR 4 = 4');
    expect(mixed.ok && mixed.statements[0]?.missingWhere).toBe(true);
    expect(filtered.ok && filtered.statements[0]?.missingWhere).toBe(false);
    expect(everything.ok && everything.statements[0]?.missingWhere).toBe(true);
  });

  test('entries are bounded', () => {
    const cache = new AnalysisCache({ maxEntries: 2 });
    for (const id of [1, 2, 3, 4]) cache.analyze(`DELETE FROM orders WHERE id = ${id}`);
    expect(cache.size).toBe(2);
  });
});
