import { expect, test } from '@jest/globals';
import { viewQuery } from './view-guard.js';

test('names are plain literals when they are printable ASCII without quotes or backslashes', () => {
  expect(viewQuery([{ schema: null, name: 'customers_view' }], 'shop')).toBe(
    "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE (TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'customers_view')",
  );
});

test('a quote, a backslash or a non-ASCII name goes as a hex literal of its UTF-8, never spliced in', () => {
  const sql = viewQuery(
    [
      { schema: 'other', name: "o'brien" },
      { schema: null, name: 'a\\b' },
      { schema: null, name: 'kunden_ü' },
    ],
    "we'ird",
  );
  expect(sql).not.toContain("o'brien");
  expect(sql).toContain(`CONVERT(X'${Buffer.from("o'brien").toString('hex')}' USING utf8mb4)`);
  expect(sql).toContain(`CONVERT(X'${Buffer.from('a\\b').toString('hex')}' USING utf8mb4)`);
  expect(sql).toContain(`CONVERT(X'${Buffer.from('kunden_ü').toString('hex')}' USING utf8mb4)`);
  expect(sql).toContain(`TABLE_SCHEMA = CONVERT(X'${Buffer.from("we'ird").toString('hex')}' USING utf8mb4)`);
  expect(sql.match(/ OR /g)).toHaveLength(2);
});
