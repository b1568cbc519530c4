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
      settings: { url: target.url, ...(spec.secretRef !== null ? { authHeaderName: header } : {}) },
    };
  },
};
