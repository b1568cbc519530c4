import type { ConnectionProtocol } from '../connection.types.js';
import type { ConnectionValidator } from './connection-validator.js';
import { httpValidator } from './http.validator.js';
import { kubernetesValidator } from './kubernetes.validator.js';
import { mysqlValidator } from './mysql.validator.js';
import { postgresValidator } from './postgres.validator.js';
import { sshValidator } from './ssh.validator.js';

/**
 * One validator per protocol of the enum: a protocol added to the enum without a line here does
 * not compile. Whether an agent can serve the connection is the agent's business: it refuses
 * connections of protocols it has no engine for.
 */
export const CONNECTION_VALIDATORS: { readonly [P in ConnectionProtocol]: ConnectionValidator } = {
  POSTGRES: postgresValidator,
  MYSQL: mysqlValidator,
  SSH: sshValidator,
  KUBERNETES: kubernetesValidator,
  HTTP: httpValidator,
};

export type { ConnectionTarget, ConnectionValidator } from './connection-validator.js';
