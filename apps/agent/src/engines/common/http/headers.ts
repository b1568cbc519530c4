/*
 * Header handling shared by HTTP-speaking engines: hop-by-hop removal (RFC 9110 §7.6.1),
 * request framing checks against smuggling, and redaction for recordings and logs.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** Headers that describe one hop and are never forwarded (plus those a `Connection` header names). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Headers whose values are secrets in recordings and logs, whatever the connection says. */
export const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-postern-assertion',
]);

export const REDACTED = '[redacted]';

/** The headers to send on, without hop-by-hop headers and those `Connection` lists; `host` dropped (set per hop). */
export function endToEndHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders): Record<string, string | string[]> {
  const named = new Set<string>();
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of String(connection).split(',')) named.add(token.trim().toLowerCase());
  }
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || lower === 'host' || lower.startsWith(':')) continue;
    out[lower] = typeof value === 'number' ? String(value) : (value as string | string[]);
  }
  return out;
}

/** A copy for recordings and logs: secret headers (the default set and `extra`) show `[redacted]`. */
export function redactHeaders(
  headers: IncomingHttpHeaders | OutgoingHttpHeaders | Record<string, string | string[]>,
  extra: ReadonlySet<string> = new Set(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    out[lower] =
      SECRET_HEADERS.has(lower) || extra.has(lower)
        ? REDACTED
        : Array.isArray(value)
          ? value.join(', ')
          : String(value);
  }
  return out;
}

/**
 * Why a request's framing is ambiguous, or null when it is not. Node's parser already refuses
 * most of these; this is the second line, checked on the raw header list so nothing Node joined
 * or dropped hides a duplicate: several Content-Length fields, Content-Length with
 * Transfer-Encoding, a Transfer-Encoding other than exactly `chunked`, a header value with a
 * line break (obs-fold leftovers).
 */
export function framingProblem(request: IncomingMessage): string | null {
  let contentLengths = 0;
  let transferEncodings = 0;
  let transferEncoding = '';
  const raw = request.rawHeaders;
  for (let k = 0; k < raw.length; k += 2) {
    const name = raw[k]!.toLowerCase();
    const value = raw[k + 1]!;
    if (/[\r\n\0]/.test(value)) return 'a header value holds a line break';
    if (name === 'content-length') {
      contentLengths++;
      if (!/^\d+$/.test(value)) return 'Content-Length is not a number';
    } else if (name === 'transfer-encoding') {
      transferEncodings++;
      transferEncoding = value.trim().toLowerCase();
    }
  }
  if (contentLengths > 1) return 'more than one Content-Length';
  if (transferEncodings > 1) return 'more than one Transfer-Encoding';
  if (transferEncodings === 1 && contentLengths === 1) return 'both Content-Length and Transfer-Encoding';
  if (transferEncodings === 1 && transferEncoding !== 'chunked') return 'a Transfer-Encoding other than chunked';
  return null;
}
