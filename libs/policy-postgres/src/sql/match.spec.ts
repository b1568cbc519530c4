import { describe, expect, test } from '@jest/globals';
import { PolicySpecError } from '@postern/policy';
import { compilePattern, nameMatches, NamePatternSet } from '@postern/policy';
import { POSTGRES_NAMES } from './names.js';
import { parseStatementMatch } from './policy.js';

function specError(spec: unknown, path?: string): PolicySpecError {
  try {
    parseStatementMatch(spec, path);
  } catch (error) {
    if (error instanceof PolicySpecError) return error;
    throw error;
  }
  throw new Error('expected a PolicySpecError');
}

describe('parseStatementMatch', () => {
  test('accepts every condition and canonicalises kinds', () => {
    expect(
      parseStatementMatch({
        statementKinds: ['drop table', 'Alter User'],
        relations: ['public.orders', 'audit.*', '"Mixed Case"'],
        schemas: ['pg_catalog'],
        functions: ['dblink*', 'pg_catalog.pg_read_file'],
        missingWhere: true,
        copyProgram: true,
        unresolvedDynamicSql: true,
        userFunctions: true,
      }),
    ).toEqual({
      statementKinds: ['DROP TABLE', 'ALTER ROLE'],
      relations: ['public.orders', 'audit.*', '"Mixed Case"'],
      schemas: ['pg_catalog'],
      functions: ['dblink*', 'pg_catalog.pg_read_file'],
      missingWhere: true,
      copyProgram: true,
      unresolvedDynamicSql: true,
      userFunctions: true,
    });
  });

  test.each([
    [{ statementKinds: ['DROP', 'DROPP'] }, 'statementKinds[1]', /not a statement kind/],
    [{ relations: ['a.b.c'] }, 'relations[0]', /"name" or "schema.name"/],
    [{ relations: ['ok', 'bad name'] }, 'relations[1]', /not an identifier pattern/],
    [{ relations: ['1abc'] }, 'relations[0]', /invalid part/],
    [{ schemas: ['a.b'] }, 'schemas[0]', /single name/],
    [{ functions: [''] }, 'functions[0]', /not an identifier pattern/],
    [{ functions: ['"unterminated'] }, 'functions[0]', /not an identifier pattern/],
    [{ relations: [] }, 'relations', /must not be empty/],
    [{ missingWhere: 'yes' }, 'missingWhere', /boolean/],
    [{ statementKinds: ['DROP'], table: 'x' }, 'table', /unknown field "table"/],
    [{}, '', /sets no condition/],
    [{ missingWhere: false }, '', /sets no condition/],
    [{ userFunctions: false }, '', /sets no condition/],
    [{ userFunctions: 1 }, 'userFunctions', /boolean/],
    [null, '', /object/],
    ['DROP', '', /object/],
  ])('%j is rejected at %j', (spec, path, message) => {
    const error = specError(spec);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });

  test('the path is prefixed', () => {
    expect(specError({ relations: ['a b'] }, 'match').path).toBe('match.relations[0]');
    expect(specError({ oops: 1 }, 'rules[3].match').path).toBe('rules[3].match.oops');
  });
});

describe('name patterns', () => {
  const matches = (pattern: string, schema: string | null, name: string) =>
    nameMatches(compilePattern(POSTGRES_NAMES, pattern), { schema, name });

  test('unquoted parts fold to lower case, quoted ones are exact', () => {
    expect(matches('Orders', null, 'orders')).toBe(true);
    expect(matches('orders', null, 'Orders')).toBe(false);
    expect(matches('"Orders"', null, 'Orders')).toBe(true);
    expect(matches('"Orders"', null, 'orders')).toBe(false);
    expect(matches('"a.b"', null, 'a.b')).toBe(true);
  });

  test('an unqualified pattern matches any schema', () => {
    expect(matches('orders', 'billing', 'orders')).toBe(true);
  });

  test('a qualified pattern matches its schema and unqualified names (search_path)', () => {
    expect(matches('billing.orders', 'billing', 'orders')).toBe(true);
    expect(matches('billing.orders', null, 'orders')).toBe(true);
    expect(matches('billing.orders', 'public', 'orders')).toBe(false);
  });

  test('wildcards', () => {
    expect(matches('dblink*', null, 'dblink_exec')).toBe(true);
    expect(matches('dblink*', null, 'mydblink')).toBe(false);
    expect(matches('*', 'x', 'anything')).toBe(true);
    expect(matches('audit.*', 'audit', 'log')).toBe(true);
    expect(matches('audit.*', null, 'log')).toBe(false);
    expect(matches('audit.log_*', null, 'log_2024')).toBe(true);
    expect(matches('a.b*', 'a', 'b.c')).toBe(true);
  });
});

describe('NamePatternSet', () => {
  test('wildcards do not match possible calls in attribute notation (t.col is mostly a column)', () => {
    const set = new NamePatternSet(POSTGRES_NAMES, ['dblink*', 'pg_read_file']);
    const column = { schema: null, name: 'dblink_status', attributeNotation: true };
    const call = { schema: null, name: 'dblink_status', attributeNotation: false };
    expect(set.firstName([column])).toBeNull();
    expect(set.firstName([call])).toBe(call);
    const attribute = { schema: null, name: 'pg_read_file', attributeNotation: true };
    expect(set.firstName([column, attribute])).toBe(attribute);
  });
});
