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

/**
 * Kubernetes: the API server's https URL, its CA (`tlsCaRef`; the system's CAs when absent) and a
 * reference to the service-account token the agent presents (required: the agent never forwards
 * the user's own credentials to the API server). The certificate is always verified.
 */
export const kubernetesValidator: ConnectionValidator = {
  validate(spec: ConnectionSpec): ConnectionTarget {
    requireAbsent(spec, 'KUBERNETES', [
      'targetHost',
      'targetPort',
      'targetDatabase',
      'targetUser',
      'hostKeyFingerprint',
      'authHeaderName',
      'forwardDestinations',
    ]);
    const target = targetUrl(spec.url, ['https:']);
    if (spec.secretRef === null) {
      throw new InvalidArgumentError('secretRef (the service-account token) is required for KUBERNETES connections');
    }
    return {
      targetHost: target.host,
      targetPort: target.port,
      targetDatabase: null,
      targetUser: null,
      secretRef: secretRef(spec.secretRef),
      tlsMode: tlsMode(spec.tlsMode, 'verify-full', ['verify-ca', 'verify-full']),
      tlsCaRef: secretRef(spec.tlsCaRef, 'tlsCaRef'),
      settings: { url: target.url },
    };
  },
};
