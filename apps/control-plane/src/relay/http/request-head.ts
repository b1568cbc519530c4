/*
 * The first request's head as the relay's HTTP front door reads it: only enough to choose the
 * connection (the path prefix) and to check the caller's credential before any agent is asked
 * for anything. The bytes are replayed unchanged to the agent's HTTP engine, which parses them
 * again strictly (llhttp) and authenticates again; anything ambiguous here is refused rather than
 * guessed (fail closed).
 */

export interface RequestHead {
  method: string;
  /** The request target as sent (origin form). */
  target: string;
  /** Header fields by lower-case name, each value as sent (trimmed). */
  headers: ReadonlyMap<string, readonly string[]>;
}

export interface HeadProblem {
  status: 400 | 431;
  detail: string;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\/[^\s]*) HTTP\/1\.[01]$/;
const FIELD = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/**
 * The head at the start of `bytes`: null while it is incomplete (and within `maxBytes`), a problem
 * when it is too large or not an HTTP/1.x request in origin form.
 */
export function readRequestHead(bytes: Buffer, maxBytes: number): RequestHead | HeadProblem | null {
  const end = bytes.indexOf(CRLF2);
  if (end < 0 || end + 4 > maxBytes) {
    if (bytes.length > maxBytes || (end >= 0 && end + 4 > maxBytes)) {
      return { status: 431, detail: 'the request head is too large' };
    }
    return null;
  }
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0]!);
  if (requestLine === null) return { status: 400, detail: 'the request line is not HTTP/1.1 in origin form' };
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const field = FIELD.exec(line);
    // obs-fold, bare LF or CR, NUL: refused (the agent refuses them too; nothing is guessed here).
    if (field === null || /[\r\n\0]/.test(field[2]!)) return { status: 400, detail: 'a header field is malformed' };
    const name = field[1]!.toLowerCase();
    const values = headers.get(name);
    if (values) values.push(field[2]!);
    else headers.set(name, [field[2]!]);
  }
  return { method: requestLine[1]!, target: requestLine[2]!, headers };
}

/** Where else than `Authorization` a connection lets callers put their credential (its settings). */
export interface CredentialPlaces {
  header?: string | null;
  cookie?: string | null;
}

/**
 * The caller's Postern credential as the agent's engine reads it (the HTTP kit's `takeCredential`):
 * `Authorization` (Bearer, or Basic user:credential) first, then the header the connection names,
 * then the cookie it names; or why not.
 */
export function presentedCredential(
  head: RequestHead,
  places: CredentialPlaces = {},
): { user: string; password: string; bearer: boolean } | { missing: true } | { problem: string } {
  const values = head.headers.get('authorization');
  if (values === undefined) return otherPlaces(head, places);
  if (values.length > 1) return { problem: 'more than one Authorization header' };
  const [scheme, value = ''] = values[0]!.split(/ +/, 2);
  switch (scheme?.toLowerCase()) {
    case 'bearer':
      return value === '' ? { problem: 'an empty bearer token' } : { user: '', password: value, bearer: true };
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { problem: 'Basic credentials without a colon' };
      return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1), bearer: false };
    }
    default:
      return { problem: 'Authorization must be Bearer or Basic' };
  }
}

/** The bare credential in the connection's named header or cookie (a bearer token: no user name). */
function otherPlaces(
  head: RequestHead,
  places: CredentialPlaces,
): { user: string; password: string; bearer: boolean } | { missing: true } | { problem: string } {
  const bare = (password: string) => ({ user: '', password, bearer: true });
  if (places.header) {
    const values = head.headers.get(places.header.toLowerCase());
    if (values !== undefined && values.length > 1) return { problem: `more than one ${places.header} header` };
    if (values?.[0]) return bare(values[0]);
  }
  if (places.cookie) {
    for (const header of head.headers.get('cookie') ?? []) {
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq < 0 || part.slice(0, eq).trim() !== places.cookie) continue;
        const value = part
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
        try {
          if (value !== '') return bare(decodeURIComponent(value));
        } catch {
          return { problem: `the ${places.cookie} cookie is not URL-encoded text` };
        }
      }
    }
  }
  return { missing: true };
}

/** A complete answer ending the connection: a JSON problem body (RFC 9457), as the agent's engine writes them. */
export function problemAnswer(
  status: number,
  slug: string,
  title: string,
  detail?: string,
  extraHeaders: Record<string, string> = {},
): Buffer {
  const body = JSON.stringify({
    type: `urn:postern:${slug}`,
    title,
    status,
    ...(detail ? { detail } : {}),
  });
  return closingAnswer(status, 'application/problem+json', body, extraHeaders);
}

/**
 * A complete answer ending the connection in the Kubernetes API's own shape (a `Status` object,
 * as the agent's Kubernetes engine writes them), so kubectl prints the relay's refusal
 * ("error: You must be logged in to the server (Unauthorized)") as it would the API server's.
 */
export function kubernetesStatusAnswer(
  status: number,
  message: string,
  extraHeaders: Record<string, string> = {},
): Buffer {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: (REASONS[status] ?? 'Error').replace(/ /g, ''),
    code: status,
  });
  return closingAnswer(status, 'application/json', body, extraHeaders);
}

function closingAnswer(
  status: number,
  contentType: string,
  body: string,
  extraHeaders: Record<string, string>,
): Buffer {
  const reason = REASONS[status] ?? 'Error';
  const headers = Object.entries({
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...extraHeaders,
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return Buffer.from(`HTTP/1.1 ${status} ${reason}\r\n${headers}\r\n${body}`);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
