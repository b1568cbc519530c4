/*
 * An HTTP request as the rule model sees it. The engine writes a request as one canonical text
 * (`requestText`: the request line, then the headers rules may read), the analyser turns that
 * text into command facts: the method and READ/WRITE as kinds, the path (decoded, and with ids
 * normalised) as relations, headers and query parameters as `header.`/`query.` functions.
 */
import type { CommandAnalyser, CommandAnalysis, CommandFacts, FunctionRef, QualifiedName } from '@postern/policy';
import { HTTP_DIALECT } from './dialect.js';

export interface HttpRequestFacts extends CommandFacts {
  readonly method: string;
  /** The decoded path with dot segments resolved. */
  readonly path: string;
  /** The same with id-like segments as `*`. */
  readonly normalizedPath: string;
}

export interface HttpRequestParts {
  method: string;
  /** Path and query as the client sent them (origin form). */
  target: string;
  /** Headers rules may read (lower-case names); secrets must already be gone. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Longest request text analysed; longer ones are uncheckable (refused when a rule applies). */
export const MAX_REQUEST_TEXT = 64 * 1024;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The canonical text of a request: `METHOD target`, then `name: value` lines. */
export function requestText(parts: HttpRequestParts): string {
  let text = `${parts.method.toUpperCase()} ${parts.target}`;
  for (const [name, value] of Object.entries(parts.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value])
      text += `\n${name.toLowerCase()}: ${v.replace(/[\r\n]/g, ' ')}`;
  }
  return text;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_ID = /^(?=[a-f]*\d)[0-9a-f]{12,}$/i;
const NUMBER = /^\d+$/;

/** A path segment that names one object rather than a collection: digits, a uuid, a long hex id. */
export function isIdSegment(segment: string): boolean {
  return NUMBER.test(segment) || UUID.test(segment) || HEX_ID.test(segment);
}

/** `/users/123/keys/9f86d081884c` → `/users/*\/keys/*`. */
export function normalizePath(path: string): string {
  return path
    .split('/')
    .map((segment) => (isIdSegment(segment) ? '*' : segment))
    .join('/');
}

/**
 * The path as the upstream will resolve it: dot segments removed, percent-encoding decoded
 * (except an encoded `/`, which stays `%2F` so it cannot forge a segment), or null when the
 * target is not an origin-form path or its encoding is broken.
 */
export function canonicalPath(target: string): { path: string; query: string } | null {
  if (!target.startsWith('/') || target.startsWith('//')) return null;
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  const out: string[] = [];
  for (const raw of rawPath.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw.replace(/%2f/gi, '%252F'));
    } catch {
      return null;
    }
    if (segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return { path: `/${out.join('/')}`, query };
}

function ref(schema: string, name: string): FunctionRef {
  return { schema, name, attributeNotation: false, builtin: true };
}

/** Facts of a request text (see requestText). Never throws. */
export function analyzeHttp(text: string): CommandAnalysis<HttpRequestFacts> {
  if (text.length > MAX_REQUEST_TEXT) {
    return { ok: false, message: 'the request is too large to check', position: null, uncheckable: true };
  }
  const lines = text.split('\n');
  const requestLine = lines[0]!;
  const space = requestLine.indexOf(' ');
  const method = space < 0 ? '' : requestLine.slice(0, space);
  if (!TOKEN.test(method)) return { ok: false, message: 'not an HTTP request line', position: 0, uncheckable: true };
  const target = canonicalPath(requestLine.slice(space + 1));
  if (target === null) {
    return { ok: false, message: 'the request target is not a valid path', position: space + 1, uncheckable: true };
  }
  const functions: FunctionRef[] = [];
  const flags: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    functions.push(ref('header', name), ref('header', `${name}=${value}`));
    if (name === 'upgrade' && value.toLowerCase() === 'websocket') flags.push('websocket');
  }
  for (const [name, value] of new URLSearchParams(target.query)) {
    functions.push(ref('query', name), ref('query', `${name}=${value}`));
  }
  const normalizedPath = normalizePath(target.path);
  const relations: QualifiedName[] = [{ schema: null, name: target.path }];
  if (normalizedPath !== target.path) relations.push({ schema: null, name: normalizedPath });
  const upper = method.toUpperCase();
  const facts: HttpRequestFacts = {
    kinds: [upper, READ_METHODS.has(upper) ? 'READ' : 'WRITE'],
    relations,
    schemas: [],
    functions,
    missingWhere: false,
    copyProgram: false,
    unresolvedDynamicSql: false,
    via: null,
    flags,
    method: upper,
    path: target.path,
    normalizedPath,
  };
  return { ok: true, statements: [facts], all: [facts] };
}

/** The `http` dialect's analyser (request texts are cheap to analyse: no cache). */
export function httpAnalyser(): CommandAnalyser<HttpRequestFacts> {
  return { dialect: HTTP_DIALECT, analyze: analyzeHttp };
}
