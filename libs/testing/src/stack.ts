import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, type LogLine } from './processes.js';
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
  /** Fixed ports (a benchmark's, a restart's); 0, the OS's choice, when not given. */
  httpPort?: number;
  grpcPort?: number;
  /** The relay data port agents open relayed sessions' data connections to. */
  relayDataPort?: number;
  relayPort?: number;
  adminToken?: string;
  /** A Redis key prefix of its own, so parallel suites never share BullMQ queues. */
  redisPrefix?: string;
  env?: Record<string, string>;
  /** The control plane's entry point (default: this checkout's build; the image test: the assembled tree's). */
  main?: string;
}

/** What tests add to a control plane: fast heartbeats and shutdown, every log line. */
const CONTROL_PLANE_TEST_TUNING: Record<string, string> = {
  POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '200',
  POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '1500',
  POSTERN_SHUTDOWN_GRACE_MS: '2000',
  POSTERN_LOG_LEVEL: 'debug',
};

/**
 * The environment of a control plane for tests and benchmarks: its database, a Redis prefix of
 * its own, the bootstrap admin token, every listener on 127.0.0.1 (port 0 unless given), TLS from
 * `tls` or plaintext; `options.env` last, overriding any of it.
 */
export function controlPlaneEnv(options: ControlPlaneOptions & { adminToken: string }): Record<string, string> {
  return {
    POSTERN_DATABASE_URL: options.databaseUrl,
    POSTERN_REDIS_URL: 'redis://127.0.0.1:6379',
    POSTERN_REDIS_PREFIX: options.redisPrefix ?? `postern-test-${randomBytes(4).toString('hex')}`,
    POSTERN_BOOTSTRAP_ADMIN_TOKEN: options.adminToken,
    POSTERN_HTTP_HOST: '127.0.0.1',
    POSTERN_HTTP_PORT: String(options.httpPort ?? 0),
    POSTERN_GRPC_HOST: '127.0.0.1',
    POSTERN_GRPC_PORT: String(options.grpcPort ?? 0),
    POSTERN_RELAY_POSTGRES_HOST: '127.0.0.1',
    POSTERN_RELAY_POSTGRES_PORT: String(options.relayPort ?? 0),
    POSTERN_RELAY_DATA_HOST: '127.0.0.1',
    POSTERN_RELAY_DATA_PORT: String(options.relayDataPort ?? 0),
    ...(options.tls
      ? { POSTERN_GRPC_TLS_CERT_FILE: options.tls.certFile, POSTERN_GRPC_TLS_KEY_FILE: options.tls.keyFile }
      : { POSTERN_GRPC_INSECURE: 'true', POSTERN_RELAY_INSECURE: 'true' }),
    ...options.env,
  };
}

/** Starts the built control plane as a real process and waits until both listeners are up. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlaneHandle> {
  const adminToken = options.adminToken ?? randomBytes(32).toString('base64url');
  const env = controlPlaneEnv({ ...options, adminToken, env: { ...CONTROL_PLANE_TEST_TUNING, ...options.env } });
  const process = new ManagedProcess('control-plane', options.main ?? CONTROL_PLANE_MAIN, env);
  let grpc: LogLine;
  let http: LogLine;
  try {
    // A process that exits fails this at once; the cap only matters on a machine so loaded that
    // Nest's boot (module graph, Prisma, Redis) takes tens of seconds.
    grpc = await process.waitForMessage('grpc listening', 60_000);
    http = await process.waitForMessage('http listening', 60_000);
  } catch (error) {
    // A control plane that never came up is not left running behind the failed test; its last
    // words go into the failure.
    await process.stop('SIGKILL');
    const tail = process.output().split('\n').slice(-12).join('\n');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tail}`);
  }
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
  /** The agent's entry point (default: this checkout's build). */
  main?: string;
}

/**
 * What tests add to an agent: fast reconnects, every log line, and its own allow-lists (fail
 * closed when unset) open to env secrets and any target.
 */
const AGENT_TEST_TUNING: Record<string, string> = {
  POSTERN_RECONNECT_INITIAL_MS: '100',
  POSTERN_RECONNECT_MAX_MS: '1000',
  POSTERN_LOG_LEVEL: 'debug',
  POSTERN_AGENT_SECRET_ALLOW: 'env:*',
  POSTERN_AGENT_TARGET_ALLOW: '*',
};

/**
 * The environment of an agent for tests and benchmarks: its control plane, state directory,
 * enrollment token, TLS to the control plane from `caFile` or plaintext; `options.env` last,
 * overriding any of it.
 */
export function agentEnv(options: AgentOptions): Record<string, string> {
  return {
    POSTERN_CONTROL_PLANE_ADDRESS: options.controlPlaneAddress,
    POSTERN_AGENT_STATE_DIR: options.stateDir,
    ...(options.enrollmentToken ? { POSTERN_ENROLLMENT_TOKEN: options.enrollmentToken } : {}),
    ...(options.caFile
      ? { POSTERN_CONTROL_PLANE_CA_FILE: options.caFile, POSTERN_CONTROL_PLANE_SERVER_NAME: 'localhost' }
      : { POSTERN_CONTROL_PLANE_INSECURE: 'true' }),
    ...options.env,
  };
}

/** Starts the built agent as a real process. */
export function startAgent(options: AgentOptions): ManagedProcess {
  return new ManagedProcess(
    'agent',
    options.main ?? AGENT_MAIN,
    agentEnv({ ...options, env: { ...AGENT_TEST_TUNING, ...options.env } }),
  );
}
