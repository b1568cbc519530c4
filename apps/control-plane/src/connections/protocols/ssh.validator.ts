import { InvalidArgumentError } from '../../platform/errors/domain-error.js';
import type { ConnectionSpec } from '../connection.types.js';
import {
  requireAbsent,
  requireHost,
  requirePort,
  requireText,
  secretRef,
  tlsMode,
  type ConnectionTarget,
  type ConnectionValidator,
} from './connection-validator.js';

/** OpenSSH's `ssh-keygen -l` form of a SHA-256 host key fingerprint (unpadded base64). */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const MAX_FORWARD_DESTINATIONS = 64;
/** A DNS name of letter-digit-hyphen labels (no wildcard, no trailing dot), or a dotted IPv4 address. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]{2,45}$/;
const PORT = /^[1-9]\d{0,4}$/;

/**
 * One `ssh -L` destination, checked strictly and put in the form the agent compares the client's
 * direct-tcpip request with (`host:port`, lower case, IPv6 without brackets). No wildcards, no
 * ranges: an entry names one socket, as OpenSSH's PermitOpen does without `*`.
 */
export function forwardDestination(entry: string): string {
  const text = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  const split = bracketed ? [bracketed[1]!, bracketed[2]!] : text.split(':');
  const [host, port] = split.length === 2 ? split : ['', ''];
  const hostOk = bracketed
    ? IPV6.test(host!) && host!.includes(':') && isIpv6(host!)
    : IPV4.test(host!) || (DNS_NAME.test(host!) && !/^[\d.]+$/.test(host!));
  if (!hostOk || !PORT.test(port!) || Number(port) > 65535) {
    throw new InvalidArgumentError(
      `forwardDestinations: "${entry.slice(0, 80)}" is not host:port (a host name, an IPv4 address or [IPv6]:port; port 1-65535, no wildcards)`,
    );
  }
  return `${host}:${Number(port)}`;
}

/** The forwardDestinations setting, checked and joined as the agent reads it; null when there are none. */
export function forwardDestinations(entries: readonly string[] | null): string | null {
  if (entries === null || entries.length === 0) return null;
  if (entries.length > MAX_FORWARD_DESTINATIONS) {
    throw new InvalidArgumentError(`forwardDestinations: at most ${MAX_FORWARD_DESTINATIONS} entries`);
  }
  return [...new Set(entries.map(forwardDestination))].join(',');
}

/** The stored setting as GraphQL shows it (IPv6 back in brackets). */
export function forwardDestinationList(setting: string | undefined): string[] {
  if (!setting) return [];
  return setting.split(',').map((entry) => {
    const at = entry.lastIndexOf(':');
    const host = entry.slice(0, at);
    return host.includes(':') ? `[${host}]${entry.slice(at)}` : entry;
  });
}

function isIpv6(host: string): boolean {
  try {
    return new URL(`http://[${host}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/**
 * SSH: host, port, user, the target's host key fingerprint (required: the agent never trusts a
 * host key on first use), a reference to the private key or password, and the destinations
 * `ssh -L` may reach (none by default). SSH brings its own
 * transport security, so TLS settings do not apply.
 */
export const sshValidator: ConnectionValidator = {
  validate(spec: ConnectionSpec): ConnectionTarget {
    requireAbsent(spec, 'SSH', ['url', 'authHeaderName', 'targetDatabase', 'tlsCaRef']);
    const fingerprint = spec.hostKeyFingerprint;
    if (fingerprint === null || !FINGERPRINT.test(fingerprint)) {
      throw new InvalidArgumentError(
        'hostKeyFingerprint must be SHA256:<43 base64 characters>, as ssh-keygen -l prints it',
      );
    }
    const destinations = forwardDestinations(spec.forwardDestinations);
    return {
      targetHost: requireHost(spec.targetHost),
      targetPort: requirePort(spec.targetPort, 22),
      targetDatabase: null,
      targetUser: requireText(spec.targetUser, 'targetUser', 'SSH'),
      secretRef: secretRef(spec.secretRef),
      tlsMode: tlsMode(spec.tlsMode, 'disable', ['disable']),
      tlsCaRef: null,
      settings: {
        hostKeyFingerprint: fingerprint,
        ...(destinations === null ? {} : { forwardDestinations: destinations }),
      },
    };
  },
};
