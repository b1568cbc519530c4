/*
 * Names as rules see them in MySQL/MariaDB. Whether `Orders` and `orders` are one table depends
 * on the server (lower_case_table_names, the file system); column, routine and variable names
 * are case-insensitive everywhere. The gateway cannot see the setting, so every name is compared
 * in lower case (fail closed: a rule on `orders` also matches `Orders`). Backquotes change no
 * case in MySQL: they only let a name hold any character, so a quoted pattern part is exact
 * except for case, and never a wildcard.
 */
import type { NameSyntax, QualifiedName } from '@postern/policy';

export type { QualifiedName };

/** How facts and patterns are compared: lower case (Unicode, as MySQL's collations fold). */
export function foldName(name: string): string {
  return name.toLowerCase();
}

const PLAIN = /^[a-z_$][a-z0-9_$]*$/;

export function quoteIdentifierIfNeeded(identifier: string): string {
  return PLAIN.test(identifier) || identifier === '*' ? identifier : `\`${identifier.replace(/`/g, '``')}\``;
}

export function displayName(name: QualifiedName): string {
  const base = quoteIdentifierIfNeeded(name.name);
  return name.schema === null ? base : `${quoteIdentifierIfNeeded(name.schema)}.${base}`;
}

const UNQUOTED_PART = /^[A-Za-z0-9_$\u0080-\uffff*]+$/;

/** `db.t`, `` `my db`.t ``, `audit.*`: null on unbalanced backquotes, empty parts or stray characters. */
function splitPattern(text: string): { value: string; quoted: boolean }[] | null {
  const parts: { value: string; quoted: boolean }[] = [];
  let index = 0;
  for (;;) {
    if (text[index] === '`') {
      let value = '';
      let cursor = index + 1;
      for (;;) {
        if (cursor >= text.length) return null;
        if (text[cursor] === '`') {
          if (text[cursor + 1] !== '`') break;
          cursor += 1;
        }
        value += text[cursor];
        cursor += 1;
      }
      if (value === '') return null;
      parts.push({ value: foldName(value), quoted: true });
      index = cursor + 1;
    } else {
      let end = index;
      while (end < text.length && text[end] !== '.' && text[end] !== '`') end += 1;
      if (end === index) return null;
      parts.push({ value: text.slice(index, end), quoted: false });
      index = end;
    }
    if (index === text.length) return parts;
    if (text[index] !== '.') return null;
    index += 1;
  }
}

/** Rule patterns written as MySQL names: `` `quoted` `` parts exact (but for case), unquoted ones with `*` wildcards. */
export const MYSQL_NAMES: NameSyntax = {
  splitPattern,
  isValidUnquotedPart: (part) => UNQUOTED_PART.test(part),
  fold: foldName,
  display: displayName,
};
