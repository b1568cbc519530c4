/*
 * The caller's Postern credential (a connection credential or an OIDC access token) as HTTP
 * carries it, taken out of the request so that it never reaches the upstream: `Authorization:
 * Bearer`, `Authorization: Basic` (user and password), a header the connection names, or a cookie
 * the connection names. `Proxy-Authorization` is read the same way (clients behind a forward proxy
 * configuration send it) and always removed.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface CredentialSources {
  /** A header carrying the bare credential, e.g. `x-postern-token` (lower case). */
  header?: string | null;
  /** A cookie carrying the bare credential, e.g. `postern_token`. */
  cookie?: string | null;
}

export interface PresentedCredential {
  /** The user name a Basic credential names ('' otherwise). */
  user: string;
  secret: string;
  source: 'bearer' | 'basic' | 'header' | 'cookie';
}

/**
 * Finds the credential and removes every place one may sit, in `headers` (mutated): a second
 * credential in another place is removed too, never forwarded. Returns the first found in the
 * order Authorization, Proxy-Authorization, the named header, the named cookie.
 */
export function takeCredential(
  headers: IncomingHttpHeaders,
  sources: CredentialSources = {},
): PresentedCredential | null {
  let found: PresentedCredential | null = null;
  for (const name of ['authorization', 'proxy-authorization']) {
    const value = headers[name];
    delete headers[name];
    if (found === null && typeof value === 'string') found = parseAuthorization(value);
  }
  const headerName = sources.header?.toLowerCase();
  if (headerName) {
    const value = headers[headerName];
    delete headers[headerName];
    if (found === null && typeof value === 'string' && value.trim() !== '') {
      found = { user: '', secret: value.trim(), source: 'header' };
    }
  }
  if (sources.cookie && typeof headers.cookie === 'string') {
    const { value, rest } = takeCookie(headers.cookie, sources.cookie);
    if (rest === '') delete headers.cookie;
    else headers.cookie = rest;
    if (found === null && value) found = { user: '', secret: value, source: 'cookie' };
  }
  return found;
}

function parseAuthorization(value: string): PresentedCredential | null {
  const space = value.indexOf(' ');
  if (space < 0) return null;
  const scheme = value.slice(0, space).toLowerCase();
  const rest = value.slice(space + 1).trim();
  if (scheme === 'bearer' && rest !== '') return { user: '', secret: rest, source: 'bearer' };
  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1), source: 'basic' };
  }
  return null;
}

/** Splits a Cookie header into the named cookie's value and the others (as a Cookie header). */
export function takeCookie(header: string, name: string): { value: string | null; rest: string } {
  let value: string | null = null;
  const kept: string[] = [];
  for (const part of header.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const key = eq < 0 ? trimmed : trimmed.slice(0, eq);
    if (key === name) {
      if (value === null) value = decodeURIComponent(trimmed.slice(eq + 1).replace(/^"|"$/g, ''));
    } else kept.push(trimmed);
  }
  return { value, rest: kept.join('; ') };
}
