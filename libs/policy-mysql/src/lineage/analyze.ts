/*
 * Lineage of a SELECT's result columns, for masking computed columns. MySQL's result metadata
 * names the table and column of a plain column (org_table/org_name, aliases do not hide them),
 * so the wire engine masks those itself; what it cannot see is where a computed column comes
 * from (`CONCAT(email, '')`, `(SELECT email …)`, a derived table's alias, a UNION's second
 * branch). This follows table.column sources through aliases, derived tables, CTEs, scalar
 * subqueries, functions and UNION (by position). `*` and `t.*` over a table cannot be expanded
 * without the catalog: they come out as `columns` items that need the result's metadata.
 */
import type { ColumnSource } from '@postern/policy';
import { asArray, asObject, type Json, type JsonObject, nameParts } from '../sql/ast.js';
import { lex, type LexOptions, type Token } from '../sql/lexer.js';
import { foldName } from '../sql/names.js';
import { parseStatement } from '../sql/parser.js';
import { splitStatements } from '../sql/split.js';
import type { LineageAnalysis, OutputItem, StatementLineage, ValueLineage } from './facts.js';

/** Functions whose result still holds their argument's text as it was (detectors still find it). */
const TEXT_KEEPING = new Set(
  `lower upper lcase ucase trim ltrim rtrim concat concat_ws coalesce ifnull nullif if cast convert
   group_concat min max any_value first_value last_value nth_value lag lead json_unquote json_arrayagg
   json_objectagg json_object json_array`
    .trim()
    .split(/\s+/),
);

type Source =
  | { readonly kind: 'table'; readonly schema: string | null; readonly relation: string }
  | { readonly kind: 'derived'; readonly outputs: readonly OutputItem[] };

class Scope {
  readonly entries = new Map<string, Source>();
  constructor(
    readonly parent: Scope | null,
    readonly ctes: ReadonlyMap<string, readonly OutputItem[]>,
  ) {}
}

const EMPTY: ValueLineage = { sources: [], direct: false, transformed: false };

function union(lineages: readonly ValueLineage[], transformed: boolean): ValueLineage {
  const sources: ColumnSource[] = [];
  const seen = new Set<string>();
  for (const lineage of lineages) {
    for (const source of lineage.sources) {
      const key = `${source.schema ?? ''}.${source.relation}.${source.column ?? '*'}.${source.function ? 'f' : ''}`;
      if (!seen.has(key)) {
        seen.add(key);
        sources.push(source);
      }
    }
  }
  return { sources, direct: false, transformed: transformed || lineages.some((lineage) => lineage.transformed) };
}

function lineageOf(item: OutputItem): ValueLineage {
  return item.lineage;
}

class LineageWalker {
  readonly opaque: string[] = [];

  query(query: JsonObject | null, outer: Scope | null, ctes: ReadonlyMap<string, readonly OutputItem[]>): OutputItem[] {
    if (!query) return [this.unknown('a query the analysis does not read')];
    const withCtes = new Map(ctes);
    for (const cte of asArray(asObject(query['with'])?.['cte_tables'])) {
      const object = asObject(cte);
      const alias = asObject(object?.['alias']);
      const name = asObject(alias?.['name'])?.['value'];
      if (typeof name !== 'string') continue;
      let outputs = this.query(asObject(object?.['query'] ?? null), outer, withCtes);
      const columns = asArray(alias?.['columns']).map((column) => {
        const value = asObject(asObject(column)?.['name'])?.['value'] ?? asObject(column)?.['value'];
        return typeof value === 'string' ? value : null;
      });
      if (columns.length > 0 && columns.length === outputs.length) {
        outputs = outputs.map((item, index) =>
          item.kind === 'value' ? { ...item, name: columns[index] ?? item.name } : item,
        );
      }
      withCtes.set(foldName(name), outputs);
    }
    return this.setExpression(asObject(query['body'] ?? null), outer, withCtes);
  }

  private setExpression(
    body: JsonObject | null,
    outer: Scope | null,
    ctes: ReadonlyMap<string, readonly OutputItem[]>,
  ): OutputItem[] {
    const select = asObject(body?.['Select']);
    if (select) return this.select(select, outer, ctes);
    const setOperation = asObject(body?.['SetOperation']);
    if (setOperation) {
      const left = this.setExpression(asObject(setOperation['left'] ?? null), outer, ctes);
      const right = this.setExpression(asObject(setOperation['right'] ?? null), outer, ctes);
      return mergeByPosition(left, right);
    }
    const nested = asObject(body?.['Query']);
    if (nested) return this.query(nested, outer, ctes);
    if (body?.['Values'] !== undefined) return [];
    return [this.unknown('a query body the analysis does not read')];
  }

  private select(
    select: JsonObject,
    outer: Scope | null,
    ctes: ReadonlyMap<string, readonly OutputItem[]>,
  ): OutputItem[] {
    const scope = new Scope(outer, ctes);
    for (const from of asArray(select['from'])) {
      const object = asObject(from);
      this.addFactor(scope, asObject(object?.['relation'] ?? null));
      for (const join of asArray(object?.['joins']))
        this.addFactor(scope, asObject(asObject(join)?.['relation'] ?? null));
    }
    const items: OutputItem[] = [];
    for (const item of asArray(select['projection'])) {
      const object = asObject(item);
      if (!object) continue;
      if (object['Wildcard'] !== undefined) {
        for (const source of scope.entries.values()) items.push(...this.expand(source));
        continue;
      }
      const qualified = asArray(object['QualifiedWildcard']);
      if (qualified.length > 0) {
        const parts = nameParts(asObject(qualified[0] ?? null)?.['ObjectName']);
        const source = this.lookup(scope, foldName(parts.at(-1) ?? ''));
        items.push(...(source ? this.expand(source) : [this.unknown('`t.*` of an unknown table')]));
        continue;
      }
      const aliased = asObject(object['ExprWithAlias']);
      const expression = aliased ? (aliased['expr'] ?? null) : (object['UnnamedExpr'] ?? null);
      const alias = asObject(aliased?.['alias'] ?? null)?.['value'];
      items.push({
        kind: 'value',
        name: typeof alias === 'string' ? alias : expressionName(expression),
        lineage: this.expression(expression, scope),
        named: this.named(expression, scope),
      });
    }
    return items;
  }

  private addFactor(scope: Scope, factor: JsonObject | null): void {
    const table = asObject(factor?.['Table']);
    const derived = asObject(factor?.['Derived']);
    const aliasOf = (node: JsonObject | null) => {
      const value = asObject(asObject(node?.['alias'])?.['name'])?.['value'];
      return typeof value === 'string' ? foldName(value) : null;
    };
    if (table) {
      const parts = nameParts(table['name']).map(foldName);
      const name = parts.at(-1) ?? '';
      const schema = parts.length >= 2 ? (parts.at(-2) as string) : null;
      const cte = schema === null ? scope.ctes.get(name) : undefined;
      const source: Source = cte ? { kind: 'derived', outputs: cte } : { kind: 'table', schema, relation: name };
      scope.entries.set(aliasOf(table) ?? name, source);
    } else if (derived) {
      const outputs = this.query(asObject(derived['subquery'] ?? null), scope.parent, scope.ctes);
      scope.entries.set(aliasOf(derived) ?? `(derived ${scope.entries.size})`, { kind: 'derived', outputs });
    } else if (asObject(factor?.['NestedJoin'])) {
      const nested = asObject(asObject(factor?.['NestedJoin'])?.['table_with_joins'] ?? null);
      this.addFactor(scope, asObject(nested?.['relation'] ?? null));
      for (const join of asArray(nested?.['joins']))
        this.addFactor(scope, asObject(asObject(join)?.['relation'] ?? null));
    } else if (factor) {
      const key = Object.keys(factor)[0] ?? 'table';
      this.opaque.push(`a ${key} in FROM`);
      scope.entries.set(`(${key} ${scope.entries.size})`, { kind: 'derived', outputs: [this.unknown(key)] });
    }
  }

  private lookup(scope: Scope, name: string): Source | null {
    for (let current: Scope | null = scope; current; current = current.parent) {
      const found = current.entries.get(name);
      if (found) return found;
    }
    return null;
  }

  private expand(source: Source): OutputItem[] {
    // Through a derived table the metadata names the derived alias, never the base column.
    if (source.kind === 'derived') return source.outputs.map((item) => ({ ...item, named: false }));
    const lineage: ValueLineage = {
      sources: [{ schema: source.schema, relation: source.relation, column: null }],
      direct: true,
      transformed: false,
    };
    return [{ kind: 'columns', lineage, named: true }];
  }

  /** Whether the metadata names this projection's column: a plain column of a table in this FROM. */
  private named(expression: Json, scope: Scope): boolean {
    const object = asObject(expression);
    const identifier = asObject(object?.['Identifier']);
    let qualifier: string | null = null;
    if (Array.isArray(object?.['CompoundIdentifier'])) {
      qualifier = foldName(nameParts(object['CompoundIdentifier']).at(-2) ?? '');
    } else if (!identifier || String(identifier['value']).startsWith('@')) {
      return false;
    }
    const sources = qualifier === null ? [...scope.entries.values()] : [scope.entries.get(qualifier)];
    return sources.length === 1 && sources[0]?.kind === 'table';
  }

  private column(scope: Scope, qualifier: string | null, column: string): ValueLineage {
    const fromSource = (source: Source): ValueLineage => {
      if (source.kind === 'table') {
        return {
          sources: [{ schema: source.schema, relation: source.relation, column }],
          direct: true,
          transformed: false,
        };
      }
      const named = source.outputs.find(
        (item) => item.kind === 'value' && item.name !== null && foldName(item.name) === column,
      );
      if (named) return named.lineage;
      // A column of a `*` inside the derived table: any of its sources (fail closed).
      return { ...union(source.outputs.map(lineageOf), false), direct: false };
    };
    if (qualifier !== null) {
      const source = this.lookup(scope, qualifier);
      return source ? fromSource(source) : EMPTY;
    }
    for (let current: Scope | null = scope; current; current = current.parent) {
      if (current.entries.size === 0) continue;
      const sources = [...current.entries.values()];
      if (sources.length === 1) return fromSource(sources[0] as Source);
      // Several tables and no catalog to say which has the column: every candidate (fail closed).
      const derivedMatch = sources.filter(
        (source) =>
          source.kind === 'derived' &&
          source.outputs.some((item) => item.kind === 'value' && item.name !== null && foldName(item.name) === column),
      );
      const candidates = derivedMatch.length === 1 ? derivedMatch : sources;
      if (candidates.length === 1) return fromSource(candidates[0] as Source);
      return union(candidates.map(fromSource), false);
    }
    return EMPTY;
  }

  expression(node: Json, scope: Scope): ValueLineage {
    const object = asObject(node);
    if (!object) return EMPTY;
    const identifier = asObject(object['Identifier']);
    if (identifier && typeof identifier['value'] === 'string') {
      return identifier['value'].startsWith('@') ? EMPTY : this.column(scope, null, foldName(identifier['value']));
    }
    if (Array.isArray(object['CompoundIdentifier'])) {
      const parts = nameParts(object['CompoundIdentifier']).map(foldName);
      if (parts[0]?.startsWith('@')) return EMPTY;
      return this.column(scope, parts.at(-2) ?? null, parts.at(-1) ?? '');
    }
    if (object['Nested'] !== undefined) return this.expression(object['Nested'], scope);
    const subquery = asObject(object['Subquery']);
    if (subquery) return union(this.query(subquery, scope, scope.ctes).map(lineageOf), false);
    const call = asObject(object['Function']);
    if (call) {
      const name = foldName(nameParts(call['name']).at(-1) ?? '');
      const args = this.children(call['args'] ?? null, scope);
      return union(args, !TEXT_KEEPING.has(name));
    }
    // Any other expression (CASE, operators, CAST…): what its parts read. Operators on text
    // (other than choosing one of them) reshape it.
    const keepsText = 'Case' in object || 'Cast' in object || 'Convert' in object;
    return union(this.children(node, scope), !keepsText);
  }

  /** Lineages of the expressions directly under `node` (not under nested queries' scopes). */
  private children(node: Json, scope: Scope): ValueLineage[] {
    const found: ValueLineage[] = [];
    const visit = (value: Json): void => {
      if (Array.isArray(value)) {
        for (const item of value) visit(item);
        return;
      }
      const object = asObject(value);
      if (!object) return;
      if ('Identifier' in object || 'CompoundIdentifier' in object || 'Subquery' in object || 'Function' in object) {
        found.push(this.expression(object, scope));
        return;
      }
      for (const [key, child] of Object.entries(object)) if (key !== 'span') visit(child);
    };
    const object = asObject(node);
    if (!object) {
      visit(node);
      return found;
    }
    for (const [key, child] of Object.entries(object)) {
      if (key !== 'span') visit(child);
    }
    return found;
  }

  private unknown(why: string): OutputItem {
    this.opaque.push(why);
    return { kind: 'columns', lineage: EMPTY, named: false };
  }
}

function mergeByPosition(left: readonly OutputItem[], right: readonly OutputItem[]): OutputItem[] {
  const positional = left.length === right.length && [...left, ...right].every((item) => item.kind === 'value');
  if (!positional) {
    return [{ kind: 'columns', lineage: union([...left, ...right].map(lineageOf), false), named: false }];
  }
  return left.map((item, index) => {
    const other = right[index] as OutputItem;
    const merged = union([item.lineage, other.lineage], false);
    // A UNION column is one table column only when both branches are that same column; the
    // metadata of a UNION names no table.
    const same = item.lineage.direct && other.lineage.direct && merged.sources.length === 1;
    return { ...item, lineage: { ...merged, direct: same }, named: false };
  });
}

/** The name MySQL gives a plain column; null for an expression (MySQL names it by its text). */
function expressionName(node: Json): string | null {
  const object = asObject(node);
  const identifier = asObject(object?.['Identifier']);
  if (identifier && typeof identifier['value'] === 'string') return identifier['value'];
  if (Array.isArray(object?.['CompoundIdentifier'])) return nameParts(object['CompoundIdentifier']).at(-1) ?? '';
  return null;
}

function statementLineage(ast: Json): StatementLineage {
  const walker = new LineageWalker();
  const query = asObject(asObject(ast)?.['Query'] ?? null);
  if (!query) return { outputs: null, opaque: [] };
  const outputs = walker.query(query, null, new Map());
  return { outputs, opaque: walker.opaque };
}

/** Result-column lineage of each statement of `sql` (uncached). Never throws. */
export function analyzeLineage(sql: string, options: LexOptions = {}): LineageAnalysis {
  const lexed = lex(sql, options);
  if (!lexed.ok) return { ok: false, message: lexed.message, parseError: true };
  const statements: StatementLineage[] = [];
  for (const raw of splitStatements(lexed.tokens)) {
    const first = raw.tokens[0] as Token;
    const isQuery = first.text === '(' || ['SELECT', 'WITH', 'TABLE', 'VALUES'].includes(first.upper);
    if (!isQuery) {
      statements.push({ outputs: null, opaque: [] });
      continue;
    }
    const parsed = parseStatement(lexed.code.slice(raw.start, raw.end));
    if (!parsed.ok) return { ok: false, message: parsed.message, parseError: true };
    try {
      statements.push(statementLineage(parsed.ast as Json));
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error), parseError: false };
    }
  }
  return { ok: true, statements };
}
