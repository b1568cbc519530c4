/*
 * Helpers over libpg-query's JSON parse tree. Nodes typed `Node` in PostgreSQL are wrapped
 * (`{"RangeVar": {…}}`); fields with a concrete type hold the bare struct (`relation: {…}`).
 * Fields equal to their protobuf default (false, 0, "") are omitted, so `{}` can mean 0/false.
 */

export type AstObject = { readonly [key: string]: unknown };

export function asObject(value: unknown): AstObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AstObject) : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function stringField(node: AstObject | undefined, key: string): string | undefined {
  const value = node?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** The single `[type, body]` of a wrapped node, e.g. `{"DropStmt": {…}}`. */
export function unwrap(node: unknown): [string, AstObject] | undefined {
  const object = asObject(node);
  if (!object) return undefined;
  const keys = Object.keys(object);
  if (keys.length !== 1) return undefined;
  const type = keys[0] as string;
  const body = asObject(object[type]);
  return body ? [type, body] : undefined;
}

/** `{"String": {"sval": "x"}}` → "x" (an omitted sval is the empty string). */
export function stringNodeValue(node: unknown): string | undefined {
  const body = asObject(asObject(node)?.['String']);
  if (!body) return undefined;
  return stringField(body, 'sval') ?? '';
}

/** A list of String nodes (a qualified name) → its parts, or undefined if any part is not one. */
export function nameParts(list: unknown): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const parts: string[] = [];
  for (const item of list) {
    const part = stringNodeValue(item);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return parts;
}

/** `{"List": {"items": […]}}` → its items. */
export function listItems(node: unknown): readonly unknown[] | undefined {
  const body = asObject(asObject(node)?.['List']);
  return body ? asArray(body['items']) : undefined;
}

export const DML_NODE_TYPES: ReadonlySet<string> = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
