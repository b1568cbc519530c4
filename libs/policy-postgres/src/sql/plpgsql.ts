/*
 * DO blocks and PL/pgSQL routine bodies (CREATE FUNCTION/PROCEDURE): the body is compiled with PostgreSQL's PL/pgSQL compiler (via libpg-query), and
 *  - every embedded SQL statement (PLpgSQL_expr in statement mode) is a nested statement;
 *  - every expression (conditions, assignments, RAISE arguments…) is analysed as `SELECT expr`
 *    and what it touches is touched by the DO block;
 *  - dynamic SQL (EXECUTE, FOR … IN EXECUTE, OPEN … FOR EXECUTE, RETURN QUERY EXECUTE) is
 *    analysed when its text is constant ('DROP ' || 'TABLE x', format(…) over constants) and is
 *    unresolved dynamic SQL otherwise.
 * A body in another language, or one the compiler rejects, is unresolved dynamic SQL: we cannot
 * see what it does. (libpg-query's compiler has no catalog, so a few valid bodies are rejected,
 * e.g. assignments to fields of a %ROWTYPE variable.)
 */
import { type AstObject, asArray, asObject, stringField, stringNodeValue } from './ast.js';
import type { StatementScope } from './analyze.js';
import { constantText } from './constant.js';
import type { NestedVia } from './facts.js';
import { parsePlpgsqlBody, parseStatements, scanTokens } from './parser.js';

/** PL/pgSQL statements that run SQL text computed at run time, and the field holding it. */
const DYNAMIC_SQL_FIELDS: ReadonlyMap<string, string> = new Map([
  ['PLpgSQL_stmt_dynexecute', 'query'],
  ['PLpgSQL_stmt_dynfors', 'query'],
  ['PLpgSQL_stmt_open', 'dynquery'],
  ['PLpgSQL_stmt_return_query', 'dynquery'],
]);

/** PLpgSQL_expr.parseMode values (PostgreSQL's RawParseMode); 0 is omitted from the JSON. */
const PARSE_STATEMENT = 0;
const PARSE_EXPRESSION = 2;
const PARSE_ASSIGNMENTS: ReadonlySet<number> = new Set([3, 4, 5]);

export function analyzeDoBlock(doStatement: AstObject, scope: StatementScope): void {
  const language = doArgument(doStatement, 'language');
  const body = doArgument(doStatement, 'as');
  if (body === undefined || (language !== undefined && language !== 'plpgsql')) {
    scope.builder.unresolvedDynamicSql = true;
    return;
  }
  analyzePlpgsqlBody(body, 'DO ', scope, 'DO');
}

/**
 * A PL/pgSQL body compiled after `header` (`DO ` or `CREATE FUNCTION f(…) RETURNS … LANGUAGE
 * plpgsql AS `, which gives trigger functions NEW/OLD and parameters their variables).
 */
export function analyzePlpgsqlBody(body: string, header: string, scope: StatementScope, via: NestedVia): void {
  const compiled = parsePlpgsqlBody(body, header);
  if (!compiled.ok) {
    scope.builder.unresolvedDynamicSql = true;
    return;
  }
  walkPlpgsqlTree(compiled.tree, scope, via);
}

function doArgument(doStatement: AstObject, name: string): string | undefined {
  for (const item of asArray(doStatement['args'])) {
    const option = asObject(asObject(item)?.['DefElem']);
    if (stringField(option, 'defname') === name) return stringNodeValue(option?.['arg']);
  }
  return undefined;
}

function walkPlpgsqlTree(tree: unknown, scope: StatementScope, via: NestedVia): void {
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) stack.push(value[index]);
      continue;
    }
    const object = asObject(value);
    if (!object) continue;
    scope.visit();
    const children: unknown[] = [];
    for (const key in object) {
      const child = object[key];
      if (typeof child !== 'object' || child === null) continue;
      if (key === 'PLpgSQL_expr') {
        analyzeEmbeddedSql(child as AstObject, scope, via);
        continue;
      }
      const dynamicField = DYNAMIC_SQL_FIELDS.get(key);
      if (dynamicField !== undefined) analyzeDynamicSql((child as AstObject)[dynamicField], scope);
      children.push(child);
    }
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index]);
  }
}

function analyzeEmbeddedSql(expression: AstObject, scope: StatementScope, via: NestedVia): void {
  const query = stringField(expression, 'query') ?? '';
  const mode = typeof expression['parseMode'] === 'number' ? expression['parseMode'] : PARSE_STATEMENT;
  if (mode === PARSE_STATEMENT) scope.nestedText(query, via);
  else if (mode === PARSE_EXPRESSION) scope.expressionText(query, via);
  else if (PARSE_ASSIGNMENTS.has(mode)) analyzeAssignment(query, scope, via);
  // Mode 1 is a type name: nothing runs.
}

/**
 * `target := expression` (or `=`): the expression is evaluated, and so are subscripts in the
 * target (`a[f(x)] := 1`). The operator is found with PostgreSQL's own scanner.
 */
function analyzeAssignment(assignment: string, scope: StatementScope, via: NestedVia): void {
  const split = splitAssignment(assignment);
  if (!split) {
    scope.builder.unresolvedDynamicSql = true;
    return;
  }
  scope.expressionText(split.value, via);
  if (split.target.includes('[')) scope.expressionText(split.target, via);
}

function splitAssignment(assignment: string): { target: string; value: string } | null {
  const tokens = scanTokens(assignment);
  if (!tokens) return null;
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(' || token.text === '[') depth += 1;
    if (token.text === ')' || token.text === ']') depth -= 1;
    if (depth === 0 && (token.text === ':=' || token.text === '=')) {
      return { target: assignment.slice(0, token.start), value: assignment.slice(token.end) };
    }
  }
  return null;
}

/** The SQL text of EXECUTE & co.: analysed when constant, otherwise unresolved. */
function analyzeDynamicSql(expressionNode: unknown, scope: StatementScope): void {
  const query = stringField(asObject(asObject(expressionNode)?.['PLpgSQL_expr']), 'query');
  if (query === undefined) return;
  const parsed = parseStatements(`SELECT ${query}`);
  const select =
    parsed.ok && parsed.statements.length === 1 ? asObject(asObject(parsed.statements[0])?.['SelectStmt']) : undefined;
  const targets = asArray(select?.['targetList']);
  const value = targets.length === 1 ? asObject(asObject(targets[0])?.['ResTarget'])?.['val'] : undefined;
  const sql = value === undefined ? undefined : constantText(value);
  if (sql === undefined) scope.builder.unresolvedDynamicSql = true;
  else scope.nestedText(sql, 'EXECUTE');
}
