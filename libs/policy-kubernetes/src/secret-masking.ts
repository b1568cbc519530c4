/*
 * Secret masking of Kubernetes API responses (JSON documents): the values of a Secret's `data`
 * and `stringData` are replaced, in single objects, lists (items carry no kind there), watch
 * events, tables that include objects, and in the copy kubectl keeps in the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation. Pure: documents in, documents out.
 */

/** What a masked `data` value becomes: valid base64 (typed clients decode it), of "********". */
export const MASKED_BASE64 = Buffer.from('********').toString('base64');
/** What a masked `stringData` value becomes. */
export const MASKED_TEXT = '********';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Masks every Secret in `document` in place and returns how many values were masked.
 * `secretsRequest`: the request was for the `secrets` resource, so objects without a kind at the
 * top, in `items` or in a watch event's `object` are Secrets too (fail closed: they are masked).
 */
export function maskSecretsInDocument(document: unknown, secretsRequest: boolean): number {
  return walk(document, secretsRequest, 0);
}

/**
 * Parses, masks and re-serialises one JSON document. Returns null when nothing changed (the
 * original bytes can be sent as they are). Throws on text that is not JSON: a caller that must
 * mask refuses the response rather than forward it unread.
 */
export function maskSecretsInJson(text: string, secretsRequest: boolean): { text: string; masked: number } | null {
  const document: unknown = JSON.parse(text);
  const masked = maskSecretsInDocument(document, secretsRequest);
  return masked === 0 ? null : { text: JSON.stringify(document), masked };
}

const MAX_DEPTH = 64;

function walk(value: unknown, assumeSecret: boolean, depth: number): number {
  if (depth > MAX_DEPTH) return 0;
  if (Array.isArray(value)) {
    let count = 0;
    for (const item of value) count += walk(item, false, depth + 1);
    return count;
  }
  if (!isObject(value)) return 0;
  const kind = typeof value.kind === 'string' ? value.kind : null;
  let count = 0;
  if (kind === 'Secret' || (kind === null && assumeSecret)) count += maskSecret(value);
  const itemsAreSecrets = kind === 'SecretList' || (assumeSecret && (kind === null || kind.endsWith('List')));
  for (const [key, child] of Object.entries(value)) {
    if (key === 'items' && Array.isArray(child)) {
      for (const item of child) count += walk(item, itemsAreSecrets, depth + 1);
    } else if (key === 'object' && isObject(child)) {
      // A watch event's object, or a table row's object.
      count += walk(child, assumeSecret, depth + 1);
    } else if (key !== 'data' && key !== 'stringData') {
      count += walk(child, false, depth + 1);
    }
  }
  return count;
}

function maskSecret(secret: JsonObject): number {
  let count = 0;
  for (const [field, replacement] of [
    ['data', MASKED_BASE64],
    ['stringData', MASKED_TEXT],
  ] as const) {
    const values = secret[field];
    if (!isObject(values)) continue;
    for (const key of Object.keys(values)) {
      values[key] = replacement;
      count += 1;
    }
  }
  const metadata = secret.metadata;
  const annotations = isObject(metadata) ? metadata.annotations : undefined;
  if (isObject(annotations) && typeof annotations[LAST_APPLIED] === 'string') {
    annotations[LAST_APPLIED] = maskLastApplied(annotations[LAST_APPLIED]);
    count += 1;
  }
  return count;
}

function maskLastApplied(text: string): string {
  try {
    const applied: unknown = JSON.parse(text);
    if (!isObject(applied)) return MASKED_TEXT;
    maskSecret(applied);
    return JSON.stringify(applied);
  } catch {
    return MASKED_TEXT;
  }
}
