// Issue 14, "statement rules see every write": every statement that writes customers is held by
// an approval rule naming the kind of write it performs on customers, however it is spelled.
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { ApprovalRuleInput, StatementDecision, StatementMatch } from './index.js';
import { initSqlParser } from './parser.js';
import { compileStatementPolicy } from './policy.js';

beforeAll(() => initSqlParser());

function decide(match: StatementMatch, sql: string): StatementDecision {
  const rule: ApprovalRuleInput = {
    id: 'r',
    name: 'customers writes',
    connectionIds: [],
    groups: [],
    match,
    approverGroups: ['dba'],
    requiredApprovals: 1,
    timeoutSeconds: 600,
  };
  return compileStatementPolicy([], [rule], { cacheSize: 0 }).forSession('conn', ['dev']).evaluate(sql);
}

const heldBy = (kinds: string[], sql: string) => {
  const decision = decide({ statementKinds: kinds, relations: ['customers'] }, sql);
  return decision.action === 'hold' ? decision.reason : decision.action;
};

const UPSERT =
  "INSERT INTO customers (id, email) VALUES (1, 'a@b.c') ON CONFLICT (id) DO UPDATE SET email = excluded.email";

describe('every write to customers is held by a rule on its kind', () => {
  test.each([
    [['UPDATE'], UPSERT, 'INSERT on customers'],
    [
      ['UPDATE'],
      'MERGE INTO customers c USING s ON c.id = s.id WHEN MATCHED THEN UPDATE SET n = s.n',
      'MERGE on customers',
    ],
    [['DELETE'], 'MERGE INTO customers c USING s ON c.id = s.id WHEN MATCHED THEN DELETE', 'MERGE on customers'],
    [
      ['INSERT'],
      'MERGE INTO customers c USING s ON c.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)',
      'MERGE on customers',
    ],
    [['INSERT'], 'COPY customers FROM STDIN', 'COPY FROM on customers'],
    [['COPY FROM'], 'COPY customers (id, email) FROM STDIN WITH (FORMAT csv)', 'COPY FROM on customers'],
    [['CREATE TABLE'], 'SELECT * INTO customers FROM staging', 'SELECT INTO on customers'],
    [['CREATE TABLE'], 'CREATE TABLE customers AS SELECT * FROM staging', 'CREATE TABLE AS on customers'],
    [
      ['UPDATE'],
      'WITH x AS (UPDATE customers SET n = 0 WHERE id = 1 RETURNING id) SELECT * FROM x',
      'UPDATE on customers inside a WITH clause',
    ],
    [['INSERT'], 'INSERT INTO customers SELECT * FROM staging', 'INSERT on customers'],
    [['UPDATE'], 'UPDATE customers c SET n = s.n FROM staging s WHERE c.id = s.id', 'UPDATE on customers'],
    [['DELETE'], 'DELETE FROM customers c USING banned b WHERE c.id = b.id', 'DELETE on customers'],
    [
      ['UPDATE'],
      'EXPLAIN ANALYZE UPDATE customers SET n = 0 WHERE id = 1',
      'UPDATE on customers inside EXPLAIN ANALYZE',
    ],
    [['DELETE'], 'PREPARE p (int) AS DELETE FROM customers WHERE id = $1', 'DELETE on customers inside PREPARE'],
    [
      ['UPDATE'],
      'DO $$ BEGIN UPDATE customers SET n = 0 WHERE id = 1; END $$',
      'UPDATE on customers inside a DO block',
    ],
    [
      ['UPDATE'],
      'CREATE FUNCTION pg_temp.touch() RETURNS void LANGUAGE sql AS $$ UPDATE customers SET n = 0 $$',
      'UPDATE on customers inside the body of CREATE FUNCTION',
    ],
    [
      ['DELETE'],
      'CREATE PROCEDURE purge() LANGUAGE plpgsql AS $$ BEGIN DELETE FROM customers WHERE id < 0; END $$',
      'DELETE on customers inside the body of CREATE PROCEDURE',
    ],
    [
      ['UPDATE'],
      'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE customers SET n = n + 1 WHERE id = NEW.customer_id; RETURN NEW; END $$; CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch()',
      'UPDATE on customers inside the body of CREATE FUNCTION',
    ],
    [
      ['UPDATE'],
      'CREATE RULE bump AS ON INSERT TO orders DO ALSO UPDATE customers SET n = n + 1 WHERE id = NEW.customer_id',
      'UPDATE on customers inside the actions of CREATE RULE',
    ],
    [['UPDATE'], `WITH x AS (${UPSERT} RETURNING id) SELECT * FROM x`, 'INSERT on customers inside a WITH clause'],
  ])('%j: %s', (kinds, sql, reason) => {
    expect(heldBy(kinds, sql)).toBe(reason);
  });

  test('COPY TO only reads: not an INSERT', () => {
    expect(heldBy(['INSERT'], 'COPY customers TO STDOUT')).toBe('allow');
  });

  test('ON CONFLICT DO NOTHING only inserts: not an UPDATE', () => {
    expect(heldBy(['UPDATE'], 'INSERT INTO customers (id) VALUES (1) ON CONFLICT DO NOTHING')).toBe('allow');
    expect(heldBy(['INSERT'], 'INSERT INTO customers (id) VALUES (1) ON CONFLICT DO NOTHING')).toBe(
      'INSERT on customers',
    );
  });

  test('a routine body that only reads is not a write', () => {
    const sql = 'CREATE FUNCTION n() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM customers $$';
    expect(heldBy(['DELETE'], sql)).toBe('allow');
    expect(heldBy(['SELECT'], sql)).toBe('SELECT on customers inside the body of CREATE FUNCTION');
  });

  test('an upsert of rows from a query, with no row filter, is missingWhere', () => {
    const reason = (sql: string) => {
      const decision = decide({ missingWhere: true }, sql);
      return decision.action === 'hold' ? decision.reason : decision.action;
    };
    expect(reason('INSERT INTO customers SELECT * FROM customers_import ON CONFLICT (id) DO UPDATE SET n = 0')).toBe(
      'INSERT without a row filter on customers',
    );
    expect(reason(UPSERT)).toBe('allow');
    expect(reason("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM customers'")).toBe(
      'DELETE without a row filter on customers inside the body of CREATE FUNCTION',
    );
  });
});

describe('userFunctions', () => {
  const reason = (sql: string, match: StatementMatch = { userFunctions: true }) => {
    const decision = decide(match, sql);
    return decision.action === 'hold' ? decision.reason : decision.action;
  };

  test('holds a call to a function that is not a built-in, naming it', () => {
    expect(reason('SELECT pg_temp.touch_customers()')).toBe(
      'SELECT calling pg_temp.touch_customers() (not a built-in)',
    );
    expect(reason('CALL archive(2020)')).toBe('CALL calling archive() (not a built-in)');
    expect(reason("SELECT public.lower('A')")).toBe('SELECT calling public.lower() (not a built-in)');
  });

  test('built-ins, written plainly or with pg_catalog, are not user functions', () => {
    expect(reason("SELECT lower(email), count(*), now(), pg_catalog.upper('x') FROM customers GROUP BY 1")).toBe(
      'allow',
    );
    expect(reason('SELECT substring(email FROM 2), extract(year FROM now()) FROM customers')).toBe('allow');
    expect(reason('SELECT c.name FROM customers c')).toBe('allow');
  });

  test('combines with other conditions on the same statement', () => {
    const match = { userFunctions: true, relations: ['customers'] };
    expect(reason('SELECT f(id) FROM customers', match)).toBe('SELECT calling f() (not a built-in) on customers');
    expect(reason('SELECT f(id) FROM orders', match)).toBe('allow');
  });
});
