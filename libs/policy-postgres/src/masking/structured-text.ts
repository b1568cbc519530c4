/**
 * Rewriting values whose text has a structure of its own — JSON documents and array literals —
 * one leaf at a time, so that the result is still a valid document: leaves are decoded before
 * detection (JSON escapes such as `\u0040` cannot hide an address) and re-encoded after masking.
 */

/** The value's text is not the JSON or array literal its type promises. */
export class MalformedValue extends Error {
  override readonly name = 'MalformedValue';
}

/** What a leaf becomes: a new string, SQL NULL (arrays only), or unchanged. */
export type LeafResult = string | null | undefined;

/**
 * Applies `maskString` to every JSON string (keys included, decoded) and `maskNumber` to every
 * number's text; a masked leaf is written back as a JSON string. Undefined when nothing changed.
 */
export function rewriteJson(
  text: string,
  maskString: (value: string) => string | undefined,
  maskNumber: (text: string) => string | undefined,
): string | undefined {
  let out: string | undefined;
  let copied = 0;
  const replace = (start: number, end: number, leaf: string) => {
    out = (out ?? '') + text.slice(copied, start) + JSON.stringify(leaf);
    copied = end;
  };
  const n = text.length;
  for (let i = 0; i < n;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      const raw = text.slice(i + 1, end - 1);
      const value = raw.includes('\\') ? decodeJsonString(text.slice(i, end)) : raw;
      const masked = maskString(value);
      if (masked !== undefined) replace(i, end, masked);
      i = end;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
      const masked = maskNumber(text.slice(i, end));
      if (masked !== undefined) replace(i, end, masked);
      i = end;
    } else {
      i++;
    }
  }
  return out === undefined ? undefined : out + text.slice(copied);
}

/** Index just past the closing quote of the JSON string opening at `open`. */
function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  throw new MalformedValue('unterminated JSON string');
}

function decodeJsonString(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new MalformedValue('invalid JSON string escape');
  }
}

const isNumberChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2b || c === 0x2d || (c | 0x20) === 0x65;

/**
 * Applies `maskElement` to every non-NULL element of a PostgreSQL array literal (`{a,"b c"}`,
 * `{{1,2},{3,4}}`, `[0:1]={x,y}`), decoded; a masked element is written back quoted, a NULL
 * result as `NULL`. Undefined when nothing changed. The delimiter is `,` (every type but box).
 */
export function rewriteArrayLiteral(text: string, maskElement: (element: string) => LeafResult): string | undefined {
  let i = 0;
  if (text.startsWith('[')) {
    i = text.indexOf('=') + 1; // dimension decoration, `[1:2]={…}`
    if (i === 0) throw new MalformedValue('array dimensions without =');
  }
  if (text[i] !== '{') throw new MalformedValue('array literal without {');
  let out: string | undefined;
  let copied = 0;
  let depth = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (--depth === 0) break;
      i++;
    } else if (c === ',' || c === ' ') {
      i++;
    } else {
      const { value, end, isNull } = c === '"' ? quotedElement(text, i) : bareElement(text, i);
      const masked = isNull ? undefined : maskElement(value);
      if (masked !== undefined) {
        out = (out ?? '') + text.slice(copied, i) + (masked === null ? 'NULL' : quoteElement(masked));
        copied = end;
      }
      i = end;
    }
  }
  if (depth !== 0 || i !== n - 1) throw new MalformedValue('unbalanced array literal');
  return out === undefined ? undefined : out + text.slice(copied);
}

function quotedElement(text: string, open: number): { value: string; end: number; isNull: boolean } {
  let value = '';
  let from = open + 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      value += text.slice(from, i);
      from = ++i; // the escaped character is kept
    } else if (c === '"') {
      return { value: value + text.slice(from, i), end: i + 1, isNull: false };
    }
  }
  throw new MalformedValue('unterminated quoted array element');
}

function bareElement(text: string, start: number): { value: string; end: number; isNull: boolean } {
  let end = start;
  while (end < text.length && text[end] !== ',' && text[end] !== '}') end++;
  const value = text.slice(start, end);
  return { value, end, isNull: value.length === 4 && value.toUpperCase() === 'NULL' };
}

function quoteElement(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
