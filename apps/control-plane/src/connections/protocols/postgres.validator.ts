import { databaseValidator } from './connection-validator.js';

/** PostgreSQL: host, port, database, user, password reference; `tlsMode` reads as libpq's sslmode. */
export const postgresValidator = databaseValidator('POSTGRES', 5432);
