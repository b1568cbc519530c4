/*
 * Accumulates the facts of one statement while its tree is walked, de-duplicating names.
 */
import { isBuiltinFunction } from './builtin-functions.js';
import type { CopyInfo, FunctionRef, NestedVia, StatementFacts } from './facts.js';
import type { QualifiedName } from './names.js';

const nameKey = (name: QualifiedName): string => `${name.schema ?? ''}\u0000${name.name}`;

export class FactsBuilder {
  private readonly relations = new Map<string, QualifiedName>();
  private readonly functions = new Map<string, FunctionRef>();
  private readonly schemas = new Set<string>();
  private readonly nested: StatementFacts[] = [];
  missingWhere = false;
  copyProgram = false;
  unresolvedDynamicSql = false;
  copy: CopyInfo | null = null;

  constructor(private readonly kinds: readonly string[]) {}

  addRelation(schema: string | null, name: string): void {
    const relation = { schema, name };
    this.relations.set(nameKey(relation), relation);
    if (schema !== null) this.schemas.add(schema);
  }

  /** `builtin` is decided from the name as written unless the caller knows better (SQL syntax). */
  addFunction(
    schema: string | null,
    name: string,
    attributeNotation = false,
    builtin = isBuiltinFunction(schema, name),
  ): void {
    this.keepFunction({ schema, name, attributeNotation, builtin });
  }

  addSchema(schema: string): void {
    this.schemas.add(schema);
  }

  /** A statement this one executes: kept as nested, and what it touches is touched by this one. */
  addNested(facts: StatementFacts): void {
    this.nested.push(facts);
    this.absorbNames(facts);
  }

  /**
   * Facts of an expression evaluated by this statement (a PL/pgSQL condition, …): its names and
   * nested statements become this statement's own.
   */
  absorb(facts: StatementFacts): void {
    this.absorbNames(facts);
    this.nested.push(...facts.nested);
    if (facts.unresolvedDynamicSql) this.unresolvedDynamicSql = true;
  }

  private absorbNames(facts: StatementFacts): void {
    for (const relation of facts.relations) this.relations.set(nameKey(relation), relation);
    for (const call of facts.functions) this.keepFunction(call);
    for (const schema of facts.schemas) this.schemas.add(schema);
  }

  /** One entry per name and notation; a user function wins over a built-in of the same name. */
  private keepFunction(call: FunctionRef): void {
    const key = `${nameKey(call)}\u0000${call.attributeNotation}`;
    if (this.functions.get(key)?.builtin === false) return;
    this.functions.set(key, call);
  }

  build(via: NestedVia | null): StatementFacts {
    return {
      kinds: this.kinds,
      relations: [...this.relations.values()],
      schemas: [...this.schemas],
      functions: [...this.functions.values()],
      missingWhere: this.missingWhere,
      copyProgram: this.copyProgram,
      unresolvedDynamicSql: this.unresolvedDynamicSql,
      copy: this.copy,
      nested: this.nested,
      via,
    };
  }
}
