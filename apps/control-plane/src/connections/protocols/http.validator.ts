import { InvalidArgumentError } from '../../platform/errors/domain-error.js';
import type { ConnectionSpec } from '../connection.types.js';
import {
  requireAbsent,
  secretRef,
  targetUrl,
  tlsMode,
  type ConnectionTarget,
  type ConnectionValidator,
} from './connection-validator.js';

/** An RFC 9110 field name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
/** Headers the proxy itself owns: a secret there would break framing or routing, not authenticate. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'proxy-connection',
]);

/**
 * HTTP: the API's base URL (https, or http for plain in-segment services) and, optionally, a
 * reference to the value the agent puts in an authentication header (`authHeaderName`, default
 * Authorization). `tlsMode` for https: verify-full (default) or verify-ca with `tlsCaRef`.
 */
export const httpValidator: ConnectionValidator = {
  validate(spec: ConnectionSpec): ConnectionTarget {
    requireAbsent(spec, 'HTTP', [
      'targetHost',
      'targetPort',
      'targetDatabase',
      'targetUser',
      'hostKeyFingerprint',
      'forwardDestinations',
    ]);
    const target = targetUrl(spec.url, ['https:', 'http:']);
    if (spec.authHeaderName !== null && spec.secretRef === null) {
      throw new InvalidArgumentError('authHeaderName needs secretRef: the header is set to the referenced secret');
    }
    const header = spec.authHeaderName ?? 'Authorization';
    if (!HEADER_NAME.test(header) || RESERVED_HEADERS.has(header.toLowerCase())) {
      throw new InvalidArgumentError('authHeaderName must be a header name other than a hop-by-hop or framing header');
    }
    if (!target.secure && spec.tlsCaRef !== null) throw new InvalidArgumentError('tlsCaRef needs an https url');
    return {
      targetHost: target.host,
      targetPort: target.port,
      targetDatabase: null,
      targetUser: null,
      secretRef: secretRef(spec.secretRef),
      tlsMode: target.secure
        ? tlsMode(spec.tlsMode, 'verify-full', ['verify-ca', 'verify-full'])
        : tlsMode(spec.tlsMode, 'disable', ['disable']),
      tlsCaRef: secretRef(spec.tlsCaRef, 'tlsCaRef'),
      settings: {
        url: target.url,
        ...(spec.secretRef !== null &&
        !(spec.http?.authQueryParam && spec.authHeaderName === null && !spec.http.authScheme)
          ? { authHeaderName: header }
          : {}),
        ...httpOptions(spec),
      },
    };
  },
};

const QUERY_PARAM = /^[A-Za-z0-9._~-]{1,64}$/;
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/** The HTTP options as the agent reads them from the connection's settings (strings). */
function httpOptions(spec: ConnectionSpec): Record<string, string> {
  const http = spec.http ?? null;
  if (http === null) return {};
  const out: Record<string, string> = {};
  const scheme = http.authScheme ?? null;
  if (scheme !== null) {
    if (!['raw', 'bearer', 'basic'].includes(scheme)) {
      throw new InvalidArgumentError('http.authScheme must be raw, bearer or basic');
    }
    if (spec.secretRef === null) throw new InvalidArgumentError('http.authScheme needs secretRef');
    out.authScheme = scheme;
  }
  const queryParam = http.authQueryParam ?? null;
  if (queryParam !== null) {
    if (!QUERY_PARAM.test(queryParam)) {
      throw new InvalidArgumentError('http.authQueryParam must be a plain parameter name');
    }
    if (spec.secretRef === null) throw new InvalidArgumentError('http.authQueryParam needs secretRef');
    out.authQueryParam = queryParam;
  }
  const extraHeaders = http.extraHeaders ?? [];
  if (extraHeaders.length > 0) {
    const headers: Record<string, string> = {};
    for (const { name, secretRef: ref } of extraHeaders) {
      if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
        throw new InvalidArgumentError(`http.extraHeaders: "${name.slice(0, 64)}" is not a header the agent may set`);
      }
      headers[name.toLowerCase()] = secretRef(ref, 'http.extraHeaders.secretRef')!;
    }
    out.extraHeaders = JSON.stringify(headers);
  }
  for (const key of ['credentialHeader', 'credentialCookie'] as const) {
    const value = http[key] ?? null;
    if (value === null) continue;
    const valid =
      key === 'credentialHeader'
        ? HEADER_NAME.test(value) && !RESERVED_HEADERS.has(value.toLowerCase())
        : COOKIE_NAME.test(value);
    if (!valid) throw new InvalidArgumentError(`http.${key} is not a valid name`);
    out[key] = value;
  }
  const hold = http.approvalHoldSeconds ?? null;
  if (hold !== null) {
    if (!Number.isInteger(hold) || hold < 0 || hold > 3600) {
      throw new InvalidArgumentError('http.approvalHoldSeconds must be 0–3600');
    }
    out.approvalHoldSeconds = String(hold);
  }
  if (http.identityAssertion === true) out.identityAssertion = 'true';
  return out;
}
