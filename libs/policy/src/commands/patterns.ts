/*
 * Name patterns in rules: `orders`, `public.orders`, `audit.*`, `dblink*`, `"Orders"`.
 * Unquoted parts are folded the way the dialect folds unquoted identifiers (PostgreSQL: lower
 * case), and may use `*` as a wildcard; quoted parts match exactly (no wildcard).
 */
import type { NameSyntax, QualifiedName } from './contract.js';

export interface NamePattern {
  readonly text: string;
  readonly schema: PartMatcher | null;
  readonly name: PartMatcher;
}

interface PartMatcher {
  readonly matches: (value: string) => boolean;
  /** `*`: matches every name. */
  readonly matchesAll: boolean;
  /** The one name matched, when the part has no wildcard. */
  readonly exact: string | null;
}

/** Why `text` is not a pattern with at most `maxParts` parts, or null when it is one. */
export function patternProblem(syntax: NameSyntax, text: string, maxParts: 1 | 2): string | null {
  const parts = syntax.splitPattern(text);
  if (!parts) return 'is not an identifier pattern (letters, digits, _, $, * or "quoted" parts)';
  if (parts.length > maxParts) {
    return maxParts === 1 ? 'must be a single name' : 'must be "name" or "schema.name"';
  }
  const bad = parts.find((part) => !part.quoted && !syntax.isValidUnquotedPart(part.value));
  return bad ? `has an invalid part "${bad.value}"` : null;
}

/** Compiles a pattern already checked by `patternProblem`. */
export function compilePattern(syntax: NameSyntax, text: string): NamePattern {
  const parts = syntax.splitPattern(text) ?? [];
  const matchers = parts.map((part) => (part.quoted ? exactPart(part.value) : globPart(syntax.fold(part.value))));
  const name = matchers[matchers.length - 1] ?? exactPart('');
  return { text, schema: matchers.length === 2 ? (matchers[0] as PartMatcher) : null, name };
}

function exactPart(value: string): PartMatcher {
  return { matches: (candidate) => candidate === value, matchesAll: false, exact: value };
}

function globPart(value: string): PartMatcher {
  if (!value.includes('*')) return exactPart(value);
  if (/^\*+$/.test(value)) return { matches: () => true, matchesAll: true, exact: null };
  const source = value
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return { matches: (candidate) => regex.test(candidate), matchesAll: false, exact: null };
}

/**
 * A schema-qualified pattern also matches an unqualified name: which schema the name resolves
 * to depends on search_path, which the gateway cannot see (fail closed; exact for pg_catalog,
 * which is searched first). A whole-schema pattern (`audit.*`) only matches qualified names —
 * otherwise it would match every unqualified name; a `schemas` rule covers `SET search_path`.
 */
export function nameMatches(pattern: NamePattern, name: QualifiedName): boolean {
  if (!pattern.name.matches(name.name)) return false;
  if (pattern.schema === null) return true;
  if (name.schema === null) return !pattern.name.matchesAll;
  return pattern.schema.matches(name.schema);
}

export function schemaMatches(pattern: NamePattern, schema: string): boolean {
  return pattern.name.matches(schema);
}

/**
 * A rule's list of patterns, compiled for the hot path: exact unqualified names (the common
 * case: `pg_read_file`, `orders`) are one Set lookup per name, the others are tested in turn.
 */
export class NamePatternSet {
  private readonly exactNames = new Set<string>();
  private readonly others: NamePattern[] = [];

  constructor(syntax: NameSyntax, patterns: readonly string[]) {
    for (const pattern of patterns.map((text) => compilePattern(syntax, text))) {
      if (pattern.schema === null && pattern.name.exact !== null) this.exactNames.add(pattern.name.exact);
      else this.others.push(pattern);
    }
  }

  /**
   * The first name matching any pattern, or null. A possible call in attribute notation (`t.x`,
   * far more often a column than a call) is only matched by patterns without wildcards.
   */
  firstName<T extends QualifiedName & { readonly attributeNotation?: boolean }>(names: readonly T[]): T | null {
    for (const name of names) {
      if (this.exactNames.has(name.name)) return name;
      for (const pattern of this.others) {
        if (name.attributeNotation === true && pattern.name.exact === null) continue;
        if (nameMatches(pattern, name)) return name;
      }
    }
    return null;
  }

  /** The first schema matching any pattern, or null. */
  firstSchema(schemas: readonly string[]): string | null {
    for (const schema of schemas) {
      if (this.exactNames.has(schema)) return schema;
      for (const pattern of this.others) if (schemaMatches(pattern, schema)) return schema;
    }
    return null;
  }
}
