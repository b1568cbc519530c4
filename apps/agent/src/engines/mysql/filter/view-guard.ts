import type { QualifiedName } from '@postern/policy';
import { analyzeSql } from '@postern/policy-mysql';
import { lineageOf, type MysqlSessionMasker } from '../masking.js';

/** A view found by a lookup: its schema, name and definition text (empty when the user may not see it). */
export interface ViewRow {
  schema: string;
  name: string;
  definition: string;
}

/** Runs a read-only query on the session's own target connection; its rows as text. */
export type SessionLookup = (sql: string) => Promise<(string | null)[][]>;

/** Views inside views followed before the statement is refused as too deep to check. */
const MAX_DEPTH = 8;

/**
 * Views under masking. MariaDB and MySQL report a view's result columns with the view as their
 * table, so a column rule on `customers.email` would not reach `SELECT mail FROM customers_view`.
 * While a column rule applies, the relations a statement names are looked up on the session's own
 * connection (its grants, its current database, views created a moment ago) in
 * information_schema.VIEWS; a view whose definition, or the definition of a view it reads, may
 * reach a masked column is refused (fail closed: a definition the user may not see, a failed
 * lookup, views nested too deep are refused too). Base tables cost one indexed lookup that
 * finds nothing.
 */
export class ViewGuard {
  constructor(
    private readonly lookup: SessionLookup,
    /** The session's database (the connection's: a session cannot switch to another). */
    private readonly database: string,
  ) {}

  /** Why reading `relations` is refused under `masker`, or null. */
  async refusal(masker: MysqlSessionMasker, relations: readonly QualifiedName[]): Promise<string | null> {
    const seen = new Set<string>();
    let pending = unique(relations, seen);
    for (let depth = 0; pending.length > 0; depth++) {
      if (depth === MAX_DEPTH) return `views nested deeper than ${MAX_DEPTH} cannot be checked while masking applies`;
      let views: ViewRow[];
      try {
        views = (await this.lookup(viewQuery(pending, this.database))).map(([schema, name, definition]) => ({
          schema: schema ?? '',
          name: name ?? '',
          definition: definition ?? '',
        }));
      } catch (error) {
        return `views could not be checked while masking applies (${(error as Error).message})`;
      }
      const next: QualifiedName[] = [];
      for (const view of views) {
        const reached = reachesMaskedColumn(masker, view);
        if (reached !== null) return reached;
        const facts = analyzeSql(view.definition);
        if (facts.ok) next.push(...facts.all.flatMap((statement) => statement.relations));
      }
      pending = unique(next, seen);
    }
    return null;
  }
}

/** The refusal for a view whose definition may reach a masked column, or null. */
export function reachesMaskedColumn(masker: MysqlSessionMasker, view: ViewRow): string | null {
  const shown = `view ${view.schema}.${view.name}`;
  if (view.definition.trim() === '') {
    return `the definition of ${shown} is not visible to the target user, so masking cannot follow it`;
  }
  const facts = analyzeSql(view.definition);
  if (!facts.ok) return `the definition of ${shown} cannot be read, so masking cannot follow it`;
  const relations = facts.all.flatMap((statement) => statement.relations);
  const { names } = lineageOf(view.definition, relations);
  for (const rule of masker.rules) {
    for (const matcher of rule.columns) {
      for (const relation of relations) {
        for (const column of names) {
          if (matcher.mayMatchSource({ schema: relation.schema ?? view.schema, relation: relation.name, column })) {
            return `${shown} reads a column masking rule "${rule.name}" masks; query its tables instead, where the rule applies`;
          }
        }
      }
    }
  }
  return null;
}

/**
 * The information_schema.VIEWS query for `relations` in `database` (the session's: it cannot leave
 * it). Plain literals let MariaDB look the names up rather than open every table of the schema;
 * a name with a quote or a backslash (read differently under NO_BACKSLASH_ESCAPES) or outside
 * printable ASCII (read in the session's character set, which may not be UTF-8) is sent as a hex
 * literal of its UTF-8 instead, which is exact but scans the schema.
 */
export function viewQuery(relations: readonly QualifiedName[], database: string): string {
  const text = (value: string): string =>
    value.includes("'") || value.includes('\\') || !/^[\x20-\x7e]*$/.test(value)
      ? `CONVERT(X'${Buffer.from(value, 'utf8').toString('hex')}' USING utf8mb4)`
      : `'${value}'`;
  const conditions = relations.map(
    (relation) => `(TABLE_SCHEMA = ${text(relation.schema ?? database)} AND TABLE_NAME = ${text(relation.name)})`,
  );
  return `SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE ${conditions.join(' OR ')}`;
}

function unique(relations: readonly QualifiedName[], seen: Set<string>): QualifiedName[] {
  const out: QualifiedName[] = [];
  for (const relation of relations) {
    const key = `${relation.schema ?? ''}\u0000${relation.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(relation);
  }
  return out;
}
