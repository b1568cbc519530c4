import type { Attributes } from '@opentelemetry/api';

/** The tracer name Prisma's spans carry (@prisma/instrumentation): its SQL is the control plane's own, parameterised. */
export const PRISMA_SCOPE = 'prisma';

/** Attribute keys that carry statement or document text. */
const STATEMENT_KEYS = new Set(['db.statement', 'db.query.text', 'graphql.source']);
/** Keys whose name says they hold a secret, whatever the instrumentation that set them. */
const SECRET_KEY = /password|passwd|secret|token|authorization|cookie|credential|api[-_]?key|private[-_]?key/i;
/** Prefixes of attributes that carry request values (GraphQL variables, query parameters). */
const VALUE_PREFIXES = ['db.query.parameter.', 'graphql.variables.', 'rpc.request.metadata.', 'http.request.header.'];

/**
 * What of a span's attributes may leave the process. Statement text is kept only on Prisma's spans
 * (the control plane's own parameterised SQL, values travel as bind parameters); every other
 * statement or document text (Redis commands, a GraphQL document that may inline a password
 * literal), anything named like a secret and any request value is dropped. Returns the same
 * object when nothing is dropped.
 */
export function redactAttributes(scope: string, attributes: Attributes): Attributes {
  let kept: Attributes | null = null;
  for (const key of Object.keys(attributes)) {
    if (!dropped(scope, key)) continue;
    kept ??= { ...attributes };
    delete kept[key];
  }
  return kept ?? attributes;
}

function dropped(scope: string, key: string): boolean {
  if (STATEMENT_KEYS.has(key)) return !(scope === PRISMA_SCOPE && key !== 'graphql.source');
  if (VALUE_PREFIXES.some((prefix) => key.startsWith(prefix))) return true;
  return SECRET_KEY.test(key);
}
