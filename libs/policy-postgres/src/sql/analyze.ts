/*
 * The analyser: SQL text → facts per statement (kinds, relations, schemas, functions, flags,
 * nested statements). One generic, iterative walk per statement finds names wherever they occur
 * (subqueries, CTEs, defaults, FROM functions…); statement-specific handlers (statement-roots.ts)
 * add what is not a RangeVar/FuncCall. Analysis never throws and is bounded (AnalysisLimits).
 */
import { type AstObject, asArray, asObject, DML_NODE_TYPES, nameParts, stringField, unwrap } from './ast.js';
import { isBuiltinFunction } from './builtin-functions.js';
import { constantText, foldConstant } from './constant.js';
import { FactsBuilder } from './facts-builder.js';
import type { NestedVia, SqlAnalysis, StatementFacts } from './facts.js';
import { statementKindsOf } from './kinds.js';
import { parseNameText, qualifiedNameFromParts } from './names.js';
import { parseStatements } from './parser.js';
import { type RoleArgument, sqlArgumentsOf } from './sql-functions.js';
import { affectsSqlParsing, changesHowSqlIsRead } from './settings.js';
import { inspectStatementRoot } from './statement-roots.js';

export interface AnalysisLimits {
  /** Longest SQL string analysed, in characters; longer ones are refused. */
  readonly maxSqlLength: number;
  /** Parse-tree objects visited per string (nested SQL included); beyond, the string is refused. */
  readonly maxNodes: number;
  /** Levels of SQL nested in SQL (DO bodies, EXECUTE strings, CTEs…) followed; deeper is unresolved. */
  readonly maxNestingDepth: number;
}

export const DEFAULT_ANALYSIS_LIMITS: AnalysisLimits = {
  maxSqlLength: 8 * 1024 * 1024,
  maxNodes: 2_000_000,
  maxNestingDepth: 16,
};

class TooComplexError extends Error {}

/** Shared by every statement analysed for one SQL string: the node budget. */
class AnalysisRun {
  private visited = 0;

  constructor(readonly limits: AnalysisLimits) {}

  visit(): void {
    this.visited += 1;
    if (this.visited > this.limits.maxNodes) {
      throw new TooComplexError(`statement too complex to check (over ${this.limits.maxNodes} syntax nodes)`);
    }
  }
}

/** One statement being analysed: its builder, plus ways to analyse what it nests. */
export class StatementScope {
  constructor(
    readonly builder: FactsBuilder,
    private readonly run: AnalysisRun,
    private readonly depth: number,
  ) {}

  visit(): void {
    this.run.visit();
  }

  /** A statement node this statement executes (CTE DML, PREPARE body, EXPLAIN ANALYZE…). */
  nestedStatement(node: unknown, via: NestedVia): void {
    if (this.depth + 1 > this.run.limits.maxNestingDepth) {
      this.builder.unresolvedDynamicSql = true;
      return;
    }
    this.builder.addNested(analyzeStatement(node, this.run, via, this.depth + 1));
  }

  /** SQL text this statement executes (a DO body statement, an EXECUTE string, dblink…). */
  nestedText(sql: string, via: NestedVia): void {
    const parsed = this.depth + 1 > this.run.limits.maxNestingDepth ? undefined : parseStatements(sql);
    if (!parsed?.ok) {
      this.builder.unresolvedDynamicSql = true;
      return;
    }
    for (const statement of parsed.statements) this.nestedStatement(statement, via);
  }

  /** An expression this statement evaluates (PL/pgSQL conditions…): its names become ours. */
  expressionText(expression: string, via: NestedVia): void {
    const parsed = parseStatements(`SELECT ${expression}`);
    if (!parsed.ok || parsed.statements.length !== 1) {
      this.builder.unresolvedDynamicSql = true;
      if (parsed.ok) for (const statement of parsed.statements) this.nestedStatement(statement, via);
      return;
    }
    if (this.depth + 1 > this.run.limits.maxNestingDepth) {
      this.builder.unresolvedDynamicSql = true;
      return;
    }
    this.builder.absorb(analyzeStatement(parsed.statements[0], this.run, via, this.depth + 1));
  }
}

export function analyzeSqlText(sql: string, limits: AnalysisLimits = DEFAULT_ANALYSIS_LIMITS): SqlAnalysis {
  if (typeof sql !== 'string') return refused('not a SQL string', null, true);
  // The wire protocol ends strings at NUL: what follows one is read differently by someone.
  const nul = sql.indexOf('\u0000');
  if (nul >= 0) return refused('invalid message format: SQL contains a NUL character', nul, true);
  if (sql.length > limits.maxSqlLength) {
    return refused(`statement too long to check (over ${limits.maxSqlLength} characters)`, null, true);
  }
  const parsed = parseStatements(sql);
  if (!parsed.ok) return refused(parsed.message, parsed.position, parsed.uncheckable);
  try {
    const run = new AnalysisRun(limits);
    const statements = parsed.statements.map((node) => analyzeStatement(node, run, null, 0));
    return { ok: true, statements, all: flattenStatements(statements) };
  } catch (error) {
    // Fail closed: a statement we could not finish analysing is refused, never let through.
    const message =
      error instanceof TooComplexError
        ? error.message
        : `statement could not be checked (${error instanceof Error ? error.message : String(error)})`;
    return refused(message, null, true);
  }
}

function refused(message: string, position: number | null, uncheckable: boolean): SqlAnalysis {
  return { ok: false, message, position, uncheckable };
}

function flattenStatements(statements: readonly StatementFacts[]): StatementFacts[] {
  const all: StatementFacts[] = [];
  const visit = (facts: StatementFacts): void => {
    all.push(facts);
    facts.nested.forEach(visit);
  };
  statements.forEach(visit);
  return all;
}

export function analyzeStatement(
  node: unknown,
  run: AnalysisRun,
  via: NestedVia | null,
  depth: number,
): StatementFacts {
  const wrapped = unwrap(node);
  if (!wrapped) return new FactsBuilder(['UNKNOWN']).build(via);
  const [type, body] = wrapped;
  const scope = new StatementScope(new FactsBuilder(statementKindsOf(type, body)), run, depth);
  const skipped = inspectStatementRoot(type, body, scope);
  // The walk starts inside the root node, so a field handler for the root's own type runs here.
  FIELD_HANDLERS.get(type)?.(body, scope);
  walkStatementTree(body, skipped, scope);
  return scope.builder.build(via);
}

type FieldHandler = (child: AstObject, scope: StatementScope) => 'descend' | 'skip';

/** Handlers by field name; wrapped nodes appear as a field named after their type. */
const FIELD_HANDLERS: ReadonlyMap<string, FieldHandler> = new Map<string, FieldHandler>([
  ['FuncCall', onFunctionCall],
  ['funccall', onFunctionCall],
  ['ColumnRef', onColumnRef],
  ['A_Indirection', onIndirection],
  ['CommonTableExpr', onCommonTableExpr],
  ['VariableSetStmt', onVariableSet],
  ['setstmt', onVariableSet],
]);

/** Depth-first, iterative (deep expressions must not overflow the stack), in source order. */
function walkStatementTree(root: AstObject, skipped: ReadonlySet<string>, scope: StatementScope): void {
  const stack: unknown[] = [];
  pushChildren(root, stack, scope, skipped);
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) stack.push(value[index]);
      continue;
    }
    const object = asObject(value);
    if (!object) continue;
    scope.visit();
    onRangeVar(object, scope);
    pushChildren(object, stack, scope, undefined);
  }
}

function pushChildren(
  object: AstObject,
  stack: unknown[],
  scope: StatementScope,
  skipped: ReadonlySet<string> | undefined,
): void {
  const children: unknown[] = [];
  for (const key in object) {
    const child = object[key];
    if (typeof child !== 'object' || child === null || skipped?.has(key)) continue;
    const handler = FIELD_HANDLERS.get(key);
    if (handler && !Array.isArray(child) && handler(child as AstObject, scope) === 'skip') continue;
    children.push(child);
  }
  for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index]);
}

/**
 * RangeVars appear wrapped (`{"RangeVar": {…}}`) and bare (`relation: {…}`, `rel`, `view`,
 * `sequence`…): recognise the struct itself. In a raw parse tree only RangeVar has `relname`.
 */
function onRangeVar(object: AstObject, scope: StatementScope): void {
  const name = object['relname'];
  if (typeof name !== 'string') return;
  scope.builder.addRelation(stringField(object, 'schemaname') ?? null, name);
}

function onFunctionCall(call: AstObject, scope: StatementScope): 'descend' {
  const parts = nameParts(call['funcname']);
  const name = parts && qualifiedNameFromParts(parts);
  if (!name) return 'descend';
  // SUBSTRING(… FROM …), EXTRACT, … are written without a schema; the parser adds pg_catalog.
  const schema = stringField(call, 'funcformat') === 'COERCE_SQL_SYNTAX' ? null : name.schema;
  scope.builder.addFunction(schema, name.name, false, isBuiltinFunction(name.schema, name.name));
  if (schema !== null) scope.builder.addSchema(schema);
  for (const argument of sqlArgumentsOf(name.name, asArray(call['args']))) {
    onSqlArgument(argument, scope);
  }
  return 'descend';
}

function onSqlArgument(argument: RoleArgument, scope: StatementScope): void {
  const value = constantText(argument.node);
  const { builder } = scope;
  if (argument.role === 'search_path') {
    if (value !== undefined) searchPathSchemas(value).forEach((schema) => builder.addSchema(schema));
    return;
  }
  if (argument.role === 'setting') {
    if (changesHowSqlIsRead(argument.setting ?? '', value)) builder.unresolvedDynamicSql = true;
    return;
  }
  if (value === undefined) {
    builder.unresolvedDynamicSql = true;
    return;
  }
  if (argument.role === 'sql') return scope.nestedText(value, 'function argument');
  if (argument.role === 'schema') return builder.addSchema(value);
  const parts = parseNameText(value);
  const relation = parts && qualifiedNameFromParts(parts);
  if (relation) builder.addRelation(relation.schema, relation.name);
  else builder.unresolvedDynamicSql = true;
}

/** `search_path` text: a comma-separated list of (possibly quoted) schema names. */
function searchPathSchemas(value: string): string[] {
  const schemas: string[] = [];
  for (const entry of splitOutsideQuotes(value, ',')) {
    const parts = parseNameText(entry);
    if (parts?.length === 1 && parts[0] !== '$user') schemas.push(parts[0] as string);
  }
  return schemas;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      pieces.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  pieces.push(current);
  return pieces;
}

/**
 * `x.f` and `(x).f` may be the call `f(x)` (attribute notation):
 * `SELECT ('/etc/passwd'::text).pg_read_file` reads a file. Record the last field as a
 * possible call so function rules see it.
 */
function onColumnRef(columnRef: AstObject, scope: StatementScope): 'descend' {
  const fields = asArray(columnRef['fields']);
  if (fields.length >= 2) {
    const last = asObject(asObject(fields[fields.length - 1])?.['String']);
    const name = stringField(last, 'sval');
    if (name !== undefined) scope.builder.addFunction(null, name, true);
  }
  return 'descend';
}

function onIndirection(indirection: AstObject, scope: StatementScope): 'descend' {
  for (const item of asArray(indirection['indirection'])) {
    const name = stringField(asObject(asObject(item)?.['String']), 'sval');
    if (name !== undefined) scope.builder.addFunction(null, name, true);
  }
  return 'descend';
}

/** `WITH d AS (DELETE FROM t RETURNING *) SELECT …`: the DELETE is a statement of its own. */
function onCommonTableExpr(cte: AstObject, scope: StatementScope): 'descend' | 'skip' {
  const query = unwrap(cte['ctequery']);
  if (!query || !DML_NODE_TYPES.has(query[0])) return 'descend';
  scope.nestedStatement(cte['ctequery'], 'WITH');
  return 'skip';
}

/**
 * `SET search_path TO billing` (also inside ALTER ROLE … SET) touches schema billing;
 * `SET standard_conforming_strings = off` makes later SQL unreadable for the gateway.
 */
function onVariableSet(set: AstObject, scope: StatementScope): 'descend' {
  const name = stringField(set, 'name') ?? '';
  const args = asArray(set['args']);
  if (name === 'search_path') {
    for (const arg of args) {
      const value = stringField(asObject(asObject(asObject(arg)?.['A_Const'])?.['sval']), 'sval');
      if (value !== undefined && value !== '$user') scope.builder.addSchema(value);
    }
  }
  // RESET and SET … TO DEFAULT go back to the server's defaults, which the agent checks at startup.
  if (stringField(set, 'kind') === 'VAR_SET_VALUE' && affectsSqlParsing(name)) {
    const value = args.length === 1 ? foldConstant(args[0]) : undefined;
    const text = value?.type === 'text' ? value.value : value?.type === 'bool' ? String(value.value) : undefined;
    if (changesHowSqlIsRead(name, text)) scope.builder.unresolvedDynamicSql = true;
  }
  return 'descend';
}
