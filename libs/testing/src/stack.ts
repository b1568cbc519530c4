import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from './processes.js';
import { graphql, type GraphqlResponse } from './graphql.js';
import type { CertificateFiles } from './tls.js';

/** Repository root, from libs/testing/{src,dist}/stack.*. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CONTROL_PLANE_MAIN = `${REPO_ROOT}apps/control-plane/dist/main.js`;
export const AGENT_MAIN = `${REPO_ROOT}apps/agent/dist/main.js`;

export interface ControlPlaneHandle {
  process: ManagedProcess;
  httpUrl: string;
  graphqlUrl: string;
  grpcAddress: string;
  grpcPort: number;
  /** The PostgreSQL relay listener's port (null when disabled). */
  relayPort: number | null;
  adminToken: string;
  env: Record<string, string>;
  /** GraphQL as the bootstrap admin. */
  admin<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphqlResponse<T>>;
}

export interface ControlPlaneOptions {
  databaseUrl: string;
  tls?: CertificateFiles;
  grpcPort?: number;
  relayPort?: number;
  adminToken?: string;
  /** A Redis key prefix of its own, so parallel suites never share BullMQ queues. */
  redisPrefix?: string;
  env?: Record<string, string>;
}

/** Starts the built control plane as a real process and waits until both listeners are up. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlaneHandle> {
  const adminToken = options.adminToken ?? randomBytes(32).toString('base64url');
  const env: Record<string, string> = {
    POSTERN_DATABASE_URL: options.databaseUrl,
    POSTERN_REDIS_URL: 'redis://127.0.0.1:6379',
    POSTERN_REDIS_PREFIX: options.redisPrefix ?? `postern-test-${randomBytes(4).toString('hex')}`,
    POSTERN_BOOTSTRAP_ADMIN_TOKEN: adminToken,
    POSTERN_HTTP_HOST: '127.0.0.1',
    POSTERN_HTTP_PORT: '0',
    POSTERN_GRPC_HOST: '127.0.0.1',
    POSTERN_GRPC_PORT: String(options.grpcPort ?? 0),
    POSTERN_RELAY_POSTGRES_HOST: '127.0.0.1',
    POSTERN_RELAY_POSTGRES_PORT: String(options.relayPort ?? 0),
    POSTERN_RELAY_DATA_HOST: '127.0.0.1',
    POSTERN_RELAY_DATA_PORT: '0',
    POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '200',
    POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '1500',
    POSTERN_SHUTDOWN_GRACE_MS: '2000',
    POSTERN_LOG_LEVEL: 'debug',
    ...(options.tls
      ? { POSTERN_GRPC_TLS_CERT_FILE: options.tls.certFile, POSTERN_GRPC_TLS_KEY_FILE: options.tls.keyFile }
      : { POSTERN_GRPC_INSECURE: 'true', POSTERN_RELAY_INSECURE: 'true' }),
    ...options.env,
  };
  const process = new ManagedProcess('control-plane', CONTROL_PLANE_MAIN, env);
  const grpc = await process.waitForMessage('grpc listening', 30_000);
  const http = await process.waitForMessage('http listening', 30_000);
  const relay = process.logs.find((line) => line.msg === 'postgres relay listening');
  const httpUrl = `http://127.0.0.1:${String(http['port'])}`;
  const graphqlUrl = `${httpUrl}/graphql`;
  return {
    process,
    httpUrl,
    graphqlUrl,
    grpcPort: Number(grpc['port']),
    relayPort: relay ? Number(relay['port']) : null,
    grpcAddress: `127.0.0.1:${String(grpc['port'])}`,
    adminToken,
    env,
    admin: (query, variables) => graphql(graphqlUrl, query, variables, adminToken),
  };
}

export interface AgentOptions {
  controlPlaneAddress: string;
  stateDir: string;
  enrollmentToken?: string;
  caFile?: string;
  env?: Record<string, string>;
}

/** Starts the built agent as a real process. */
export function startAgent(options: AgentOptions): ManagedProcess {
  return new ManagedProcess('agent', AGENT_MAIN, {
    POSTERN_CONTROL_PLANE_ADDRESS: options.controlPlaneAddress,
    POSTERN_AGENT_STATE_DIR: options.stateDir,
    POSTERN_RECONNECT_INITIAL_MS: '100',
    POSTERN_RECONNECT_MAX_MS: '1000',
    POSTERN_LOG_LEVEL: 'debug',
    // The agent's own allow-lists (fail closed when unset): stack tests use env secrets, any target.
    POSTERN_AGENT_SECRET_ALLOW: 'env:*',
    POSTERN_AGENT_TARGET_ALLOW: '*',
    ...(options.enrollmentToken ? { POSTERN_ENROLLMENT_TOKEN: options.enrollmentToken } : {}),
    ...(options.caFile
      ? { POSTERN_CONTROL_PLANE_CA_FILE: options.caFile, POSTERN_CONTROL_PLANE_SERVER_NAME: 'localhost' }
      : { POSTERN_CONTROL_PLANE_INSECURE: 'true' }),
    ...options.env,
  });
}
