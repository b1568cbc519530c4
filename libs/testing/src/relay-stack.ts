import { randomBytes } from 'node:crypto';
import { startStack, type StackOptions, type TestStack } from './stack-fixture.js';
import { selfSignedCertificate, type CertificateFiles } from './tls.js';

/**
 * A stack whose control plane opens relay front doors: TLS with a self-signed relay certificate
 * (clients trust `relayTls.certFile`), the doors on 127.0.0.1 port 0, the internal link on (so a
 * second replica started with `env` forwards to this one). One fixture for the relay suites (HTTP,
 * Kubernetes through the HTTP door) instead of a copy per file.
 */
export interface RelayStack {
  stack: TestStack;
  relayTls: CertificateFiles;
  /** The port each listening door bound, by protocol (`http`, `postgres`, …). */
  ports: Record<string, number>;
  /** The relay and internal-link settings: start another replica with them (and `redisPrefix`). */
  env: Record<string, string>;
  redisPrefix: string;
  /** GraphQL as the bootstrap admin; throws with the first error when there is no data. */
  admin<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export async function startRelayStack(options: {
  /** Prefix of the database name (one per test file). */
  name: string;
  /** POSTERN_RELAY_PROTOCOLS, e.g. `['http']` (postgres is always added: the test control plane configures its door). */
  protocols: string[];
  controlPlaneEnv?: Record<string, string>;
  stack?: Omit<StackOptions, 'name' | 'controlPlane'>;
}): Promise<RelayStack> {
  const protocols = [...new Set(['postgres', ...options.protocols])];
  const relayTls = await selfSignedCertificate(['localhost']);
  const redisPrefix = `postern-test-${options.name}-${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    POSTERN_RELAY_PROTOCOLS: protocols.join(','),
    ...Object.fromEntries(
      protocols.flatMap((protocol) => [
        [`POSTERN_RELAY_${protocol.toUpperCase()}_HOST`, '127.0.0.1'],
        [`POSTERN_RELAY_${protocol.toUpperCase()}_PORT`, '0'],
      ]),
    ),
    POSTERN_RELAY_TLS_CERT_FILE: relayTls.certFile,
    POSTERN_RELAY_TLS_KEY_FILE: relayTls.keyFile,
    POSTERN_INTERNAL_HOST: '127.0.0.1',
    POSTERN_INTERNAL_PORT: '0',
    POSTERN_INTERNAL_SECRET: randomBytes(32).toString('base64'),
    POSTERN_INTERNAL_INSECURE: 'true',
    // Slower heartbeats than the fixture's: on a loaded machine a stalled agent would be taken for
    // gone, and relayed requests refused as unavailable, mid-suite.
    POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '1000',
    POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '10000',
    ...options.controlPlaneEnv,
  };
  const stack = await startStack({
    ...options.stack,
    name: options.name.replace(/-/g, '_'),
    controlPlane: { redisPrefix, env },
  });
  const ports: Record<string, number> = {};
  for (const protocol of protocols) {
    ports[protocol] = Number((await stack.cp.process.waitForMessage(`${protocol} relay listening`))['port']);
  }
  return {
    stack,
    relayTls,
    ports,
    env,
    redisPrefix,
    admin: async <T>(query: string, variables: Record<string, unknown> = {}) => {
      const response = await stack.cp.admin<T>(query, variables);
      if (!response.data) throw new Error(response.errors?.[0]?.message ?? 'no data');
      return response.data;
    },
  };
}
