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

/**
 * SSH: host, port, user, the target's host key fingerprint (required: the agent never trusts a
 * host key on first use) and a reference to the private key or password. SSH brings its own
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
    return {
      targetHost: requireHost(spec.targetHost),
      targetPort: requirePort(spec.targetPort, 22),
      targetDatabase: null,
      targetUser: requireText(spec.targetUser, 'targetUser', 'SSH'),
      secretRef: secretRef(spec.secretRef),
      tlsMode: tlsMode(spec.tlsMode, 'disable', ['disable']),
      tlsCaRef: null,
      settings: { hostKeyFingerprint: fingerprint },
    };
  },
};
