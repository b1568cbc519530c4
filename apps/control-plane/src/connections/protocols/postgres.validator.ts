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

/** PostgreSQL: host, port, database, user, password reference; `tlsMode` reads as libpq's sslmode. */
export const postgresValidator: ConnectionValidator = {
  validate(spec: ConnectionSpec): ConnectionTarget {
    requireAbsent(spec, 'POSTGRES', ['url', 'hostKeyFingerprint', 'authHeaderName']);
    return {
      targetHost: requireHost(spec.targetHost),
      targetPort: requirePort(spec.targetPort, 5432),
      targetDatabase: requireText(spec.targetDatabase, 'targetDatabase', 'POSTGRES'),
      targetUser: requireText(spec.targetUser, 'targetUser', 'POSTGRES'),
      secretRef: secretRef(spec.secretRef),
      tlsMode: tlsMode(spec.tlsMode, 'prefer'),
      tlsCaRef: secretRef(spec.tlsCaRef, 'tlsCaRef'),
      settings: {},
    };
  },
};
