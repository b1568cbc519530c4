import type { CommandDialect, NameSyntax, QualifiedName } from '@postern/policy';

/**
 * HTTP request kinds a rule's `statementKinds` names: the method, and READ (GET, HEAD, OPTIONS)
 * or WRITE (every other method) so that one rule covers every method that changes something.
 */
export const HTTP_KINDS = [
  'GET',
  'HEAD',
  'OPTIONS',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'TRACE',
  'CONNECT',
  'READ',
  'WRITE',
];
const KNOWN = new Set(HTTP_KINDS);

export function canonicalHttpKind(kind: string): string | null {
  const upper = kind.trim().toUpperCase();
  return KNOWN.has(upper) ? upper : null;
}

/** The parts a `functions` pattern may start with: a request header or a query parameter. */
export const REQUEST_PARTS = ['header', 'query'] as const;

const PATH = /^\/[^\s]*$/;
const PART = /^(header|query)\.([^\s=]+)(=[^\r\n]*)?$/;

/**
 * Names in http rules:
 * - `relations` are paths, one part, case-sensitive, `*` a wildcard that crosses `/`:
 *   `/admin/*`, `/users/*` (ids in request paths are normalised to `*`, so this also names
 *   `/users/123` exactly), `/v1/*\/delete`;
 * - `functions` are request parts: `header.<name>` or `header.<name>=<value>` (names lower case),
 *   `query.<name>` or `query.<name>=<value>`, values with `*` wildcards.
 */
export const HTTP_NAMES: NameSyntax = {
  splitPattern: (text) => {
    if (PATH.test(text)) return [{ value: text, quoted: false }];
    const part = PART.exec(text);
    if (part === null) return null;
    const name = part[1] === 'header' ? part[2]!.toLowerCase() : part[2]!;
    return [
      { value: part[1]!, quoted: false },
      { value: `${name}${part[3] ?? ''}`, quoted: false },
    ];
  },
  isValidUnquotedPart: (part) => part.length > 0 && !/[\s]/.test(part),
  fold: (identifier) => identifier,
  display: (name: QualifiedName) => (name.schema === null ? name.name : `${name.schema}.${name.name}`),
};

export const HTTP_DIALECT: CommandDialect = {
  name: 'http',
  canonicalKind: canonicalHttpKind,
  names: HTTP_NAMES,
  describeVia: (via) => via,
  flags: { websocket: 'as a WebSocket upgrade' },
};
