/*
 * CREATE FUNCTION / CREATE PROCEDURE bodies, checked when the routine is created: afterwards a
 * call (`SELECT f()`, `CALL p()`, a trigger, a column default…) runs the body where the gateway
 * cannot see it, so rules treat the creation as if the body ran.
 *  - SQL bodies: a string (`AS '…'`) is parsed like any SQL; a SQL-standard body (`BEGIN ATOMIC
 *    … END`, `RETURN expr`) is already in the parse tree. Each statement is nested; `RETURN expr`
 *    is checked as `SELECT expr`.
 *  - PL/pgSQL bodies are compiled with the routine's signature (trigger functions get NEW/OLD,
 *    parameters are variables) and walked like a DO block (plpgsql.ts).
 *  - Other languages (C, internal, plpython…), bodies that do not compile and routines without a
 *    body are unresolved dynamic SQL: what they do cannot be seen.
 */
import { type AstObject, asArray, asObject, listItems, stringField, stringNodeValue, unwrap } from './ast.js';
import type { StatementScope } from './analyze.js';
import type { NestedVia } from './facts.js';
import { analyzePlpgsqlBody } from './plpgsql.js';

export function analyzeFunctionBody(statement: AstObject, scope: StatementScope): void {
  const via: NestedVia = statement['is_procedure'] === true ? 'CREATE PROCEDURE' : 'CREATE FUNCTION';
  if (statement['sql_body'] !== undefined) {
    analyzeStandardBody(statement['sql_body'], scope, via);
    return;
  }
  const language = (stringNodeValue(routineOption(statement, 'language')) ?? 'sql').toLowerCase();
  const as = listItems(routineOption(statement, 'as')) ?? [];
  // Two items are a C object file and symbol.
  const body = as.length === 1 ? stringNodeValue(as[0]) : undefined;
  if (body !== undefined && language === 'sql') return scope.nestedText(body, via);
  if (body !== undefined && language === 'plpgsql')
    return analyzePlpgsqlBody(body, routineHeader(statement), scope, via);
  scope.builder.unresolvedDynamicSql = true;
}

function routineOption(statement: AstObject, name: string): unknown {
  for (const item of asArray(statement['options'])) {
    const option = asObject(asObject(item)?.['DefElem']);
    if (stringField(option, 'defname') === name) return option?.['arg'];
  }
  return undefined;
}

/** `RETURN expr`, or `BEGIN ATOMIC stmt; … END` (a list holding one list of statements). */
function analyzeStandardBody(body: unknown, scope: StatementScope, via: NestedVia): void {
  const pending: unknown[] = [body];
  while (pending.length > 0) {
    const node = pending.shift();
    const items = listItems(node);
    if (items) {
      pending.unshift(...items);
      continue;
    }
    const wrapped = unwrap(node);
    if (wrapped?.[0] === 'ReturnStmt') {
      scope.nestedStatement({ SelectStmt: { targetList: [{ ResTarget: { val: wrapped[1]['returnval'] } }] } }, via);
    } else {
      scope.nestedStatement(node, via);
    }
  }
}

const PARAMETER_MODES: Readonly<Record<string, string>> = {
  FUNC_PARAM_IN: 'IN ',
  FUNC_PARAM_OUT: 'OUT ',
  FUNC_PARAM_INOUT: 'INOUT ',
  FUNC_PARAM_VARIADIC: 'VARIADIC ',
};

/**
 * The routine's signature as the PL/pgSQL compiler needs it: parameter modes and names (its
 * variables), and the return type (`trigger` gives NEW/OLD, `void` a bare RETURN, SETOF and
 * TABLE allow RETURN NEXT/QUERY). Defaults are left out; every name is quoted, so nothing the
 * client wrote can end the header early.
 */
export function routineHeader(statement: AstObject): string {
  const inputs: string[] = [];
  const columns: string[] = [];
  asArray(statement['parameters']).forEach((item, index) => {
    const parameter = asObject(asObject(item)?.['FunctionParameter']);
    const name = stringField(parameter, 'name');
    const type = typeText(parameter?.['argType']);
    const mode = stringField(parameter, 'mode') ?? '';
    if (mode === 'FUNC_PARAM_TABLE') {
      columns.push(`${quoted(name ?? `column${index + 1}`)} ${type}`);
    } else {
      inputs.push(`${PARAMETER_MODES[mode] ?? ''}${name === undefined ? '' : `${quoted(name)} `}${type}`);
    }
  });
  const returnType = asObject(statement['returnType']);
  const returns =
    columns.length > 0
      ? ` RETURNS TABLE (${columns.join(', ')})`
      : returnType
        ? ` RETURNS ${returnType['setof'] === true ? 'SETOF ' : ''}${typeText(returnType)}`
        : '';
  const verb = statement['is_procedure'] === true ? 'PROCEDURE' : 'FUNCTION';
  return `CREATE ${verb} postern_checked(${inputs.join(', ')})${returns} LANGUAGE plpgsql AS `;
}

/**
 * A type name, quoted part by part; `%TYPE` (which the compiler cannot resolve without a
 * catalog) becomes text. Only the kind of variable matters: scalar, array or row.
 */
function typeText(node: unknown): string {
  const type = asObject(node);
  if (type?.['pct_type'] === true) return '"pg_catalog"."text"';
  const names = asArray(type?.['names']).map((part) => quoted(stringNodeValue(part) ?? ''));
  const array = asArray(type?.['arrayBounds']).length > 0 ? '[]' : '';
  return names.length > 0 ? `${names.join('.')}${array}` : '"pg_catalog"."text"';
}

function quoted(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
