/*
 * An HTTP connection's settings as the engine reads them from the policy snapshot (the control
 * plane's http.validator checked them; anything unreadable here refuses the request, never falls
 * back to a weaker default).
 */
import type { ResolvedConnection } from '../engine.js';

export interface HttpConnectionSettings {
  url: URL;
  /** Header set to the connection's secret (secretRef); null: no header injection. */
  authHeaderName: string | null;
  /** How the secret is written in that header: as is, `Bearer <secret>`, or Basic of `user:password`. */
  authScheme: 'raw' | 'bearer' | 'basic';
  /** Query parameter set to the connection's secret; null: none. */
  authQueryParam: string | null;
  /** More headers set from secret references: name → `env:`/`file:` reference. */
  extraHeaders: Record<string, string>;
  /** Where callers may put their Postern credential besides Authorization. */
  credentialHeader: string | null;
  credentialCookie: string | null;
  /** How long a held request waits for a decision before it is answered 409 with the review id. */
  approvalHoldMs: number;
  /** Whether the signed identity assertion header is added. */
  identityAssertion: boolean;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

export class HttpSettingsError extends Error {}

export function readHttpSettings(connection: ResolvedConnection): HttpConnectionSettings {
  const s = connection.target.settings;
  let url: URL;
  try {
    url = new URL(s.url ?? '');
  } catch {
    throw new HttpSettingsError('the connection has no valid url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new HttpSettingsError('the url must be http(s)');
  const scheme = s.authScheme ?? 'raw';
  if (scheme !== 'raw' && scheme !== 'bearer' && scheme !== 'basic') {
    throw new HttpSettingsError(`unknown authScheme ${scheme}`);
  }
  const header = (name: string | undefined): string | null => {
    if (name === undefined || name === '') return null;
    if (!HEADER_NAME.test(name)) throw new HttpSettingsError(`invalid header name ${name.slice(0, 64)}`);
    return name.toLowerCase();
  };
  let extraHeaders: Record<string, string> = {};
  if (s.extraHeaders) {
    try {
      extraHeaders = JSON.parse(s.extraHeaders) as Record<string, string>;
    } catch {
      throw new HttpSettingsError('extraHeaders is not JSON');
    }
    for (const [name, ref] of Object.entries(extraHeaders)) {
      header(name);
      if (typeof ref !== 'string') throw new HttpSettingsError('extraHeaders values must be secret references');
    }
  }
  const hold = s.approvalHoldSeconds === undefined ? 30 : Number(s.approvalHoldSeconds);
  if (!Number.isInteger(hold) || hold < 0 || hold > 3600)
    throw new HttpSettingsError('approvalHoldSeconds must be 0–3600');
  const secret = connection.target.secretRef !== '';
  return {
    url,
    authHeaderName: secret ? header(s.authHeaderName ?? (s.authQueryParam ? undefined : 'authorization')) : null,
    authScheme: scheme,
    authQueryParam: secret && s.authQueryParam ? s.authQueryParam : null,
    extraHeaders,
    credentialHeader: header(s.credentialHeader),
    credentialCookie: s.credentialCookie || null,
    approvalHoldMs: hold * 1000,
    identityAssertion: s.identityAssertion === 'true',
  };
}
