// MySQL statement rules end to end: rule bodies validated in MySQL's words, decisions on the
// facts of the pre-pass and the parser, unparsable text never let through silently.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { PolicySpecError, type ApprovalRuleInput, type StatementMatch } from '@postern/policy';
import { initSqlParser } from './parser.js';
import { compileStatementPolicy, parseStatementMatch } from './policy.js';

beforeAll(() => initSqlParser());

const guardrail = (id: string, match: StatementMatch) => ({ id, name: id, connectionIds: [], groups: [], match });
const approval = (id: string, match: StatementMatch): ApprovalRuleInput => ({
  ...guardrail(id, match),
  approverGroups: ['dba'],
  requiredApprovals: 1,
  timeoutSeconds: 60,
});

describe('MySQL rule bodies', () => {
  test('kinds, names and flags are MySQL’s', () => {
    expect(parseStatementMatch({ statementKinds: ['drop schema', 'Load Data', 'replace'] })).toEqual({
      statementKinds: ['DROP DATABASE', 'LOAD DATA', 'REPLACE'],
    });
    expect(parseStatementMatch({ relations: ['`Shop DB`.orders', 'audit.*'], flags: ['executableComment'] })).toEqual({
      relations: ['`Shop DB`.orders', 'audit.*'],
      flags: ['executableComment'],
    });
    expect(() => parseStatementMatch({ statementKinds: ['COPY'] }, 'match')).toThrow(PolicySpecError);
    expect(() => parseStatementMatch({ relations: ['"orders"'] }, 'match')).toThrow('match.relations[0]');
    expect(() => parseStatementMatch({ flags: ['copyProgram'] }, 'match')).toThrow(
      'match.flags[0]: is not a condition of the mysql dialect',
    );
  });
});

describe('MySQL decisions', () => {
  const policy = compileStatementPolicy(
    [
      guardrail('no-drop', { statementKinds: ['DROP', 'TRUNCATE'] }),
      guardrail('no-mass-write', { statementKinds: ['UPDATE', 'DELETE'], missingWhere: true }),
      guardrail('no-files', { flags: ['serverFile', 'localFile'] }),
      guardrail('no-hidden', { flags: ['executableComment'], statementKinds: ['DELETE', 'UPDATE', 'DROP', 'GRANT'] }),
      guardrail('no-sleep', { functions: ['sleep', 'benchmark', 'get_lock'] }),
      guardrail('no-udf', { userFunctions: true, statementKinds: ['SELECT', 'DO'] }),
    ],
    [
      approval('dynamic', { unresolvedDynamicSql: true }),
      approval('billing', { relations: ['billing.*'], statementKinds: ['INSERT', 'UPDATE', 'DELETE'] }),
      approval('unread', { flags: ['unparsable'], statementKinds: ['ALTER TABLE'] }),
    ],
  ).forSession('c', []);

  test('writes and drops, wherever the statement hides', () => {
    expect(policy.evaluate('DROP TABLE orders')).toMatchObject({ action: 'block', reason: 'DROP TABLE on orders' });
    expect(policy.evaluate('/*!50000 DROP TABLE orders */')).toMatchObject({
      action: 'block',
      rule: { id: 'no-drop' },
    });
    expect(policy.evaluate('SELECT 1; /*!DELETE FROM t*/')).toMatchObject({
      action: 'block',
      reason: 'DELETE without a row filter on t',
    });
    expect(policy.evaluate('UPDATE t SET a = 1 WHERE id = 3 /*! OR 1=1 */')).toMatchObject({
      action: 'block',
      rule: { id: 'no-mass-write' },
    });
    expect(policy.evaluate("PREPARE p FROM 'TRUNCATE orders'")).toEqual({
      action: 'block',
      rule: { id: 'no-drop', name: 'no-drop' },
      reason: 'TRUNCATE on orders inside PREPARE',
    });
    expect(policy.evaluate('CREATE PROCEDURE p() BEGIN DELETE FROM t; END')).toMatchObject({
      action: 'block',
      reason: 'DELETE without a row filter on t inside the body of CREATE PROCEDURE',
    });
  });

  test('SQL from a variable is opaque: held', () => {
    expect(policy.evaluate("SET @s = 'DROP TABLE t'; PREPARE p FROM @s; EXECUTE p")).toMatchObject({
      action: 'hold',
      rule: { id: 'dynamic' },
      reason: 'PREPARE with dynamic SQL that cannot be checked',
    });
    expect(policy.evaluate('EXECUTE IMMEDIATE CONCAT(@a, @b)')).toMatchObject({ action: 'hold' });
  });

  test('files, functions, executable comments', () => {
    expect(policy.evaluate("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t")).toMatchObject({
      action: 'block',
      reason: 'LOAD DATA reading a file from the client (LOCAL INFILE) on t',
    });
    expect(policy.evaluate("SELECT * FROM customers INTO OUTFILE '/tmp/c.csv'")).toMatchObject({
      action: 'block',
      rule: { id: 'no-files' },
    });
    expect(policy.evaluate("SELECT LOAD_FILE('/etc/passwd')")).toMatchObject({ action: 'block' });
    expect(policy.evaluate('SELECT SLEEP(10)')).toMatchObject({ action: 'block', reason: 'SELECT calling sleep()' });
    expect(policy.evaluate('DO BENCHMARK(1e9, MD5(1))')).toMatchObject({ action: 'block', rule: { id: 'no-sleep' } });
    expect(policy.evaluate("SELECT sys_exec('id')")).toMatchObject({
      action: 'block',
      reason: 'SELECT calling sys_exec() (not a built-in)',
    });
    expect(policy.evaluate("/*!GRANT ALL ON *.* TO 'x'@'%'*/")).toMatchObject({
      action: 'block',
      reason: 'GRANT hidden in an executable comment (/*! … */) on *.*',
    });
  });

  test('approvals on a database, and what may pass', () => {
    expect(policy.evaluate("INSERT INTO billing.invoices VALUES (1, 'x')")).toMatchObject({
      action: 'hold',
      reason: 'INSERT on billing.invoices',
    });
    expect(policy.evaluate('UPDATE orders SET paid = 1 WHERE id = 7 LIMIT 1')).toEqual({ action: 'allow' });
    expect(policy.evaluate("SELECT 'DROP TABLE t /*!', `/*!DELETE*/` FROM orders")).toEqual({ action: 'allow' });
    expect(policy.evaluate('SELECT 1 /*!99999 */')).toEqual({ action: 'allow' });
  });

  test('what the parser cannot read is held by a rule that names it, else refused', () => {
    expect(policy.evaluate('ALTER TABLE t ADD COLUMN IF NOT EXISTS b INT')).toMatchObject({
      action: 'hold',
      reason: 'ALTER TABLE that the SQL parser could not read on t',
    });
    expect(policy.evaluate('SELECT NEXT VALUE FOR s')).toMatchObject({
      action: 'invalid',
      message: expect.stringContaining('the gateway could not check this statement (SELECT)'),
    });
    expect(policy.evaluate("SELECT 'unterminated")).toEqual({
      action: 'invalid',
      message: 'unterminated string',
      position: 7,
    });
    const forwarding = compileStatementPolicy([guardrail('no-drop', { statementKinds: ['DROP'] })], [], {
      unparsable: 'forward',
    }).forSession('c', []);
    expect(forwarding.evaluate('SELECT NEXT VALUE FOR s')).toEqual({ action: 'allow' });
    // Still checked on what the tokens tell: the kind and the relation.
    expect(forwarding.evaluate('DROP TABLE t WITH SYSTEM VERSIONING')).toMatchObject({ action: 'block' });
  });

  test('user functions: CALL and unknown calls, not the names a statement defines', () => {
    const udf = compileStatementPolicy([guardrail('udf', { userFunctions: true })], []).forSession('c', []);
    expect(udf.evaluate('CALL shop.purge_all()')).toMatchObject({
      action: 'block',
      reason: 'CALL calling shop.purge_all() (not a built-in)',
    });
    expect(udf.evaluate("SELECT sys_eval('id')")).toMatchObject({ action: 'block' });
    expect(udf.evaluate('CREATE PROCEDURE p(IN x INT) BEGIN SELECT LOWER(name) FROM t WHERE id = x; END')).toEqual({
      action: 'allow',
    });
    expect(udf.evaluate('CREATE TABLE t (id INT, name VARCHAR(20), KEY by_name (name))')).toEqual({ action: 'allow' });
    expect(udf.evaluate('SELECT NOW(), ROW(1, 2) = ROW(1, 2), JSON_EXTRACT(doc, "$.a") FROM t')).toEqual({
      action: 'allow',
    });
  });

  test('inserts of literal rows are read from tokens; anything else in VALUES is parsed', () => {
    const secrets = compileStatementPolicy([guardrail('secrets', { relations: ['secrets'] })], []).forSession('c', []);
    const rows = Array.from({ length: 2000 }, (_, index) => `(${index}, 'name ${index}', NULL, -1.5)`).join(', ');
    expect(secrets.evaluate(`INSERT INTO shop.customers (id, name, note, score) VALUES ${rows}`)).toEqual({
      action: 'allow',
    });
    expect(secrets.evaluate('INSERT INTO notes VALUES (1, (SELECT token FROM secrets LIMIT 1))')).toMatchObject({
      action: 'block',
      reason: 'INSERT on secrets',
    });
  });
});
