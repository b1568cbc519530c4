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

/**
 * MySQL / MariaDB: host, port, database, user, password reference. `tlsMode` maps to MySQL's
 * ssl-mode: disable = DISABLED, prefer = PREFERRED, require = REQUIRED, verify-ca = VERIFY_CA,
 * verify-full = VERIFY_IDENTITY.
 */
export const mysqlValidator: ConnectionValidator = {
  validate(spec: ConnectionSpec): ConnectionTarget {
    requireAbsent(spec, 'MYSQL', ['url', 'hostKeyFingerprint', 'authHeaderName']);
    return {
      targetHost: requireHost(spec.targetHost),
      targetPort: requirePort(spec.targetPort, 3306),
      targetDatabase: requireText(spec.targetDatabase, 'targetDatabase', 'MYSQL'),
      targetUser: requireText(spec.targetUser, 'targetUser', 'MYSQL'),
      secretRef: secretRef(spec.secretRef),
      tlsMode: tlsMode(spec.tlsMode, 'prefer'),
      tlsCaRef: secretRef(spec.tlsCaRef, 'tlsCaRef'),
      settings: {},
    };
  },
};
