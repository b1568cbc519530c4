/*
 * Facts read from sqlparser-rs's tree of one statement: relations (schema-qualified, aliases and
 * CTE names resolved), functions, databases named, and whether an UPDATE/DELETE filters rows.
 * The tree is JSON (serde's externally tagged enums: `{ "Select": {…} }`); it is walked
 * generically so that a table or a call in a clause this file does not name is still found.
 */
import type { FunctionRef, QualifiedName } from '@postern/policy';
import { BUILTIN_FUNCTIONS } from './builtin-functions.js';
import { foldName } from './names.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function asObject(value: Json | undefined): JsonObject | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

export function asArray(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

/** `[{Identifier: {value}}, …]` (ObjectName) or `[{value}, …]` (CompoundIdentifier) → parts. */
export function nameParts(value: Json | undefined): string[] {
  return asArray(value).map((part) => {
    const object = asObject(part);
    const ident = asObject(object?.['Identifier']) ?? object;
    const text = ident?.['value'];
    return typeof text === 'string' ? text : '*';
  });
}

export function qualifiedName(parts: readonly string[]): QualifiedName | null {
  const name = parts[parts.length - 1];
  if (name === undefined) return null;
  const schema = parts.length >= 2 ? (parts[parts.length - 2] as string) : null;
  return { schema: schema === null ? null : foldName(schema), name: foldName(name) };
}

export interface AstFacts {
  readonly relations: QualifiedName[];
  readonly functions: FunctionRef[];
  readonly schemas: string[];
  /** UPDATE/DELETE: no WHERE, or one that does not depend on the row. False for other statements. */
  readonly missingWhere: boolean;
  /** The WHERE judgement evaluated a part without columns: another literal could change it. */
  readonly literalDependent: boolean;
}

class Collector {
  readonly relations: QualifiedName[] = [];
  readonly functions: FunctionRef[] = [];
  readonly schemas: string[] = [];
  readonly aliases = new Set<string>();
  readonly cteNames = new Set<string>();
  /** UPDATE/DELETE nodes anywhere (WITH … DELETE), except under EXPLAIN (not run). */
  readonly writes: JsonObject[] = [];
  private explaining = 0;

  relation(parts: readonly string[]): void {
    const name = qualifiedName(parts);
    if (name) this.relations.push(name);
  }

  call(parts: readonly string[], forceUser = false): void {
    const name = qualifiedName(parts);
    if (!name) return;
    const builtin = !forceUser && name.schema === null && BUILTIN_FUNCTIONS.has(name.name);
    this.functions.push({ ...name, builtin, attributeNotation: false });
  }

  walk(node: Json | undefined): void {
    if (Array.isArray(node)) {
      for (const item of node) this.walk(item);
      return;
    }
    const object = asObject(node);
    if (!object) return;
    for (const [key, value] of Object.entries(object)) {
      const inner = asObject(value);
      if (key === 'Table' && inner && Array.isArray(inner['name'])) {
        this.relation(nameParts(inner['name']));
        const alias = asObject(asObject(inner['alias'])?.['name'])?.['value'];
        if (typeof alias === 'string') this.aliases.add(foldName(alias));
      } else if (key === 'TableName' && Array.isArray(value)) {
        this.relation(nameParts(value));
      } else if (key === 'Function' && inner && Array.isArray(inner['name'])) {
        this.call(nameParts(inner['name']));
        this.walk(inner['args']);
        this.walk(inner['over']);
        this.walk(inner['filter']);
        this.walk(inner['within_group']);
        continue;
      } else if (isWrite(key, inner) && inner && this.explaining === 0) {
        this.writes.push(inner);
      } else if (key === 'Explain' && inner) {
        this.explaining += 1;
        this.walk(value);
        this.explaining -= 1;
        continue;
      } else if (key === 'cte_tables') {
        for (const cte of asArray(value)) {
          const name = asObject(asObject(asObject(cte)?.['alias'])?.['name'])?.['value'];
          if (typeof name === 'string') this.cteNames.add(foldName(name));
        }
      } else if (key === 'alias' && inner) {
        const name = asObject(inner['name'])?.['value'] ?? inner['value'];
        if (typeof name === 'string') this.aliases.add(foldName(name));
      }
      this.walk(value);
    }
  }
}

/** An UPDATE or DELETE statement node (not GRANT UPDATE's privilege, not ON DUPLICATE KEY UPDATE). */
function isWrite(key: string, node: JsonObject | null): boolean {
  if (!node) return false;
  if (key === 'Update') return 'assignments' in node && 'table' in node;
  return key === 'Delete' && 'from' in node;
}

/** Statement-specific objects that are not table factors (DROP, TRUNCATE, RENAME, GRANT…). */
function statementObjects(collector: Collector, type: string, body: JsonObject): void {
  switch (type) {
    case 'CreateTable':
    case 'AlterTable':
    case 'CreateView':
    case 'AlterView':
      collector.relation(nameParts(body['name']));
      break;
    case 'Drop': {
      const objectType = body['object_type'];
      for (const name of asArray(body['names'])) {
        const parts = nameParts(name);
        if (objectType === 'Database' || objectType === 'Schema') collector.schemas.push(foldName(parts.at(-1) ?? ''));
        else if (objectType !== 'Index') collector.relation(parts);
      }
      if (body['table']) collector.relation(nameParts(body['table']));
      break;
    }
    case 'Truncate':
      for (const table of asArray(body['table_names'])) collector.relation(nameParts(asObject(table)?.['name']));
      break;
    case 'CreateIndex':
      collector.relation(nameParts(body['table_name']));
      break;
    case 'Grant':
    case 'Revoke':
      for (const name of asArray(asObject(body['objects'])?.['Tables'])) {
        const parts = nameParts(name);
        collector.relation(parts);
        if (parts.length >= 2 && parts.at(-2) !== '*') collector.schemas.push(foldName(parts.at(-2) as string));
      }
      break;
    case 'Call':
      collector.call(nameParts(body['name']), true);
      break;
    case 'CreateDatabase':
      collector.schemas.push(foldName(nameParts(body['db_name']).at(-1) ?? ''));
      break;
    case 'Delete':
      // DELETE t1, t2 FROM …: targets named by alias or by table.
      for (const target of asArray(body['tables'])) {
        const name = qualifiedName(nameParts(target));
        if (name && !(name.schema === null && collector.aliases.has(name.name))) collector.relations.push(name);
      }
      break;
    default:
      break;
  }
}

export function astFacts(statement: Json): AstFacts {
  const collector = new Collector();
  const top = asObject(statement);
  const [type, value] = top ? (Object.entries(top)[0] ?? ['', null]) : ['', null];
  collector.walk(statement);
  const body = asObject(value ?? null) ?? (Array.isArray(value) ? { items: value } : {});
  if (type === 'RenameTable') {
    for (const rename of asArray(value ?? null)) {
      collector.relation(nameParts(asObject(rename)?.['old_name']));
      collector.relation(nameParts(asObject(rename)?.['new_name']));
    }
  } else {
    statementObjects(collector, type, body);
  }
  // CTE names and DUAL (no table) are not relations.
  const relations = collector.relations.filter(
    (relation) => relation.schema !== null || !(collector.cteNames.has(relation.name) || relation.name === 'dual'),
  );
  const schemas = [
    ...collector.schemas,
    ...relations.flatMap((relation) => (relation.schema === null ? [] : [relation.schema])),
  ];
  const judged = { constant: false };
  const missingWhere =
    collector.writes.some((write) => filtersNothing(write['selection'], writtenNames(write), judged)) ||
    upsertFromQuery(top?.['Insert']);
  return { relations, functions: collector.functions, schemas, missingWhere, literalDependent: judged.constant };
}

/**
 * `INSERT … SELECT … ON DUPLICATE KEY UPDATE`: the rows it updates come from a query, so every
 * row may collide (PostgreSQL's upsert rule). Listed rows (`VALUES`) are a bounded set.
 */
function upsertFromQuery(insert: Json | undefined): boolean {
  const node = asObject(insert);
  if (!node || !asObject(node['on'])?.['DuplicateKeyUpdate']) return false;
  const body = asObject(asObject(node['source'])?.['body']);
  return body !== null && !('Values' in body);
}

type Truth = 'true' | 'false' | 'row' | 'const';

/** Names (tables and aliases) of the rows an UPDATE/DELETE reads: what a correlated subquery names. */
function writtenNames(write: JsonObject): ReadonlySet<string> {
  const collector = new Collector();
  for (const key of ['table', 'from', 'using', 'tables']) collector.walk(write[key]);
  for (const target of asArray(write['tables'])) collector.relation(nameParts(target));
  return new Set([...collector.relations.map((relation) => relation.name), ...collector.aliases]);
}

/**
 * No WHERE, or a WHERE that is true, or may be, whatever the row (`1`, `1=1`, `TRUE`, `x OR 1=1`,
 * `@v`, `EXISTS (SELECT 1 FROM dual)`). `outer`: the written rows' table names and aliases — a
 * subquery depends on the row only through a column qualified with one of them.
 */
export function filtersNothing(
  selection: Json | undefined,
  outer: ReadonlySet<string> = new Set(),
  judged: { constant: boolean } = { constant: false },
): boolean {
  if (selection === undefined || selection === null) return true;
  const truth = truthOf(selection, outer, judged);
  return truth === 'true' || truth === 'const';
}

const COMPARISONS: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  Eq: (a, b) => a === b,
  Spaceship: (a, b) => a === b,
  NotEq: (a, b) => a !== b,
  Lt: (a, b) => a < b,
  LtEq: (a, b) => a <= b,
  Gt: (a, b) => a > b,
  GtEq: (a, b) => a >= b,
};

function truthOf(node: Json, outer: ReadonlySet<string>, judged: { constant: boolean }): Truth {
  const object = asObject(node);
  if (!object) {
    judged.constant = true;
    return 'const';
  }
  const nested = object['Nested'];
  if (nested !== undefined) return truthOf(nested, outer, judged);
  const unary = asObject(object['UnaryOp']);
  if (unary?.['op'] === 'Not') {
    const inner = truthOf(unary['expr'] ?? null, outer, judged);
    return inner === 'true' ? 'false' : inner === 'false' ? 'true' : inner;
  }
  const binary = asObject(object['BinaryOp']);
  if (binary && (binary['op'] === 'Or' || binary['op'] === 'And' || binary['op'] === 'Xor')) {
    const left = truthOf(binary['left'] ?? null, outer, judged);
    const right = truthOf(binary['right'] ?? null, outer, judged);
    if (binary['op'] === 'Or') {
      if (left === 'true' || right === 'true') return 'true';
      if (left === 'const' || right === 'const') return 'const';
      return left === 'false' && right === 'false' ? 'false' : 'row';
    }
    if (binary['op'] === 'And') {
      if (left === 'false' || right === 'false') return 'false';
      if (left === 'true' && right === 'true') return 'true';
      return left === 'row' || right === 'row' ? 'row' : 'const';
    }
    return left === 'row' || right === 'row' ? 'row' : 'const';
  }
  if (referencesColumn(node, outer)) return 'row';
  judged.constant = true;
  const value = numericValue(node);
  if (value !== null) return value !== 0 ? 'true' : 'false';
  const compare = binary ? COMPARISONS[String(binary['op'])] : undefined;
  if (binary && compare) {
    const left = numericValue(binary['left'] ?? null);
    const right = numericValue(binary['right'] ?? null);
    if (left !== null && right !== null) return compare(left, right) ? 'true' : 'false';
    if (JSON.stringify(stripSpans(binary['left'] ?? null)) === JSON.stringify(stripSpans(binary['right'] ?? null))) {
      return binary['op'] === 'NotEq' ? 'false' : 'true';
    }
  }
  return 'const';
}

/** A literal's value as MySQL reads it in a boolean context (strings by their leading number). */
function numericValue(node: Json): number | null {
  const value = asObject(asObject(asObject(node)?.['Value'])?.['value']);
  if (!value) return null;
  if (typeof value['Boolean'] === 'boolean') return value['Boolean'] ? 1 : 0;
  const number = asArray(value['Number'])[0];
  if (typeof number === 'string') return Number(number);
  const text = value['SingleQuotedString'] ?? value['DoubleQuotedString'];
  if (typeof text === 'string') {
    const leading = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text);
    return leading ? Number(leading[0]) : 0;
  }
  if (value['Null'] !== undefined || value === null) return 0;
  return null;
}

function stripSpans(node: Json): Json {
  if (Array.isArray(node)) return node.map(stripSpans);
  const object = asObject(node);
  if (!object) return node;
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(object)) if (key !== 'span') copy[key] = stripSpans(value);
  return copy;
}

/**
 * A column of the row in the expression; variables (`@x`, `@@x`) are not columns. Inside a
 * subquery, only a column qualified with one of the `outer` names is the row's: an unqualified
 * one belongs to the subquery's own tables as far as the gateway can tell (no catalog), so
 * `EXISTS (SELECT 1 FROM orders)` does not filter rows, `EXISTS (… WHERE o.c = customers.id)` does.
 */
export function referencesColumn(node: Json | undefined, outer: ReadonlySet<string>, inSubquery = false): boolean {
  if (Array.isArray(node)) return node.some((item) => referencesColumn(item, outer, inSubquery));
  const object = asObject(node);
  if (!object) return false;
  for (const [key, value] of Object.entries(object)) {
    if (key === 'span') continue;
    if (key === 'Identifier' && asObject(value) && !String(asObject(value)?.['value']).startsWith('@')) {
      if (!inSubquery) return true;
      continue;
    }
    if (key === 'CompoundIdentifier') {
      const parts = nameParts(value);
      if (parts[0]?.startsWith('@')) continue;
      if (!inSubquery || outer.has(foldName(parts.at(-2) ?? ''))) return true;
      continue;
    }
    if (key === 'Function') {
      if (referencesColumn(asObject(value)?.['args'], outer, inSubquery)) return true;
      continue;
    }
    const subquery = key === 'Subquery' || key === 'subquery' || key === 'Derived';
    if (referencesColumn(value, outer, inSubquery || subquery)) return true;
  }
  return false;
}
