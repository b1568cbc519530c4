import { databaseValidator } from './connection-validator.js';

/**
 * MySQL / MariaDB: host, port, database, user, password reference. `tlsMode` maps to MySQL's
 * ssl-mode: disable = DISABLED, prefer = PREFERRED, require = REQUIRED, verify-ca = VERIFY_CA,
 * verify-full = VERIFY_IDENTITY.
 */
export const mysqlValidator = databaseValidator('MYSQL', 3306);
