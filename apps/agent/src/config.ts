import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ReachEntryError, ReachPolicy, type ReachSettings } from './reach/reach-policy.js';
import type { LimitSettings } from './sessions/limits.js';
import { tracingSettings, type TracingSettings } from '@postern/tracing';
import { z } from 'zod';

/** The agent's configuration: read once from the environment at start and validated. */
export interface AgentConfig {
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  controlPlane: {
    address: string;
    tls: { caFile: string | null; serverName: string | null } | null;
  };
  enrollmentToken: string | null;
  /**
   * The host name this agent reports (hello, enrollment). An agent-group join token names each
   * replica `<group>-<host>`, so it must differ between replicas: the Helm chart sets the pod's
   * name (which also holds with hostNetwork, where os.hostname() is the node's).
   */
  hostname: string;
  /**
   * The observability port (`/metrics`, `/healthz`, `/readyz`), off when null; `token` is the
   * bearer /metrics requires (read from POSTERN_AGENT_METRICS_TOKEN_FILE at boot), null for none.
   */
  metrics: { host: string; port: number; token: string | null } | null;
  /** OpenTelemetry traces (POSTERN_TRACING=otlp and the standard OTEL_* variables); null: off. */
  tracing: TracingSettings | null;
  /**
   * Local ingress listeners, one per `POSTERN_AGENT_<PROTOCOL>_LISTEN` variable set (protocol in
   * lower case: `POSTERN_AGENT_POSTGRES_LISTEN` → `postgres`). Each needs a registered engine.
   */
  listeners: ListenerConfig[];
  /** Local ingress for PostgreSQL clients in this segment; null when disabled. */
  postgresListen: { host: string; port: number } | null;
  /** Certificate the agent presents to clients on its local ingress (PostgreSQL SSLRequest). */
  ingressTls: { certFile: string; keyFile: string } | null;
  credential: string | null;
  stateDir: string;
  reconnect: { initialMs: number; maxMs: number };
  /** Sessions drain for this long on SIGTERM before they are cut. */
  shutdownGraceMs: number;
  /**
   * Secret reference (env:/file:) to the key of the masking rules' keyed-hash style. Agents that
   * must produce the same hashes (joins across segments) share it; unset, each agent keeps a
   * random key in its state directory.
   */
  maskingKeyRef: string | null;
  /** The HTTP engine's settings (POSTERN_AGENT_HTTP_*; docs/operations.md). */
  http: {
    /** Host routing: `<connection>.<domain>`; null: path prefixes (`/c/<connection>/…`) only. */
    domain: string | null;
    recordBodyBytes: number;
    maxUpgradeBytes: number;
    /** The signed identity assertion, when a key is configured. */
    assertion: {
      keyRef: string;
      alg: 'ES256' | 'RS256' | 'EdDSA' | 'HS256';
      header: string;
      ttlSeconds: number;
      issuer: string;
    } | null;
  };
  /**
   * How long after losing the control plane new sessions are still admitted under the cached
   * policy (DESIGN.md §7). 0, the default, fails closed: only sessions already open go on.
   */
  policyMaxStalenessMs: number;
  limits: LimitSettings;
  /**
   * What the agent may reveal and where it may dial, decided here and not by the control plane
   * (DESIGN.md §6b). Unset lists allow nothing; the agent's own files and credentials never.
   */
  reach: ReachSettings;
  /** Memory held for messages being assembled, agent-wide and per principal; over it, a session ends. */
  buffers: { totalBytes: number; perPrincipalBytes: number };
  /** Largest Bind, CopyData or FunctionCall from a PostgreSQL client (Query/Parse: the SQL limit). */
  postgresMaxMessageBytes: number;
  /** Open connections per client address on the local ingress; more are closed at once. */
  maxConnectionsPerAddress: number;
  /** Unacknowledged reports (sessions, audit events) kept on disk, at most; the oldest go first. */
  reportJournalMaxBytes: number;
  recording: {
    /** Where session recordings wait for the control plane's acknowledgement. */
    spoolDir: string;
    /** The spool's size limit: beyond it strict sessions end and best-effort ones mark gaps. */
    spoolMaxBytes: number;
    chunkBytes: number;
    flushMs: number;
    /** How chunks are stored and shipped: gzip (default) or none (for older control planes). */
    compression: 'gzip' | 'none';
  };
}

export interface ListenerConfig {
  protocol: string;
  /** The variable it came from, for messages. */
  variable: string;
  host: string;
  port: number;
}

export class AgentConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AgentConfigError';
  }
}

const millis = (fallback: number, min: number) =>
  z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(min, `must be at least ${min}`)
    .default(fallback);

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A comma- or space-separated list; unset or empty is the empty list. */
const list = () =>
  z
    .string()
    .default('')
    .transform((v) => v.split(/[\s,]+/).filter((entry) => entry !== ''));

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const LISTEN_VARIABLE = /^POSTERN_AGENT_([A-Z][A-Z0-9]*)_LISTEN$/;

const envSchema = z.object({
  POSTERN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  POSTERN_CONTROL_PLANE_ADDRESS: z
    .string({ error: 'is required (host:port of the control plane gRPC endpoint)' })
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port'),
  POSTERN_CONTROL_PLANE_CA_FILE: z.string().min(1).optional(),
  POSTERN_CONTROL_PLANE_SERVER_NAME: z.string().min(1).optional(),
  POSTERN_CONTROL_PLANE_INSECURE: bool(false),
  POSTERN_ENROLLMENT_TOKEN: z.string().min(1).optional(),
  POSTERN_AGENT_METRICS_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port (port 0 lets the OS choose)')
    .optional(),
  POSTERN_AGENT_METRICS_TOKEN_FILE: z.string().min(1).optional(),
  POSTERN_AGENT_HOSTNAME: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, 'must be a host name (letters, digits, "-", ".")')
    .optional(),
  POSTERN_AGENT_POSTGRES_LISTEN: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port (port 0 lets the OS choose)')
    .optional(),
  POSTERN_AGENT_TLS_CERT_FILE: z.string().min(1).optional(),
  POSTERN_AGENT_TLS_KEY_FILE: z.string().min(1).optional(),
  POSTERN_AGENT_CREDENTIAL: z.string().min(1).optional(),
  POSTERN_AGENT_STATE_DIR: z.string().min(1).default('/var/lib/postern-agent'),
  POSTERN_RECONNECT_INITIAL_MS: millis(500, 10),
  POSTERN_RECONNECT_MAX_MS: millis(30_000, 100),
  POSTERN_SHUTDOWN_GRACE_MS: millis(10_000, 0),
  POSTERN_AGENT_SPOOL_DIR: z.string().min(1).optional(),
  POSTERN_AGENT_SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(1024 * 1024 * 1024),
  POSTERN_AGENT_REPORT_JOURNAL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(64 * 1024 * 1024),
  POSTERN_RECORDING_CHUNK_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(4 * 1024 * 1024)
    .default(256 * 1024),
  POSTERN_RECORDING_FLUSH_MS: millis(1_000, 10),
  POSTERN_RECORDING_COMPRESSION: z.enum(['gzip', 'none']).default('gzip'),
  POSTERN_AGENT_CONNECT_RATE_PER_ADDRESS: z.coerce.number().positive().max(100_000).default(50),
  POSTERN_AGENT_CONNECT_BURST_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(100),
  POSTERN_AGENT_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(10),
  POSTERN_AGENT_AUTH_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  POSTERN_AGENT_MAX_SESSIONS_PER_PRINCIPAL: z.coerce.number().int().min(1).max(100_000).default(100),
  POSTERN_AGENT_POLICY_MAX_STALENESS_SECONDS: z.coerce.number().int().min(0).max(86_400).default(0),
  POSTERN_AGENT_SECRET_ALLOW: list(),
  POSTERN_AGENT_TARGET_ALLOW: list(),
  POSTERN_AGENT_PLAIN_PASSWORD_TARGETS: list(),
  POSTERN_AGENT_BUFFER_BUDGET_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(256 * 1024 * 1024),
  POSTERN_AGENT_BUFFER_BUDGET_PER_PRINCIPAL_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .optional(),
  POSTERN_AGENT_PG_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  POSTERN_AGENT_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  POSTERN_AGENT_MASKING_KEY: z
    .string()
    .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'must be env:NAME or file:/path')
    .optional(),
  POSTERN_AGENT_HTTP_DOMAIN: z
    .string()
    .regex(
      /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i,
      'must be a DNS domain',
    )
    .optional(),
  POSTERN_AGENT_HTTP_RECORD_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  POSTERN_AGENT_HTTP_MAX_UPGRADE_BYTES: z.coerce.number().int().min(0).default(0),
  POSTERN_AGENT_HTTP_ASSERTION_KEY: z
    .string()
    .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'must be env:NAME or file:/path')
    .optional(),
  POSTERN_AGENT_HTTP_ASSERTION_ALG: z.enum(['ES256', 'RS256', 'EdDSA', 'HS256']).default('ES256'),
  POSTERN_AGENT_HTTP_ASSERTION_HEADER: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'must be a header name')
    .default('x-postern-assertion'),
  POSTERN_AGENT_HTTP_ASSERTION_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  POSTERN_AGENT_HTTP_ASSERTION_ISSUER: z.string().min(1).max(200).default('postern-agent'),
});

export function loadAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new AgentConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)');
        const secret = /TOKEN|CREDENTIAL/.test(variable);
        const shown = env[variable] === undefined ? 'not set' : `got ${JSON.stringify(secret ? '***' : env[variable])}`;
        return `${variable} ${issue.message} (${shown})`;
      }),
    );
  }
  const e = parsed.data;
  if (e.POSTERN_RECONNECT_MAX_MS < e.POSTERN_RECONNECT_INITIAL_MS) {
    throw new AgentConfigError(['POSTERN_RECONNECT_MAX_MS must not be below POSTERN_RECONNECT_INITIAL_MS']);
  }
  if (Boolean(e.POSTERN_AGENT_TLS_CERT_FILE) !== Boolean(e.POSTERN_AGENT_TLS_KEY_FILE)) {
    throw new AgentConfigError(['POSTERN_AGENT_TLS_CERT_FILE and POSTERN_AGENT_TLS_KEY_FILE must be set together']);
  }
  const reach: ReachSettings = {
    secrets: e.POSTERN_AGENT_SECRET_ALLOW,
    targets: e.POSTERN_AGENT_TARGET_ALLOW,
    plainPasswordTargets: e.POSTERN_AGENT_PLAIN_PASSWORD_TARGETS,
    never: ownSecrets(e),
  };
  const none = { secrets: [], targets: [], plainPasswordTargets: [], never: reach.never };
  const problems: string[] = [];
  for (const [variable, settings] of [
    ['POSTERN_AGENT_SECRET_ALLOW', { ...none, secrets: reach.secrets }],
    ['POSTERN_AGENT_TARGET_ALLOW', { ...none, targets: reach.targets }],
    ['POSTERN_AGENT_PLAIN_PASSWORD_TARGETS', { ...none, plainPasswordTargets: reach.plainPasswordTargets }],
  ] as const) {
    try {
      new ReachPolicy(settings);
    } catch (error) {
      if (!(error instanceof ReachEntryError)) throw error;
      problems.push(`${variable}: ${error.message}`);
    }
  }
  const tracing = tracingSettings(env, 'postern-agent', problems);
  if (problems.length > 0) throw new AgentConfigError(problems);
  const buffersTotal = e.POSTERN_AGENT_BUFFER_BUDGET_BYTES;
  const perPrincipal = e.POSTERN_AGENT_BUFFER_BUDGET_PER_PRINCIPAL_BYTES ?? Math.floor(buffersTotal / 4);
  if (perPrincipal > buffersTotal) {
    throw new AgentConfigError([
      'POSTERN_AGENT_BUFFER_BUDGET_PER_PRINCIPAL_BYTES must not exceed POSTERN_AGENT_BUFFER_BUDGET_BYTES',
    ]);
  }
  const listeners = listenersFrom(env);
  const postgres = listeners.find((l) => l.protocol === 'postgres');
  return {
    logLevel: e.POSTERN_LOG_LEVEL,
    listeners,
    postgresListen: postgres ? { host: postgres.host, port: postgres.port } : null,
    ingressTls:
      e.POSTERN_AGENT_TLS_CERT_FILE && e.POSTERN_AGENT_TLS_KEY_FILE
        ? { certFile: e.POSTERN_AGENT_TLS_CERT_FILE, keyFile: e.POSTERN_AGENT_TLS_KEY_FILE }
        : null,
    controlPlane: {
      address: e.POSTERN_CONTROL_PLANE_ADDRESS,
      tls: e.POSTERN_CONTROL_PLANE_INSECURE
        ? null
        : { caFile: e.POSTERN_CONTROL_PLANE_CA_FILE ?? null, serverName: e.POSTERN_CONTROL_PLANE_SERVER_NAME ?? null },
    },
    enrollmentToken: e.POSTERN_ENROLLMENT_TOKEN ?? null,
    hostname: e.POSTERN_AGENT_HOSTNAME ?? hostname(),
    metrics: metricsSettings(e.POSTERN_AGENT_METRICS_ADDRESS, e.POSTERN_AGENT_METRICS_TOKEN_FILE),
    tracing,
    credential: e.POSTERN_AGENT_CREDENTIAL ?? null,
    stateDir: e.POSTERN_AGENT_STATE_DIR,
    reconnect: { initialMs: e.POSTERN_RECONNECT_INITIAL_MS, maxMs: e.POSTERN_RECONNECT_MAX_MS },
    shutdownGraceMs: e.POSTERN_SHUTDOWN_GRACE_MS,
    maskingKeyRef: e.POSTERN_AGENT_MASKING_KEY ?? null,
    http: {
      domain: e.POSTERN_AGENT_HTTP_DOMAIN?.toLowerCase() ?? null,
      recordBodyBytes: e.POSTERN_AGENT_HTTP_RECORD_BODY_BYTES,
      maxUpgradeBytes: e.POSTERN_AGENT_HTTP_MAX_UPGRADE_BYTES,
      assertion: e.POSTERN_AGENT_HTTP_ASSERTION_KEY
        ? {
            keyRef: e.POSTERN_AGENT_HTTP_ASSERTION_KEY,
            alg: e.POSTERN_AGENT_HTTP_ASSERTION_ALG,
            header: e.POSTERN_AGENT_HTTP_ASSERTION_HEADER.toLowerCase(),
            ttlSeconds: e.POSTERN_AGENT_HTTP_ASSERTION_TTL_SECONDS,
            issuer: e.POSTERN_AGENT_HTTP_ASSERTION_ISSUER,
          }
        : null,
    },
    policyMaxStalenessMs: e.POSTERN_AGENT_POLICY_MAX_STALENESS_SECONDS * 1000,
    limits: {
      connectRatePerAddress: e.POSTERN_AGENT_CONNECT_RATE_PER_ADDRESS,
      connectBurstPerAddress: e.POSTERN_AGENT_CONNECT_BURST_PER_ADDRESS,
      authFailuresPerMinute: e.POSTERN_AGENT_AUTH_FAILURES_PER_MINUTE,
      authLockoutMs: e.POSTERN_AGENT_AUTH_LOCKOUT_SECONDS * 1000,
      maxSessionsPerPrincipal: e.POSTERN_AGENT_MAX_SESSIONS_PER_PRINCIPAL,
      maxTracked: 10_000,
    },
    reach,
    buffers: { totalBytes: buffersTotal, perPrincipalBytes: perPrincipal },
    postgresMaxMessageBytes: e.POSTERN_AGENT_PG_MAX_MESSAGE_BYTES,
    maxConnectionsPerAddress: e.POSTERN_AGENT_MAX_CONNECTIONS_PER_ADDRESS,
    reportJournalMaxBytes: e.POSTERN_AGENT_REPORT_JOURNAL_MAX_BYTES,
    recording: {
      spoolDir: e.POSTERN_AGENT_SPOOL_DIR ?? join(e.POSTERN_AGENT_STATE_DIR, 'spool'),
      spoolMaxBytes: e.POSTERN_AGENT_SPOOL_MAX_BYTES,
      chunkBytes: e.POSTERN_RECORDING_CHUNK_BYTES,
      flushMs: e.POSTERN_RECORDING_FLUSH_MS,
      compression: e.POSTERN_RECORDING_COMPRESSION,
    },
  };
}

/** Every `POSTERN_AGENT_<PROTOCOL>_LISTEN` set, as a listener (the protocol's engine is checked at start). */
function listenersFrom(env: NodeJS.ProcessEnv): ListenerConfig[] {
  const listeners: ListenerConfig[] = [];
  const problems: string[] = [];
  for (const [variable, value] of Object.entries(env)) {
    const match = LISTEN_VARIABLE.exec(variable);
    if (match === null || value === undefined) continue;
    if (!HOST_PORT.test(value)) {
      problems.push(`${variable} must be host:port (port 0 lets the OS choose) (got ${JSON.stringify(value)})`);
      continue;
    }
    const split = value.lastIndexOf(':');
    listeners.push({
      protocol: match[1]!.toLowerCase(),
      variable,
      host: value.slice(0, split).replace(/^\[|\]$/g, ''),
      port: Number(value.slice(split + 1)),
    });
  }
  if (problems.length > 0) throw new AgentConfigError(problems);
  return listeners.sort((a, b) => a.protocol.localeCompare(b.protocol));
}

/**
 * The agent's own secrets, never resolvable for a connection: its state directory (credential,
 * journal, masking key, spool), its ingress key, the masking key's reference, and the variables
 * holding its credential or enrollment token.
 */
function ownSecrets(e: z.infer<typeof envSchema>): ReachSettings['never'] {
  const files = [e.POSTERN_AGENT_STATE_DIR, e.POSTERN_AGENT_SPOOL_DIR, e.POSTERN_AGENT_TLS_KEY_FILE];
  // The exporter's headers carry the tracing backend's API key, if any.
  const env = [
    'POSTERN_AGENT_CREDENTIAL',
    'POSTERN_ENROLLMENT_TOKEN',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  ];
  const masking = e.POSTERN_AGENT_MASKING_KEY;
  if (masking?.startsWith('file:')) files.push(masking.slice(5));
  if (masking?.startsWith('env:')) env.push(masking.slice(4));
  return { files: files.filter((f): f is string => f !== undefined), env };
}

function metricsSettings(address: string | undefined, tokenFile: string | undefined): AgentConfig['metrics'] {
  if (tokenFile !== undefined && address === undefined) {
    throw new AgentConfigError(['POSTERN_AGENT_METRICS_TOKEN_FILE is set but POSTERN_AGENT_METRICS_ADDRESS is not']);
  }
  if (address === undefined) return null;
  const split = address.lastIndexOf(':');
  const host = address.slice(0, split).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(split + 1));
  if (port > 65535) throw new AgentConfigError(['POSTERN_AGENT_METRICS_ADDRESS: port out of range']);
  let token: string | null = null;
  if (tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (error) {
      throw new AgentConfigError([`POSTERN_AGENT_METRICS_TOKEN_FILE: ${(error as Error).message}`]);
    }
    if (token.length < 16)
      throw new AgentConfigError(['POSTERN_AGENT_METRICS_TOKEN_FILE: the token must be at least 16 characters']);
  }
  return { host, port, token };
}
