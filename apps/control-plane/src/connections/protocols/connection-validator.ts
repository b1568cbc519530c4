import { InvalidArgumentError } from '../../platform/errors/domain-error.js';
import type { ConnectionSpec, NewConnection, TlsMode } from '../connection.types.js';

/** What a protocol's validator makes of a spec: the target part of a new connection. */
export type ConnectionTarget = Omit<NewConnection, 'name' | 'protocol' | 'agentId' | 'agentGroupId'>;

/**
 * Checks a connection spec for one protocol and returns its target, defaults filled in. Each
 * protocol has one (protocols/index.ts); a protocol in the enum without one does not compile.
 * Throws InvalidArgumentError naming the field.
 */
export interface ConnectionValidator {
  validate(spec: ConnectionSpec): ConnectionTarget;
}

const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]{0,127}|file:\/[^\0]{1,1023})$/;
const HOST = /^[A-Za-z0-9.:\-[\]]{1,253}$/;
export const TLS_MODES: readonly TlsMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** The spec fields each protocol may use; the others must be absent (null). */
type OptionalField = Exclude<keyof ConnectionSpec, 'name' | 'protocol' | 'agentId' | 'agentGroupId'>;

export function requireAbsent(spec: ConnectionSpec, protocol: string, fields: OptionalField[]): void {
  for (const field of fields) {
    if (spec[field] !== null) throw new InvalidArgumentError(`${field} does not apply to ${protocol} connections`);
  }
}

export function requireHost(host: string | null): string {
  if (host === null || !HOST.test(host))
    throw new InvalidArgumentError('targetHost is not a valid host name or address');
  return host;
}

export function requirePort(port: number | null, fallback?: number): number {
  const value = port ?? fallback;
  if (value === undefined || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidArgumentError('targetPort must be 1..65535');
  }
  return value;
}

export function requireText(value: string | null, field: string, protocol: string): string {
  if (!value) throw new InvalidArgumentError(`${field} is required for ${protocol} connections`);
  if (value.length > 255 || value.includes('\0')) throw new InvalidArgumentError(`${field} is too long or invalid`);
  return value;
}

/** A reference resolved on the agent (`env:NAME`, `file:/path`): the secret itself never reaches Postern. */
export function secretRef(value: string | null, field = 'secretRef'): string | null {
  if (value !== null && !SECRET_REF.test(value)) {
    throw new InvalidArgumentError(
      `${field} must be env:NAME or file:/absolute/path (the secret itself is never sent to Postern)`,
    );
  }
  return value;
}

export function tlsMode(value: string | null, fallback: TlsMode, allowed: readonly TlsMode[] = TLS_MODES): TlsMode {
  const mode = (value ?? fallback) as TlsMode;
  if (!allowed.includes(mode)) throw new InvalidArgumentError(`tlsMode must be one of ${allowed.join(', ')}`);
  return mode;
}

/**
 * A target URL (Kubernetes API server, HTTP API): absolute, of an allowed scheme, without
 * credentials, query or fragment (those would travel in clear through the control plane's data).
 * Returns it normalised, with the host and port the agent dials.
 */
export function targetUrl(
  value: string | null,
  schemes: readonly ('https:' | 'http:')[],
): { url: string; host: string; port: number; secure: boolean } {
  if (!value) throw new InvalidArgumentError('url is required');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('url is not an absolute URL');
  }
  if (!(schemes as readonly string[]).includes(url.protocol)) {
    throw new InvalidArgumentError(`url must start with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  }
  if (url.username || url.password) throw new InvalidArgumentError('url must not carry credentials: use secretRef');
  if (url.search || url.hash) throw new InvalidArgumentError('url must not have a query or fragment');
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    url: url.href.replace(/\/$/, ''),
    host: requireHost(host),
    port: requirePort(url.port === '' ? null : Number(url.port), secure ? 443 : 80),
    secure,
  };
}

/**
 * A database reached by host, port, database and user with a password reference and a TLS mode
 * (PostgreSQL, MySQL): fields of other protocols are refused.
 */
export function databaseValidator(protocol: string, defaultPort: number): ConnectionValidator {
  return {
    validate(spec: ConnectionSpec): ConnectionTarget {
      requireAbsent(spec, protocol, ['url', 'hostKeyFingerprint', 'authHeaderName', 'forwardDestinations']);
      return {
        targetHost: requireHost(spec.targetHost),
        targetPort: requirePort(spec.targetPort, defaultPort),
        targetDatabase: requireText(spec.targetDatabase, 'targetDatabase', protocol),
        targetUser: requireText(spec.targetUser, 'targetUser', protocol),
        secretRef: secretRef(spec.secretRef),
        tlsMode: tlsMode(spec.tlsMode, 'prefer'),
        tlsCaRef: secretRef(spec.tlsCaRef, 'tlsCaRef'),
        settings: {},
      };
    },
  };
}
