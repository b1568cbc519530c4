/*
 * Names as PostgreSQL resolves them: unquoted identifiers are folded to lower case (ASCII only,
 * like `downcase_identifier`), quoted ones keep their case and may contain anything.
 */

import type { NameSyntax, QualifiedName } from '@postern/policy';

/** A relation or function name; `schema` is null when the SQL did not qualify it. */
export type { QualifiedName };

export interface IdentifierPart {
  readonly value: string;
  readonly quoted: boolean;
}

/** PostgreSQL folds only ASCII letters. */
export function foldIdentifier(identifier: string): string {
  return identifier.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;

/** The name as it would have to be written in SQL (quoted when folding would change it). */
export function quoteIdentifierIfNeeded(identifier: string): string {
  return PLAIN_IDENTIFIER.test(identifier) ? identifier : `"${identifier.replace(/"/g, '""')}"`;
}

export function displayName(name: QualifiedName): string {
  const base = quoteIdentifierIfNeeded(name.name);
  return name.schema === null ? base : `${quoteIdentifierIfNeeded(name.schema)}.${base}`;
}

/** From a parse-tree name list (`[schema, name]`, `[catalog, schema, name]` or `[name]`). */
export function qualifiedNameFromParts(parts: readonly string[]): QualifiedName | undefined {
  const name = parts[parts.length - 1];
  if (name === undefined) return undefined;
  const schema = parts.length >= 2 ? (parts[parts.length - 2] as string) : null;
  return { schema, name };
}

/**
 * Splits dotted identifier text ("billing.Orders", `"My Schema".t`) into parts; unquoted parts
 * are returned as written (the caller folds or validates them). Null on unbalanced quotes, empty
 * parts or stray characters. `isPlainChar` decides which characters an unquoted part may hold.
 */
export function splitIdentifierText(text: string, isPlainChar: (char: string) => boolean): IdentifierPart[] | null {
  const parts: IdentifierPart[] = [];
  let index = 0;
  for (;;) {
    const part = readIdentifierPart(text, index, isPlainChar);
    if (!part) return null;
    parts.push(part.part);
    index = part.end;
    if (index === text.length) return parts;
    if (text[index] !== '.') return null;
    index += 1;
  }
}

function readIdentifierPart(
  text: string,
  start: number,
  isPlainChar: (char: string) => boolean,
): { part: IdentifierPart; end: number } | null {
  if (text[start] === '"') return readQuotedPart(text, start);
  let end = start;
  while (end < text.length && text[end] !== '.' && isPlainChar(text[end] as string)) end += 1;
  if (end === start) return null;
  return { part: { value: text.slice(start, end), quoted: false }, end };
}

function readQuotedPart(text: string, start: number): { part: IdentifierPart; end: number } | null {
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === '"') {
      if (text[index + 1] !== '"') {
        return value === '' ? null : { part: { value, quoted: true }, end: index + 1 };
      }
      index += 1;
    }
    value += char;
    index += 1;
  }
  return null;
}

/** Identifier characters PostgreSQL's scanner accepts in an unquoted name. */
export function isIdentifierChar(char: string): boolean {
  return /[A-Za-z0-9_$]/.test(char) || char.charCodeAt(0) >= 0x80;
}

/**
 * A qualified name written as text, the way `'billing.orders'::regclass` or a search_path entry
 * reads it: surrounding whitespace ignored, unquoted parts folded. Null when it is not a name.
 */
export function parseNameText(text: string): string[] | null {
  const parts = splitIdentifierText(text.trim(), isIdentifierChar);
  if (!parts || parts.length > 3) return null;
  return parts.map((part) => (part.quoted ? part.value : foldIdentifier(part.value)));
}

const UNQUOTED_PATTERN_PART = /^[A-Za-z_\u0080-\uffff*][A-Za-z0-9_$\u0080-\uffff*]*$/;

/** Rule patterns written as PostgreSQL names: `"quoted"` parts exact, unquoted ones folded, `*` wildcards. */
export const POSTGRES_NAMES: NameSyntax = {
  splitPattern: (text) => splitIdentifierText(text, (char) => isIdentifierChar(char) || char === '*'),
  isValidUnquotedPart: (part) => UNQUOTED_PATTERN_PART.test(part),
  fold: foldIdentifier,
  display: displayName,
};
