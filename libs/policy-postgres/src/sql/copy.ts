/*
 * COPY details from a CopyStmt. Old-style options (`WITH CSV HEADER`, `BINARY`) arrive from the
 * parser as the same DefElem list as `WITH (FORMAT csv, HEADER)`.
 */
import { type AstObject, asArray, asObject, nameParts, stringField, stringNodeValue } from './ast.js';
import { parseBoolText } from './constant.js';
import type { CopyInfo } from './facts.js';

type OptionValue = string | boolean | readonly string[];

export function copyInfoOf(copy: AstObject): CopyInfo {
  const options = copyOptions(copy['options']);
  const relation = asObject(copy['relation']);
  const text = (name: string): string | null => {
    const value = options[name];
    return typeof value === 'string' ? value : null;
  };
  return {
    direction: copy['is_from'] === true ? 'from' : 'to',
    relation: relation
      ? { schema: stringField(relation, 'schemaname') ?? null, name: stringField(relation, 'relname') ?? '' }
      : null,
    columns: copy['attlist'] === undefined ? null : (nameParts(copy['attlist']) ?? []),
    query: copy['query'] !== undefined,
    target: copy['is_program'] === true ? 'program' : copy['filename'] !== undefined ? 'file' : 'stdio',
    location: stringField(copy, 'filename') ?? null,
    format: copyFormat(options['format']),
    delimiter: text('delimiter'),
    null: text('null'),
    quote: text('quote'),
    escape: text('escape'),
    header: copyHeader(options['header']),
    encoding: text('encoding'),
    options,
  };
}

/** PostgreSQL compares format names case-sensitively; anything else fails on the server. */
function copyFormat(value: OptionValue | undefined): CopyInfo['format'] {
  return value === 'csv' || value === 'binary' ? value : 'text';
}

function copyHeader(value: OptionValue | undefined): CopyInfo['header'] {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return false;
  if (value.toLowerCase() === 'match') return 'match';
  return parseBoolText(value) ?? false;
}

function copyOptions(list: unknown): Record<string, OptionValue> {
  const options: Record<string, OptionValue> = {};
  for (const item of asArray(list)) {
    const option = asObject(asObject(item)?.['DefElem']);
    const name = stringField(option, 'defname');
    if (option && name !== undefined) options[name] = optionValue(option['arg']);
  }
  return options;
}

function optionValue(arg: unknown): OptionValue {
  if (arg === undefined) return true;
  const object = asObject(arg);
  const text = stringNodeValue(arg);
  if (text !== undefined) return text;
  if (object?.['Boolean']) return asObject(object['Boolean'])?.['boolval'] === true;
  if (object?.['Integer']) return String(asObject(object['Integer'])?.['ival'] ?? 0);
  if (object?.['A_Star']) return '*';
  const items = asArray(asObject(object?.['List'])?.['items']);
  return items.map((item) => stringNodeValue(item) ?? '');
}
