/*
 * Column lineage on libpg-query's raw parse tree: for each result column, the table columns its
 * value derives from; for everything else a statement does with values (writes, functions with
 * side effects, views and functions created for later), the columns that flow there.
 *
 * There is no catalog here, so the analysis over-approximates where the SQL alone cannot tell:
 * an unqualified column may belong to any relation in scope (each is a candidate), a table's
 * whole row stands for all its columns, a column renamed by an alias list is the whole row.
 * Binding to rules (masking/lineage-plan.ts) then masks every candidate that a rule could name —
 * wrong only towards masking more. PostgreSQL itself names plain column references in
 * RowDescription (table OID and column number), so the agent only needs lineage for computed
 * columns, and uses the rule's own style for the plain ones.
 */
import { type AstObject, asArray, asObject, nameParts, stringField, stringNodeValue, unwrap } from '../sql/ast.js';
import { isBuiltinFunction } from '../sql/builtin-functions.js';
import { routineHeader } from '../sql/function-body.js';
import { parsePlpgsqlBody, parseStatements } from '../sql/parser.js';
import type { ColumnSource, Flow, LineageAnalysis, OutputItem, StatementLineage, ValueLineage } from './facts.js';
import {
  NON_VALUE_FUNCTIONS,
  OPAQUE_READING_FUNCTIONS,
  SINK_FUNCTIONS,
  SQL_TEXT_FUNCTIONS,
  STATISTICS_RELATIONS,
  TABLE_READING_FUNCTIONS,
  TEXT_CAST_TYPES,
  VALUE_PRESERVING_FUNCTIONS,
  VALUE_PRESERVING_OPERATORS,
} from './functions.js';

const EMPTY: ValueLineage = Object.freeze({ sources: Object.freeze([]), direct: false, transformed: false });
/** Parse-tree nodes visited per string; beyond, the string's lineage is unknown (opaque). */
const MAX_NODES = 500_000;
/** SQL nested in SQL (bodies, SQL strings) followed this deep. */
const MAX_DEPTH = 8;

class TooComplex extends Error {}

// ---------------------------------------------------------------- scopes

interface RelationEntry {
  readonly kind: 'relation';
  readonly alias: string;
  readonly schema: string | null;
  readonly name: string;
  readonly aliased: boolean;
  /** `FROM t AS x(a, b)`: column names no longer say which column of t they are. */
  readonly renamed: boolean;
}

interface DerivedEntry {
  readonly kind: 'derived';
  readonly alias: string | null;
  readonly items: readonly OutputItem[];
  readonly named: ReadonlyMap<string, ValueLineage>;
  /** Tables expanded by `*` inside: a column of theirs may be any name. */
  readonly tables: readonly ColumnSource[];
  /** Columns whose names are unknown (records, renamed stars). */
  readonly rest: ValueLineage;
  /** Entries of an aliased JOIN are already in scope on their own; the join's alias is not expanded again by `*`. */
  readonly starHidden: boolean;
}

type Entry = RelationEntry | DerivedEntry;

interface QueryResult {
  readonly items: readonly OutputItem[];
  readonly names: readonly string[];
}

class Scope {
  readonly entries: Entry[] = [];
  private readonly ctes = new Map<string, DerivedEntry>();

  constructor(readonly parent: Scope | null) {}

  cte(name: string): DerivedEntry | undefined {
    return this.ctes.get(name) ?? this.parent?.cte(name);
  }

  defineCte(name: string, entry: DerivedEntry): void {
    this.ctes.set(name, entry);
  }

  /** Innermost entry named `alias`. */
  find(alias: string): Entry | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.alias === alias) return entry;
    }
    return this.parent?.find(alias);
  }

  findQualified(schema: string, name: string): RelationEntry | undefined {
    for (const entry of this.entries) {
      if (entry.kind === 'relation' && !entry.aliased && entry.schema === schema && entry.name === name) return entry;
    }
    return this.parent?.findQualified(schema, name);
  }

  *visible(): Generator<Entry> {
    yield* this.entries;
    if (this.parent !== null) yield* this.parent.visible();
  }
}

// ---------------------------------------------------------------- lineage values

function sourceKey(source: ColumnSource): string {
  return `${source.schema ?? ''}\u0000${source.relation}\u0000${source.column ?? '\u0001'}`;
}

function union(values: readonly ValueLineage[], transformed = false): ValueLineage {
  const nonEmpty = values.filter((v) => v.sources.length > 0 || v.transformed);
  if (nonEmpty.length === 0) return transformed ? { sources: [], direct: false, transformed } : EMPTY;
  if (nonEmpty.length === 1 && !transformed) {
    const only = nonEmpty[0]!;
    return only.direct ? { ...only, direct: false } : only;
  }
  const seen = new Map<string, ColumnSource>();
  let anyTransformed = transformed;
  for (const value of nonEmpty) {
    anyTransformed ||= value.transformed;
    for (const source of value.sources) seen.set(sourceKey(source), source);
  }
  return { sources: [...seen.values()], direct: false, transformed: anyTransformed };
}

function whole(entry: Entry): ValueLineage {
  if (entry.kind === 'relation') {
    return {
      sources: [{ schema: entry.schema, relation: entry.name, column: null }],
      direct: false,
      transformed: false,
    };
  }
  return union([...entry.items.map((item) => item.lineage), entry.rest]);
}

function itemsLineage(items: readonly OutputItem[]): ValueLineage {
  return union(items.map((item) => item.lineage));
}

// ---------------------------------------------------------------- the walk

/** Everything one top-level statement does with values, collected over its nested parts. */
class Collector {
  readonly flows: Flow[] = [];
  private readonly readKeys = new Map<string, ColumnSource>();
  readonly opaque: string[] = [];
  /** > 0 while evaluating inside an expression or a filter (where values can surface in errors). */
  exprDepth = 0;

  constructor(private readonly budget: { nodes: number }) {}

  visit(): void {
    if (++this.budget.nodes > MAX_NODES) throw new TooComplex('statement too complex to follow');
  }

  read(sources: readonly ColumnSource[]): void {
    for (const source of sources) this.readKeys.set(sourceKey(source), source);
  }

  get reads(): ColumnSource[] {
    return [...this.readKeys.values()];
  }

  flow(into: string, value: ValueLineage, computedOnly = false, deferred = computedOnly): void {
    if (value.sources.length > 0) {
      this.flows.push({ into, sources: value.sources, computedOnly, transformed: value.transformed, deferred });
    }
  }

  addOpaque(reason: string): void {
    if (!this.opaque.includes(reason)) this.opaque.push(reason);
  }
}

class Walker {
  constructor(
    private readonly c: Collector,
    private readonly depth: number,
  ) {}

  // ------------------------------------------------------------ statements

  /** A top-level (or nested) statement: its result items, or null when it returns none. */
  statement(node: unknown, scope: Scope | null): readonly OutputItem[] | null {
    const wrapped = unwrap(node);
    if (!wrapped) return null;
    const [type, body] = wrapped;
    this.c.visit();
    switch (type) {
      case 'SelectStmt': {
        const result = this.query(body, scope);
        if (asObject(body['intoClause'])) this.c.flow('SELECT INTO', itemsLineage(result.items));
        return asObject(body['intoClause']) ? null : result.items;
      }
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        return this.dml(type, body, scope);
      case 'CreateTableAsStmt': {
        const into = stringField(body, 'objtype') === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS';
        this.nestedFlow(body['query'], scope, into, false, into === 'CREATE MATERIALIZED VIEW');
        return null;
      }
      case 'ViewStmt':
        this.nestedFlow(body['query'], scope, 'CREATE VIEW', false, true);
        return null;
      case 'PrepareStmt':
        this.nestedFlow(body['query'], scope, 'PREPARE', true);
        return null;
      case 'DeclareCursorStmt':
        this.nestedFlow(body['query'], scope, 'DECLARE CURSOR', true);
        return null;
      case 'ExplainStmt':
        // EXPLAIN shows plans, not values; what an EXPLAIN ANALYZE runs still writes where it writes.
        this.statement(body['query'], scope);
        return null;
      case 'CopyStmt':
        return this.copy(body, scope);
      case 'DoStmt':
        this.doBlock(body);
        return null;
      case 'CreateFunctionStmt':
        this.functionBody(body);
        return null;
      case 'RuleStmt':
        this.rule(body);
        return null;
      case 'ExecuteStmt':
      case 'FetchStmt':
        // The result is described by PostgreSQL from the prepared statement or cursor, analysed when declared.
        return null;
      default:
        this.utility(type, body);
        return null;
    }
  }

  /** A statement whose values all go into `into` (a new table, a view, a prepared statement). */
  private nestedFlow(
    node: unknown,
    scope: Scope | null,
    into: string,
    computedOnly: boolean,
    deferred = computedOnly,
  ): void {
    const items = this.statement(node, scope);
    if (items === null) return;
    for (const item of items) {
      if (computedOnly && (item.lineage.direct || (item.kind === 'columns' && item.table))) continue;
      this.c.flow(into, item.lineage, computedOnly, deferred);
    }
  }

  private dml(type: string, body: AstObject, outer: Scope | null): readonly OutputItem[] | null {
    const scope = new Scope(outer);
    this.withClause(body['withClause'], scope);
    const target = asObject(body['relation']);
    const targetEntry = target ? this.relationEntry(target) : null;
    if (targetEntry) {
      scope.entries.push(targetEntry);
      // Constraint and key violations echo the row's values in DETAIL.
      this.c.read(whole(targetEntry).sources);
    }
    const into = `${type.replace('Stmt', '').toUpperCase()} ${targetEntry?.name ?? ''}`.trim();
    switch (type) {
      case 'InsertStmt': {
        const source = unwrap(body['selectStmt']);
        let inserted: ValueLineage = EMPTY;
        if (source) {
          const items = this.statement(body['selectStmt'], outer) ?? [];
          inserted = itemsLineage(items);
          this.c.flow(`INSERT INTO ${targetEntry?.name ?? ''}`.trim(), inserted);
        }
        const conflict = asObject(body['onConflictClause']);
        if (conflict) {
          scope.entries.push(derivedFromLineage('excluded', inserted));
          this.filter(conflict['whereClause'], scope);
          this.filter(asObject(conflict['infer'])?.['whereClause'], scope);
          for (const target of asArray(conflict['targetList'])) {
            this.c.flow(
              `${into} … ON CONFLICT DO UPDATE`,
              this.expression(asObject(asObject(target)?.['ResTarget'])?.['val'], scope),
            );
          }
        }
        break;
      }
      case 'UpdateStmt':
        for (const from of asArray(body['fromClause'])) this.addFrom(from, scope);
        for (const target of asArray(body['targetList'])) {
          this.c.flow(into, this.expression(asObject(asObject(target)?.['ResTarget'])?.['val'], scope));
        }
        this.filter(body['whereClause'], scope);
        break;
      case 'DeleteStmt':
        for (const from of asArray(body['usingClause'])) this.addFrom(from, scope);
        this.filter(body['whereClause'], scope);
        break;
      case 'MergeStmt':
        this.addFrom(body['sourceRelation'], scope);
        this.filter(body['joinCondition'], scope);
        for (const clause of asArray(body['mergeWhenClauses'])) {
          const when = asObject(asObject(clause)?.['MergeWhenClause']);
          this.filter(when?.['condition'], scope);
          for (const target of asArray(when?.['targetList'])) {
            this.c.flow(into, this.expression(asObject(asObject(target)?.['ResTarget'])?.['val'], scope));
          }
          for (const value of asArray(when?.['values'])) this.c.flow(into, this.expression(value, scope));
        }
        break;
    }
    const returning = asArray(asObject(body['returningClause'])?.['exprs'] ?? body['returningList']);
    return returning.length === 0 ? null : this.targets(returning, scope).items;
  }

  private copy(body: AstObject, scope: Scope | null): readonly OutputItem[] | null {
    const toClient = body['is_from'] !== true && body['is_program'] !== true && body['filename'] === undefined;
    if (body['is_from'] === true) return null;
    if (body['query'] !== undefined) {
      const items = this.statement(body['query'], scope);
      if (toClient) return items;
      this.c.flow('COPY TO a server file or program', itemsLineage(items ?? []));
      return null;
    }
    const relation = asObject(body['relation']);
    if (relation && !toClient) {
      const entry = this.relationEntry(relation);
      this.c.flow('COPY TO a server file or program', whole(entry));
    }
    // COPY table TO STDOUT: the agent looks the table's columns up itself.
    return null;
  }

  /** Utility statements: names in their expressions (generated columns, defaults…) belong to their relation. */
  private utility(type: string, body: AstObject): void {
    const scope = new Scope(null);
    const relation = asObject(body['relation']);
    if (relation && type !== 'CreateStmt') scope.entries.push(this.relationEntry(relation));
    const value = this.generic(body, scope);
    this.c.flow(statementLabel(type), value);
  }

  // ------------------------------------------------------------ queries

  private query(body: AstObject, outer: Scope | null): QueryResult {
    this.c.visit();
    const withScope = new Scope(outer);
    this.withClause(body['withClause'], withScope);
    const op = stringField(body, 'op');
    let result: QueryResult;
    if (op !== undefined && op !== 'SETOP_NONE') {
      const left = this.query(asObject(body['larg']) ?? {}, withScope);
      const right = this.query(asObject(body['rarg']) ?? {}, withScope);
      result = setOperation(left, right);
    } else if (asArray(body['valuesLists']).length > 0) {
      result = this.values(asArray(body['valuesLists']), withScope);
    } else {
      const scope = new Scope(withScope);
      for (const from of asArray(body['fromClause'])) this.addFrom(from, scope);
      result = this.targets(asArray(body['targetList']), scope);
      for (const field of ['whereClause', 'havingClause', 'groupClause', 'distinctClause', 'windowClause']) {
        this.filter(body[field], scope);
      }
      this.filter(body['sortClause'], scope);
      this.filter(body['limitCount'], scope);
      this.filter(body['limitOffset'], scope);
      return result;
    }
    this.filter(body['sortClause'], withScope);
    this.filter(body['limitCount'], withScope);
    this.filter(body['limitOffset'], withScope);
    return result;
  }

  private values(rows: readonly unknown[], scope: Scope): QueryResult {
    const columns: ValueLineage[][] = [];
    for (const row of rows) {
      asArray(asObject(asObject(row)?.['List'])?.['items']).forEach((cell, i) => {
        (columns[i] ??= []).push(this.expression(cell, scope));
      });
    }
    return {
      items: columns.map((values) => ({ kind: 'value', lineage: union(values) }) as const),
      names: columns.map((_, i) => `column${i + 1}`),
    };
  }

  private withClause(node: unknown, scope: Scope): void {
    const clause = asObject(node);
    if (!clause) return;
    const recursive = clause['recursive'] === true;
    for (const item of asArray(clause['ctes'])) {
      const cte = asObject(asObject(item)?.['CommonTableExpr']);
      const name = stringField(cte, 'ctename');
      if (!cte || name === undefined) continue;
      const colnames = namesOf(cte['aliascolnames']);
      const analyse = (): QueryResult => {
        const wrapped = unwrap(cte['ctequery']);
        if (wrapped?.[0] === 'SelectStmt') return this.query(wrapped[1], scope);
        // A writable CTE: its RETURNING is what the query sees.
        const items = this.statement(cte['ctequery'], scope) ?? [];
        return { items, names: items.map(() => '?column?') };
      };
      if (recursive) {
        // The recursive term reads the CTE itself: iterate until what it derives from stops growing.
        scope.defineCte(name, derivedEntry(name, { items: [], names: [] }, colnames));
        let previous = -1;
        for (let round = 0; round < 4; round++) {
          const entry = derivedEntry(name, analyse(), colnames);
          scope.defineCte(name, entry);
          const size = whole(entry).sources.length;
          if (size === previous) break;
          previous = size;
        }
      } else {
        scope.defineCte(name, derivedEntry(name, analyse(), colnames));
      }
    }
  }

  private targets(list: readonly unknown[], scope: Scope): QueryResult {
    const items: OutputItem[] = [];
    const names: string[] = [];
    for (const entry of list) {
      const target = asObject(asObject(entry)?.['ResTarget']);
      const value = target?.['val'];
      const wrapped = unwrap(value);
      const alias = stringField(target, 'name');
      if (wrapped?.[0] === 'ColumnRef' && isStar(wrapped[1])) {
        for (const item of this.expandStar(wrapped[1], scope)) {
          items.push(item.item);
          names.push(item.name);
        }
        continue;
      }
      if (
        wrapped?.[0] === 'A_Indirection' &&
        asArray(wrapped[1]['indirection']).some((i) => unwrap(i)?.[0] === 'A_Star')
      ) {
        items.push({ kind: 'columns', lineage: this.expression(value, scope), table: false });
        names.push('?column?');
        continue;
      }
      const lineage = wrapped?.[0] === 'ColumnRef' ? this.columnRef(wrapped[1], scope) : this.expression(value, scope);
      items.push({ kind: 'value', lineage });
      names.push(alias ?? figureName(value));
    }
    return { items, names };
  }

  private expandStar(ref: AstObject, scope: Scope): { item: OutputItem; name: string }[] {
    const parts = refParts(ref).names;
    const entries: Entry[] = [];
    if (parts.length === 0) entries.push(...scope.entries.filter((e) => e.kind === 'relation' || !e.starHidden));
    else {
      const entry = this.qualifiedEntry(parts, scope);
      if (entry) entries.push(entry);
    }
    const out: { item: OutputItem; name: string }[] = [];
    for (const entry of entries) {
      if (entry.kind === 'relation') {
        out.push({ item: { kind: 'columns', lineage: whole(entry), table: !entry.renamed }, name: '?column?' });
      } else {
        entry.items.forEach((item, i) => out.push({ item, name: [...entry.named.keys()][i] ?? '?column?' }));
      }
    }
    return out;
  }

  // ------------------------------------------------------------ FROM

  private relationEntry(relation: AstObject): RelationEntry {
    const name = stringField(relation, 'relname') ?? '';
    const schema = stringField(relation, 'schemaname') ?? null;
    const alias = asObject(relation['alias']);
    const aliasName = stringField(alias, 'aliasname');
    if (STATISTICS_RELATIONS.has(name) && (schema === null || schema === 'pg_catalog')) {
      this.c.addOpaque(`${name} holds sample values of every table's columns`);
    }
    return {
      kind: 'relation',
      alias: aliasName ?? name,
      schema,
      name,
      aliased: aliasName !== undefined,
      renamed: asArray(alias?.['colnames']).length > 0,
    };
  }

  private addFrom(node: unknown, scope: Scope): void {
    const wrapped = unwrap(node);
    if (!wrapped) return;
    this.c.visit();
    const [type, body] = wrapped;
    const alias = asObject(body['alias']);
    const aliasName = stringField(alias, 'aliasname') ?? null;
    const colnames = namesOf(alias?.['colnames']);
    switch (type) {
      case 'RangeVar': {
        const name = stringField(body, 'relname') ?? '';
        const cte = stringField(body, 'schemaname') === undefined ? scope.cte(name) : undefined;
        if (cte) scope.entries.push(renameEntry(cte, aliasName ?? name, colnames));
        else scope.entries.push(this.relationEntry(body));
        return;
      }
      case 'RangeSubselect': {
        const sub = unwrap(body['subquery']);
        const result = sub?.[0] === 'SelectStmt' ? this.query(sub[1], scope) : { items: [], names: [] };
        scope.entries.push(derivedEntry(aliasName, result, colnames));
        return;
      }
      case 'RangeFunction': {
        const values: ValueLineage[] = [];
        for (const fn of asArray(body['functions'])) {
          const items = asArray(asObject(asObject(fn)?.['List'])?.['items']);
          values.push(this.expression(items[0], scope));
          for (const column of asArray(items[1])) {
            const def = asObject(asObject(column)?.['ColumnDef']);
            if (def) colnames.push(stringField(def, 'colname') ?? '');
          }
        }
        for (const def of asArray(body['coldeflist'])) {
          colnames.push(stringField(asObject(asObject(def)?.['ColumnDef']), 'colname') ?? '');
        }
        const lineage = union(values);
        const entry = derivedFromLineage(aliasName, lineage, colnames);
        scope.entries.push(entry);
        return;
      }
      case 'JoinExpr': {
        const before = scope.entries.length;
        this.addFrom(body['larg'], scope);
        this.addFrom(body['rarg'], scope);
        this.filter(body['quals'], scope);
        if (aliasName !== null) {
          const inner = scope.entries.slice(before);
          scope.entries.push({ ...derivedFromLineage(aliasName, union(inner.map(whole))), starHidden: true });
        }
        return;
      }
      case 'RangeTableSample':
        this.addFrom(body['relation'], scope);
        this.filter(body['args'], scope);
        return;
      default:
        // XMLTABLE, JSON_TABLE…: their columns come from their expressions.
        scope.entries.push(derivedFromLineage(aliasName, this.generic(body, scope), colnames));
    }
  }

  // ------------------------------------------------------------ expressions

  /** A value inside an expression (not a plain output column): reads are recorded. */
  private expression(node: unknown, scope: Scope): ValueLineage {
    this.c.exprDepth++;
    try {
      return this.value(node, scope);
    } finally {
      this.c.exprDepth--;
    }
  }

  /** A filter, sort key, condition: what it reads can surface in errors, not in the result. */
  private filter(node: unknown, scope: Scope): void {
    if (node === undefined || node === null) return;
    this.expression(node, scope);
  }

  private value(node: unknown, scope: Scope): ValueLineage {
    const wrapped = unwrap(node);
    if (!wrapped) return this.generic(node, scope);
    const [type, body] = wrapped;
    this.c.visit();
    switch (type) {
      case 'ColumnRef':
        return this.columnRef(body, scope);
      case 'FuncCall':
        return this.call(body, scope);
      case 'SubLink':
        return this.subLink(body, scope);
      case 'CaseExpr': {
        this.filter(body['arg'], scope);
        const results: ValueLineage[] = [];
        for (const when of asArray(body['args'])) {
          const w = asObject(asObject(when)?.['CaseWhen']);
          this.filter(w?.['expr'], scope);
          results.push(this.value(w?.['result'], scope));
        }
        results.push(this.value(body['defresult'], scope));
        return union(results);
      }
      case 'A_Expr': {
        const operator = nameParts(body['name'])?.at(-1) ?? '';
        const kind = stringField(body, 'kind') ?? 'AEXPR_OP';
        const preserving = (kind === 'AEXPR_OP' && VALUE_PRESERVING_OPERATORS.has(operator)) || kind === 'AEXPR_NULLIF';
        return union([this.value(body['lexpr'], scope), this.value(body['rexpr'], scope)], !preserving);
      }
      case 'TypeCast': {
        const typeName = asObject(body['typeName']);
        const name = nameParts(typeName?.['names'])?.at(-1) ?? '';
        return union([this.value(body['arg'], scope)], !TEXT_CAST_TYPES.has(name));
      }
      case 'NullTest':
      case 'BooleanTest':
      case 'GroupingFunc':
        this.generic(body, scope);
        return EMPTY;
      case 'A_Const':
      case 'ParamRef':
      case 'SQLValueFunction':
        return EMPTY;
      case 'SelectStmt':
        return itemsLineage(this.query(body, scope).items);
      case 'A_Indirection': {
        for (const part of asArray(body['indirection'])) {
          if (unwrap(part)?.[0] === 'A_Indices') this.filter(part, scope);
        }
        return union([this.value(body['arg'], scope)]);
      }
      default:
        return this.generic(body, scope);
    }
  }

  /** Any node: the union of its children's values. */
  private generic(node: unknown, scope: Scope): ValueLineage {
    if (Array.isArray(node)) return union(node.map((child) => this.value(child, scope)));
    const object = asObject(node);
    if (!object) return EMPTY;
    if (unwrap(object)) return this.value(object, scope);
    const values: ValueLineage[] = [];
    for (const key in object) {
      const child = object[key];
      if (typeof child === 'object' && child !== null) values.push(this.value(child, scope));
    }
    return union(values);
  }

  private columnRef(ref: AstObject, scope: Scope): ValueLineage {
    const { names, star } = refParts(ref);
    let lineage: ValueLineage;
    if (star) {
      const entries = names.length === 0 ? [...scope.entries] : [this.qualifiedEntry(names, scope)];
      lineage = union(entries.filter((e): e is Entry => e !== undefined).map(whole));
    } else if (names.length === 1) {
      lineage = this.column(names[0]!, scope);
    } else {
      const column = names.at(-1)!;
      const entry = this.qualifiedEntry(names.slice(0, -1), scope);
      if (entry) lineage = entryColumn(entry, column);
      else if (names.length >= 3) {
        lineage = {
          sources: [{ schema: names.at(-3)!, relation: names.at(-2)!, column }],
          direct: true,
          transformed: false,
        };
      } else {
        // `a.b` with no relation `a`: a field of a composite column `a`.
        lineage = union([this.column(names[0]!, scope)]);
      }
    }
    if (this.c.exprDepth > 0) this.c.read(lineage.sources);
    return lineage;
  }

  private qualifiedEntry(parts: readonly string[], scope: Scope): Entry | undefined {
    if (parts.length === 1) return scope.find(parts[0]!);
    return scope.findQualified(parts.at(-2)!, parts.at(-1)!) ?? scope.find(parts.at(-1)!);
  }

  /** An unqualified name: a column of any relation in scope, or a relation's whole row. */
  private column(name: string, scope: Scope): ValueLineage {
    const candidates: ValueLineage[] = [];
    for (const entry of scope.visible()) {
      if (entry.kind === 'derived' && entry.starHidden) continue;
      candidates.push(entryColumn(entry, name));
      if (entry.alias === name) candidates.push(whole(entry));
    }
    if (candidates.length === 1) return candidates[0]!;
    return union(candidates);
  }

  private call(body: AstObject, scope: Scope): ValueLineage {
    const parts = nameParts(body['funcname']) ?? [];
    const name = parts.at(-1) ?? '';
    const schema = parts.length >= 2 ? parts.at(-2)! : null;
    const builtin = schema === null || schema === 'pg_catalog';
    this.filter(body['agg_filter'], scope);
    this.filter(body['over'], scope);
    // Ordered-set aggregates (mode() WITHIN GROUP (ORDER BY x)) return a value of their ORDER BY.
    const within = body['agg_within_group'] === true;
    if (!within) this.filter(body['agg_order'], scope);
    const args = within ? [...asArray(body['args']), ...asArray(body['agg_order'])] : asArray(body['args']);
    if (builtin && NON_VALUE_FUNCTIONS.has(name)) {
      this.filter(args, scope);
      return EMPTY;
    }
    const extra: ValueLineage[] = [];
    if (builtin && SQL_TEXT_FUNCTIONS.has(name)) {
      const text = constantString(args[SQL_TEXT_FUNCTIONS.get(name)!]);
      if (text === undefined) this.c.addOpaque(`${name}() of SQL that is not a constant`);
      else extra.push(this.sqlText(text, `${name}()`));
    } else if (builtin && TABLE_READING_FUNCTIONS.has(name)) {
      const table = constantString(args[0]);
      const parts = table === undefined ? null : splitRelationName(table);
      if (parts === null) this.c.addOpaque(`${name}() of a table that is not a constant`);
      else extra.push({ sources: [{ ...parts, column: null }], direct: false, transformed: false });
    } else if (builtin && OPAQUE_READING_FUNCTIONS.has(name)) {
      this.c.addOpaque(`${name}() reads what the SQL does not name`);
    }
    const userFunction = !isBuiltinFunction(schema, name);
    const argValues = union(args.map((arg) => this.value(arg, scope)));
    // A function the policy cannot see into may keep what it is given anywhere.
    if (userFunction || SINK_FUNCTIONS.has(name)) this.c.flow(`${parts.join('.')}()`, argValues);
    // What the call returns: its arguments, reshaped unless the function keeps text as it is…
    const reshapes = argValues.sources.length > 0 && !(builtin && VALUE_PRESERVING_FUNCTIONS.has(name));
    const returned: ValueLineage[] = [{ ...argValues, direct: false, transformed: argValues.transformed || reshapes }];
    // …and, for a user function, whatever its body reads (detectors must not trust a reshaped form of it).
    if (userFunction) {
      returned.push({
        sources: [{ schema, relation: name, column: null, function: true }],
        direct: false,
        transformed: false,
      });
    }
    return union([...returned, ...extra]);
  }

  private subLink(body: AstObject, scope: Scope): ValueLineage {
    const kind = stringField(body, 'subLinkType') ?? 'EXISTS_SUBLINK';
    const sub = unwrap(body['subselect']);
    const items = sub?.[0] === 'SelectStmt' ? this.query(sub[1], scope).items : [];
    switch (kind) {
      case 'EXISTS_SUBLINK':
        return EMPTY;
      case 'EXPR_SUBLINK':
      case 'ARRAY_SUBLINK':
      case 'MULTIEXPR_SUBLINK':
        return union([itemsLineage(items)]);
      default:
        // ANY / ALL / row comparisons: a boolean over both sides.
        return union([this.value(body['testexpr'], scope), itemsLineage(items)], true);
    }
  }

  /** SQL given as a string constant (query_to_xml): its result's values are this value. */
  private sqlText(sql: string, via: string): ValueLineage {
    const parsed = this.depth >= MAX_DEPTH ? null : parseStatements(sql);
    if (parsed === null || !parsed.ok) {
      this.c.addOpaque(`${via} of SQL that cannot be analysed`);
      return EMPTY;
    }
    const walker = new Walker(this.c, this.depth + 1);
    const values: ValueLineage[] = [];
    for (const statement of parsed.statements) {
      const items = walker.statement(statement, null);
      if (items) values.push(itemsLineage(items));
    }
    return union(values);
  }

  // ------------------------------------------------------------ bodies

  /** Statements run later or elsewhere (a body, a rule action): every column they touch flows into `into`. */
  private bodyStatements(statements: readonly unknown[], into: string): void {
    const inner = new Collector({ nodes: 0 });
    const walker = new Walker(inner, this.depth + 1);
    for (const statement of statements) {
      const items = walker.statement(statement, null);
      if (items) inner.flow(into, itemsLineage(items));
    }
    this.absorbBody(inner, into);
  }

  private absorbBody(inner: Collector, into: string): void {
    for (const reason of inner.opaque) this.c.addOpaque(reason);
    const touched = union([
      ...inner.flows.map((f) => ({ sources: f.sources, direct: false, transformed: f.transformed })),
      { sources: inner.reads, direct: false, transformed: false },
    ]);
    // Routine and rule bodies run later, through calls that carry no lineage; a DO block runs now.
    this.c.flow(into, touched, false, into !== 'DO block');
  }

  private bodyText(sql: string, into: string): void {
    const parsed = this.depth >= MAX_DEPTH ? null : parseStatements(sql);
    if (parsed === null || !parsed.ok) {
      this.c.addOpaque(`${into} with a body that cannot be analysed`);
      return;
    }
    this.bodyStatements(parsed.statements, into);
  }

  private doBlock(body: AstObject): void {
    const language = option(body['args'], 'language');
    const code = option(body['args'], 'as');
    if (code === undefined || (language !== undefined && language.toLowerCase() !== 'plpgsql')) {
      this.c.addOpaque(`a DO block in ${language ?? 'an unknown language'}`);
      return;
    }
    this.plpgsql(code, 'DO block');
  }

  private functionBody(body: AstObject): void {
    const into = body['is_procedure'] === true ? 'CREATE PROCEDURE' : 'CREATE FUNCTION';
    const sqlBody = body['sql_body'];
    if (sqlBody !== undefined) {
      // BEGIN ATOMIC … END / RETURN expr: already parsed.
      const statements: unknown[] = [];
      const collect = (node: unknown): void => {
        const wrapped = unwrap(node);
        if (wrapped?.[0] === 'ReturnStmt')
          statements.push({ SelectStmt: { targetList: [{ ResTarget: { val: wrapped[1]['returnval'] } }] } });
        else if (wrapped?.[0] === 'List') asArray(wrapped[1]['items']).forEach(collect);
        else if (Array.isArray(node)) node.forEach(collect);
        else if (wrapped) statements.push(node);
      };
      collect(sqlBody);
      this.bodyStatements(statements, into);
      return;
    }
    const language = (optionText(body['options'], 'language') ?? 'sql').toLowerCase();
    const code = optionText(body['options'], 'as');
    if (code === undefined) {
      this.c.addOpaque(`${into} without a body that can be read`);
      return;
    }
    if (language === 'sql') this.bodyText(code, into);
    else if (language === 'plpgsql') this.plpgsql(code, into, routineHeader(body));
    else if (language === 'internal' || language === 'c') {
      // A built-in or library symbol: it reads no table by SQL.
    } else this.c.addOpaque(`${into} in ${language}`);
  }

  /** PL/pgSQL: every embedded statement and expression; dynamic SQL that is not constant is opaque. */
  private plpgsql(code: string, into: string, header?: string): void {
    const compiled = this.depth >= MAX_DEPTH ? null : parsePlpgsqlBody(code, header);
    if (compiled === null || !compiled.ok) {
      this.c.addOpaque(`${into} whose PL/pgSQL cannot be analysed`);
      return;
    }
    const statements: unknown[] = [];
    const stack: unknown[] = [compiled.tree];
    while (stack.length > 0) {
      const value = stack.pop();
      this.c.visit();
      if (Array.isArray(value)) {
        stack.push(...value);
        continue;
      }
      const object = asObject(value);
      if (!object) continue;
      for (const key in object) {
        const child = object[key];
        if (key === 'PLpgSQL_expr') {
          const text = stringField(asObject(child), 'query');
          const mode = asObject(child)?.['parseMode'];
          if (text === undefined) continue;
          const sql = typeof mode === 'number' && mode !== 0 ? `SELECT ${text.replace(/^[^:]*:=/, '')}` : text;
          const parsed = parseStatements(sql);
          if (parsed.ok) statements.push(...parsed.statements);
          else this.c.addOpaque(`${into} with SQL that cannot be analysed`);
          continue;
        }
        if (key === 'PLpgSQL_stmt_dynexecute' || key === 'PLpgSQL_stmt_dynfors') {
          this.dynamic(asObject(child)?.['query'], into);
        } else if (key === 'PLpgSQL_stmt_open' || key === 'PLpgSQL_stmt_return_query') {
          if (asObject(child)?.['dynquery'] !== undefined) this.dynamic(asObject(child)?.['dynquery'], into);
        }
        if (typeof child === 'object' && child !== null) stack.push(child);
      }
    }
    this.bodyStatements(statements, into);
  }

  private dynamic(expr: unknown, into: string): void {
    const text = stringField(asObject(asObject(expr)?.['PLpgSQL_expr']), 'query');
    const parsed = text === undefined ? null : parseStatements(`SELECT ${text}`);
    const only = parsed?.ok ? unwrap(parsed.statements[0]) : undefined;
    const target = asArray(only?.[1]['targetList'])[0];
    const constant = constantString(asObject(asObject(target)?.['ResTarget'])?.['val']);
    if (constant === undefined) this.c.addOpaque(`${into} running SQL that is not a constant (EXECUTE)`);
    else this.bodyText(constant, into);
  }

  private rule(body: AstObject): void {
    const relation = asObject(body['relation']);
    const scope = new Scope(null);
    if (relation) {
      const entry = this.relationEntry(relation);
      scope.entries.push({ ...entry, alias: 'new' }, { ...entry, alias: 'old' });
    }
    this.filter(body['whereClause'], scope);
    const inner = new Collector({ nodes: 0 });
    const walker = new Walker(inner, this.depth + 1);
    for (const action of asArray(body['actions'])) {
      const items = walker.statement(action, scope);
      if (items) inner.flow('CREATE RULE', itemsLineage(items));
    }
    this.absorbBody(inner, 'CREATE RULE');
  }
}

// ---------------------------------------------------------------- entries

function derivedEntry(alias: string | null, result: QueryResult, colnames: readonly string[] = []): DerivedEntry {
  const named = new Map<string, ValueLineage>();
  const tables: ColumnSource[] = [];
  const rest: ValueLineage[] = [];
  let positional = true;
  result.items.forEach((item, i) => {
    if (item.kind === 'columns') {
      positional = false;
      if (item.table && colnames.length === 0) {
        tables.push(...item.lineage.sources);
      } else rest.push(item.lineage);
      return;
    }
    const name =
      positional && i < colnames.length ? colnames[i]! : colnames.length > 0 && !positional ? null : result.names[i]!;
    if (name === null) rest.push(item.lineage);
    else named.set(name, named.has(name) ? union([named.get(name)!, item.lineage]) : item.lineage);
  });
  return { kind: 'derived', alias, items: result.items, named, tables, rest: union(rest), starHidden: false };
}

/** An entry whose every column derives from one value (a function in FROM, `excluded`, a join alias). */
function derivedFromLineage(
  alias: string | null,
  lineage: ValueLineage,
  colnames: readonly string[] = [],
): DerivedEntry {
  const named = new Map<string, ValueLineage>(colnames.map((name) => [name, lineage]));
  return {
    kind: 'derived',
    alias,
    items: [{ kind: 'columns', lineage, table: false }],
    named,
    tables: [],
    rest: lineage,
    starHidden: false,
  };
}

function renameEntry(entry: DerivedEntry, alias: string, colnames: readonly string[]): DerivedEntry {
  if (colnames.length === 0) return { ...entry, alias };
  return derivedEntry(alias, { items: entry.items, names: [...entry.named.keys()] }, colnames);
}

function entryColumn(entry: Entry, column: string): ValueLineage {
  if (entry.kind === 'relation') {
    if (entry.renamed) return whole(entry);
    return { sources: [{ schema: entry.schema, relation: entry.name, column }], direct: true, transformed: false };
  }
  const values: ValueLineage[] = [];
  const named = entry.named.get(column);
  if (named) values.push(named);
  for (const table of entry.tables) {
    values.push({ sources: [{ ...table, column }], direct: true, transformed: false });
  }
  if (entry.rest.sources.length > 0 || entry.rest.transformed) values.push(entry.rest);
  if (values.length === 1) return values[0]!;
  return union(values);
}

function setOperation(left: QueryResult, right: QueryResult): QueryResult {
  // Set operations lose column origins: every column is computed, matched by position.
  const aligned =
    left.items.length === right.items.length && [...left.items, ...right.items].every((item) => item.kind === 'value');
  if (!aligned) {
    return {
      items: [{ kind: 'columns', lineage: union([itemsLineage(left.items), itemsLineage(right.items)]), table: false }],
      names: ['?column?'],
    };
  }
  return {
    items: left.items.map(
      (item, i) => ({ kind: 'value', lineage: union([item.lineage, right.items[i]!.lineage]) }) as const,
    ),
    names: left.names,
  };
}

// ---------------------------------------------------------------- small readers

function isStar(ref: AstObject): boolean {
  return asArray(ref['fields']).some((field) => unwrap(field)?.[0] === 'A_Star');
}

function refParts(ref: AstObject): { names: string[]; star: boolean } {
  const names: string[] = [];
  let star = false;
  for (const field of asArray(ref['fields'])) {
    const value = stringNodeValue(field);
    if (value !== undefined) names.push(value);
    else if (unwrap(field)?.[0] === 'A_Star') star = true;
  }
  return { names, star };
}

function namesOf(list: unknown): string[] {
  return asArray(list)
    .map(stringNodeValue)
    .filter((name): name is string => name !== undefined);
}

/** PostgreSQL's FigureColname, for the cases that matter to name lookups. */
function figureName(node: unknown): string {
  const wrapped = unwrap(node);
  if (!wrapped) return '?column?';
  const [type, body] = wrapped;
  switch (type) {
    case 'ColumnRef':
      return refParts(body).names.at(-1) ?? '?column?';
    case 'A_Indirection': {
      const last = asArray(body['indirection']).at(-1);
      return stringNodeValue(last) ?? figureName(body['arg']);
    }
    case 'FuncCall':
      return nameParts(body['funcname'])?.at(-1) ?? '?column?';
    case 'TypeCast': {
      const inner = figureName(body['arg']);
      return inner !== '?column?' ? inner : (nameParts(asObject(body['typeName'])?.['names'])?.at(-1) ?? '?column?');
    }
    case 'CaseExpr':
      return 'case';
    case 'A_ArrayExpr':
      return 'array';
    case 'RowExpr':
      return 'row';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'SubLink': {
      const sub = unwrap(body['subselect']);
      const first = asArray(sub?.[1]['targetList'])[0];
      const target = asObject(asObject(first)?.['ResTarget']);
      return stringField(target, 'name') ?? figureName(target?.['val']);
    }
    default:
      return '?column?';
  }
}

/** A string constant, possibly cast (`'customers'::regclass`). */
function constantString(node: unknown): string | undefined {
  const wrapped = unwrap(node);
  if (!wrapped) return undefined;
  if (wrapped[0] === 'TypeCast') return constantString(wrapped[1]['arg']);
  if (wrapped[0] !== 'A_Const') return undefined;
  const sval = asObject(wrapped[1]['sval']);
  return sval ? (stringField(sval, 'sval') ?? '') : undefined;
}

/** `schema.table` text as regclass reads it (unquoted parts folded). */
function splitRelationName(text: string): { schema: string | null; relation: string } | null {
  const parts = text.split('.').map((part) => {
    const quoted = /^"(.*)"$/.exec(part);
    return quoted ? quoted[1]!.replace(/""/g, '"') : part.trim().toLowerCase();
  });
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === '')) return null;
  return { schema: parts.length >= 2 ? parts.at(-2)! : null, relation: parts.at(-1)! };
}

function option(args: unknown, name: string): string | undefined {
  for (const item of asArray(args)) {
    const def = asObject(asObject(item)?.['DefElem']);
    if (stringField(def, 'defname') === name) return stringNodeValue(def?.['arg']);
  }
  return undefined;
}

/** A CREATE FUNCTION option whose value is a string or a list of strings (`AS 'body'`). */
function optionText(options: unknown, name: string): string | undefined {
  for (const item of asArray(options)) {
    const def = asObject(asObject(item)?.['DefElem']);
    if (stringField(def, 'defname') !== name) continue;
    const arg = def?.['arg'];
    const single = stringNodeValue(arg);
    if (single !== undefined) return single;
    const list = asArray(asObject(asObject(arg)?.['List'])?.['items']);
    return stringNodeValue(list[0]);
  }
  return undefined;
}

function statementLabel(type: string): string {
  return type
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

// ---------------------------------------------------------------- entry point

/** Lineage of every top-level statement of `sql`. Never throws. */
export function analyzeLineage(sql: string): LineageAnalysis {
  const parsed = parseStatements(sql);
  if (!parsed.ok) return { ok: false, message: parsed.message, parseError: !parsed.uncheckable };
  const budget = { nodes: 0 };
  try {
    const statements: StatementLineage[] = parsed.statements.map((statement) => {
      const collector = new Collector(budget);
      const outputs = new Walker(collector, 0).statement(statement, null);
      const wrapped = unwrap(statement);
      const copyToClient = wrapped?.[0] === 'CopyStmt' && outputs !== null;
      const copyBinary = copyToClient && option(wrapped![1]['options'], 'format')?.toLowerCase() === 'binary';
      const { flows, reads, opaque } = collector;
      return { outputs, flows, reads, opaque, copyToClient, copyBinary };
    });
    return { ok: true, statements };
  } catch (error) {
    const message = error instanceof TooComplex ? error.message : `lineage could not be followed (${String(error)})`;
    return { ok: false, message, parseError: false };
  }
}
