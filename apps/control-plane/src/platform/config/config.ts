import { hostname } from 'node:os';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tracingSettings, type TracingSettings } from '@postern/tracing';
import { z } from 'zod';

/**
 * The control plane's configuration: read once from the environment at boot, validated, and
 * turned into this typed object. Nothing else in the process reads `process.env`.
 */
export interface ControlPlaneConfig {
  instanceId: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  http: { host: string; port: number };
  grpc: {
    host: string;
    port: number;
    tls: { certFile: string; keyFile: string } | null;
    /** A TLS handshake not finished this long after the connection was accepted closes the socket. */
    handshakeTimeoutMs: number;
    /**
     * Refused unauthenticated calls (bad enrollment tokens, bad agent credentials) per peer
     * address: a token bucket (burst, refill per minute), and the window over which refusals
     * beyond the first are summed into one audit row.
     */
    refusals: { burst: number; perMinute: number; auditWindowMs: number };
  };
  database: { url: string; migrateOnStart: boolean; migrationsDir: string };
  relay: {
    /**
     * The relay front doors that listen, by protocol (POSTERN_RELAY_PROTOCOLS), each with
     * POSTERN_RELAY_<PROTOCOL>_HOST / _PORT; a null port is the door's own default (PostgreSQL:
     * 5433). Each protocol needs a registered front door, checked when the relay starts.
     */
    doors: Readonly<Record<string, RelayDoorListen>>;
    /** The host name clients use to reach the relay, told to clients (the CLI); null: the API URL's host. */
    publicHost: string | null;
    /** A PEM CA file clients verify the relay's certificate with, handed out by the API; null: none. */
    caFile: string | null;
    tls: { certFile: string; keyFile: string } | null;
    /**
     * The relay data port agents dial, one connection per relayed session (TLS with the gRPC
     * certificate). `advertiseAddress` is sent in OpenTunnel; null = `:<port>`, i.e. the host the
     * agent dials for gRPC. Null = off: this replica cannot open tunnels.
     */
    data: { host: string; port: number; advertiseAddress: string | null } | null;
    /** How long an OpenTunnel ticket waits for the agent's data connection. */
    tunnelTimeoutMs: number;
    /** New relayed sessions per second per client host (token bucket), and its burst. */
    connectRatePerAddress: number;
    connectBurstPerAddress: number;
    /** Open relay connections per client host at once. */
    maxConnectionsPerAddress: number;
    /** Failed logins per (client host, user name) per minute before that pair is locked out. */
    authFailuresPerMinute: number;
    /**
     * The SSH front door's own host key (POSTERN_RELAY_SSH_HOST_KEY_FILE, an unencrypted OpenSSH
     * private key, the same file on every replica); null: a key generated at start (development
     * only, POSTERN_RELAY_INSECURE). Null as well when the ssh door is off.
     */
    sshHostKeyFile: string | null;
    /** How long an SSH relay client has to authenticate after connecting. */
    sshAuthTimeoutMs: number;
    /** First lockout; each further lockout of the same pair doubles it, up to an hour. */
    authLockoutMs: number;
  };
  redis: { url: string; prefix: string };
  /**
   * The replicas' internal link (relay forwarding between replicas). Null = off: this replica
   * relays only to agents whose Control stream it holds itself.
   */
  internal: {
    host: string;
    port: number;
    /** host:port other replicas dial; null = this host's name and the port actually bound. */
    advertiseAddress: string | null;
    secret: Buffer;
    /** The gRPC certificate and key, reused to encrypt the link; null = plaintext. */
    tls: { certFile: string; keyFile: string } | null;
  } | null;
  admin: { bootstrapToken: string };
  /** OIDC: sign-in for people, access-token verification for people and machines. Null = off. */
  oidc: {
    issuer: string;
    clientId: string;
    clientSecret: string | null;
    scopes: string[];
    groupsClaim: string;
    audiences: string[];
    /**
     * The audience of access tokens used as database passwords (data-plane logins). The API
     * refuses tokens carrying it and agents refuse tokens carrying an API audience, so a token
     * an agent sees is never one the API accepts.
     */
    dataPlaneAudience: string;
    redirectUrl: string | null;
    allowedAlgorithms: string[];
    clockToleranceSeconds: number;
  } | null;
  /**
   * Token exchange (RFC 8693, POST /oauth/token): workload tokens from trusted issuers (GraphQL
   * `createTrustedIssuer`) traded for connection credentials that live `credentialTtlSeconds` at
   * most (never past the workload token's own expiry); requests metered per client address.
   */
  tokenExchange: { credentialTtlSeconds: number; perMinutePerAddress: number; burstPerAddress: number };
  /** Groups (from the groups claim) that grant each API role; every signed-in identity is a user. */
  roles: { admin: string[]; approver: string[]; auditor: string[] };
  /** Just-in-time access: shortest grant a user may request. */
  jit: { minGrantSeconds: number };
  /** Held commands: shortest review timeout an approval rule may set. */
  approvals: { minTimeoutSeconds: number };
  /** Session recordings: chunks of sessions ended longer ago than retentionDays are deleted (0 = never). */
  recordings: { retentionDays: number; retentionSweepSeconds: number };
  agents: {
    heartbeatIntervalMs: number;
    heartbeatTimeoutMs: number;
    enrollmentTokenTtlSeconds: number;
    helloTimeoutMs: number;
  };
  /**
   * The GraphQL API's abuse limits, all enforced before a resolver runs: introspection (off, or
   * for authenticated callers only), parser tokens, depth, aliases and cost of an operation,
   * the size of a response, and mutation fields per identity (a token bucket in Redis, shared by
   * replicas; every aliased field counts).
   */
  graphql: {
    introspection: 'off' | 'authenticated';
    maxTokens: number;
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxResponseBytes: number;
    mutationsPerSecond: number;
    mutationBurst: number;
  };
  /**
   * The dashboard's base URL, for links in notifications (null: notifications carry no links), and
   * the folder of its built files served at `/` (null: the control plane serves no dashboard).
   */
  dashboard: { url: string | null; staticDir: string | null };
  /** Review notifications (webhooks, Slack) delivered by BullMQ with exponential backoff. */
  notifications: { allowHttp: boolean; allowPrivateNetworks: boolean; attempts: number; backoffMs: number };
  /** Key sealing secrets stored by the control plane (AES-256-GCM); null = derived from the bootstrap token. */
  secrets: { encryptionKey: Buffer | null };
  /**
   * Signed checkpoints of the audit chain's head: the Ed25519 signing key (PKCS#8 PEM; null =
   * derived from the secrets key material), and how often one is published (0 = on demand only).
   */
  auditCheckpoints: { keyPem: string | null; intervalSeconds: number };
  /**
   * The observability port (`/metrics` in Prometheus text), off when null; `token` is the bearer it
   * requires (read from POSTERN_METRICS_TOKEN_FILE at boot), null for none.
   */
  metrics: { host: string; port: number; token: string | null } | null;
  /** OpenTelemetry traces (POSTERN_TRACING=otlp and the standard OTEL_* variables); null: off. */
  tracing: TracingSettings | null;
  shutdownGraceMs: number;
}

/** Where one relay front door listens; `port` null: the door's default port. */
export interface RelayDoorListen {
  host: string;
  port: number | null;
}

/** A configuration value that stops the process at boot, naming the variable at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../../../prisma/migrations', import.meta.url));
/** apps/dashboard/dist of this checkout: served when it was built and POSTERN_DASHBOARD_DIR is not set. */
const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../../dashboard/dist', import.meta.url));

/** The dashboard folder to serve: a given one must hold index.html; the default only when built. */
function dashboardDir(value: string | undefined, problems: string[]): string | null {
  if (value === 'off') return null;
  if (value === undefined) return existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html')) ? DEFAULT_DASHBOARD_DIR : null;
  const dir = resolve(value);
  if (!existsSync(join(dir, 'index.html'))) {
    problems.push(
      `POSTERN_DASHBOARD_DIR must be a folder holding the built dashboard's index.html, or "off" (got ${JSON.stringify(value)})`,
    );
    return null;
  }
  return dir;
}

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be an integer')
    .min(0, 'must be 0..65535')
    .max(65535, 'must be 0..65535')
    .default(fallback);

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const millis = (fallback: number, min: number) =>
  z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(min, `must be at least ${min}`)
    .default(fallback);

/** A whole number within [min, max]. */
const limit = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

const url = (protocols: string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );

const envSchema = z.object({
  POSTERN_INSTANCE_ID: z.string().min(1).optional(),
  POSTERN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  POSTERN_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  POSTERN_HTTP_PORT: port(8080),
  POSTERN_GRPC_HOST: z.string().min(1).default('0.0.0.0'),
  POSTERN_GRPC_PORT: port(8443),
  POSTERN_GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  POSTERN_GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
  POSTERN_GRPC_INSECURE: bool(false),
  POSTERN_GRPC_HANDSHAKE_TIMEOUT_MS: millis(10_000, 100),
  POSTERN_GRPC_REFUSAL_BURST_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(20),
  POSTERN_GRPC_REFUSALS_PER_MINUTE_PER_ADDRESS: z.coerce.number().positive().max(1_000_000).default(30),
  POSTERN_GRPC_REFUSAL_AUDIT_WINDOW_MS: millis(60_000, 100),
  POSTERN_RELAY_PROTOCOLS: z
    .string()
    .regex(/^\s*([a-z][a-z0-9]*\s*(,\s*[a-z][a-z0-9]*\s*)*)?$/, 'must be a comma-separated list of protocol names')
    .default('postgres'),
  POSTERN_RELAY_TLS_CERT_FILE: z.string().min(1).optional(),
  POSTERN_RELAY_PUBLIC_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:\-[\]]{1,253}$/, 'must be a host name or address')
    .optional(),
  POSTERN_RELAY_TLS_CA_FILE: z.string().min(1).optional(),
  POSTERN_RELAY_TLS_KEY_FILE: z.string().min(1).optional(),
  POSTERN_RELAY_INSECURE: bool(false),
  POSTERN_RELAY_SSH_HOST_KEY_FILE: z.string().min(1).optional(),
  POSTERN_RELAY_SSH_AUTH_TIMEOUT_MS: millis(30_000, 1_000),
  POSTERN_RELAY_TUNNEL_TIMEOUT_MS: millis(10_000, 100),
  POSTERN_RELAY_DATA_HOST: z.string().min(1).default('0.0.0.0'),
  POSTERN_RELAY_DATA_PORT: z.union([z.literal('off'), port(8445)]).default(8445),
  POSTERN_RELAY_DATA_ADVERTISE_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:]*):\d{1,5}$/, 'host:port, [v6]:port or :port')
    .optional(),
  POSTERN_RELAY_CONNECT_RATE_PER_ADDRESS: z.coerce.number().positive().max(100_000).default(50),
  POSTERN_RELAY_CONNECT_BURST_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(100),
  POSTERN_RELAY_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  POSTERN_RELAY_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(10),
  POSTERN_RELAY_AUTH_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  POSTERN_DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgresql://postgres@127.0.0.1:5432/postern'),
  POSTERN_MIGRATE_ON_START: bool(true),
  POSTERN_MIGRATIONS_DIR: z.string().min(1).default(DEFAULT_MIGRATIONS_DIR),
  POSTERN_REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  POSTERN_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/, 'may contain letters, digits, ":", "_" and "-"')
    .default('postern'),
  POSTERN_INTERNAL_HOST: z.string().min(1).default('0.0.0.0'),
  POSTERN_INTERNAL_PORT: z.union([z.literal('off'), port(8444)]).default('off'),
  POSTERN_INTERNAL_ADVERTISE_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]_-]+:\d{1,5}$/, 'must be host:port (an address other replicas can reach)')
    .optional(),
  POSTERN_INTERNAL_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)')
    .optional(),
  POSTERN_INTERNAL_INSECURE: bool(false),
  POSTERN_BOOTSTRAP_ADMIN_TOKEN: z
    .string({ error: 'is required (the admin API token until OIDC sign-in is configured)' })
    .min(32, 'must be at least 32 characters (use e.g. `openssl rand -base64 32`)'),
  POSTERN_OIDC_ISSUER: z.string().url('must be the issuer URL').optional(),
  POSTERN_OIDC_CLIENT_ID: z.string().min(1).optional(),
  POSTERN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  POSTERN_OIDC_SCOPES: z.string().default('openid email profile groups'),
  POSTERN_OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
  POSTERN_OIDC_AUDIENCE: z.string().min(1).optional(),
  POSTERN_OIDC_DATA_PLANE_AUDIENCE: z.string().min(1).optional(),
  POSTERN_OIDC_REDIRECT_URL: z.string().url().optional(),
  POSTERN_OIDC_ALGORITHMS: z.string().default('RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,EdDSA'),
  POSTERN_OIDC_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  // Token exchange for workload identities (trusted issuers).
  POSTERN_TOKEN_EXCHANGE_CREDENTIAL_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  POSTERN_TOKEN_EXCHANGE_PER_MINUTE_PER_ADDRESS: z.coerce.number().int().min(1).max(100000).default(60),
  POSTERN_TOKEN_EXCHANGE_BURST_PER_ADDRESS: z.coerce.number().int().min(1).max(100000).default(20),
  POSTERN_JIT_MIN_GRANT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  POSTERN_APPROVAL_MIN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(10),
  POSTERN_ROLE_ADMIN_GROUPS: z.string().default(''),
  POSTERN_ROLE_APPROVER_GROUPS: z.string().default(''),
  POSTERN_ROLE_AUDITOR_GROUPS: z.string().default(''),
  POSTERN_RECORDING_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days (0 keeps recordings forever)' })
    .int('must be a whole number of days (0 keeps recordings forever)')
    .min(0, 'must be 0 (keep forever) or more')
    .max(36_500, 'must be at most 36500')
    .default(90),
  POSTERN_RECORDING_RETENTION_SWEEP_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(86_400, 'must be at most 86400')
    .default(3600),
  POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: millis(10_000, 100),
  POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: millis(30_000, 300),
  POSTERN_AGENT_HELLO_TIMEOUT_MS: millis(10_000, 100),
  POSTERN_ENROLLMENT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60, 'must be at least 60').default(86_400),
  POSTERN_GRAPHQL_INTROSPECTION: z
    .enum(['off', 'authenticated', 'false', 'true'], { error: 'must be off or authenticated' })
    .default('off')
    // `true` (the old boolean) never meant anonymous callers: it maps to authenticated.
    .transform((v) => (v === 'true' || v === 'authenticated' ? 'authenticated' : 'off')),
  POSTERN_GRAPHQL_MAX_TOKENS: limit(1_000, 100, 1_000_000),
  POSTERN_GRAPHQL_MAX_DEPTH: limit(10, 2, 100),
  POSTERN_GRAPHQL_MAX_ALIASES: limit(20, 0, 10_000),
  POSTERN_GRAPHQL_MAX_COST: limit(5_000, 10, 10_000_000),
  POSTERN_GRAPHQL_MAX_RESPONSE_BYTES: limit(16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  POSTERN_GRAPHQL_MUTATIONS_PER_SECOND: z.coerce
    .number({ error: 'must be a number of mutation fields per second' })
    .positive('must be more than 0')
    .max(100_000, 'must be at most 100000')
    .default(5),
  POSTERN_GRAPHQL_MUTATION_BURST: limit(60, 1, 1_000_000),
  POSTERN_DASHBOARD_URL: z
    .string()
    .refine((value) => /^https?:\/\/[^/]/.test(value) && URL.canParse(value), 'must be an http:// or https:// URL')
    .optional(),
  POSTERN_DASHBOARD_DIR: z.string().min(1, 'must be a folder or "off"').optional(),
  POSTERN_NOTIFICATIONS_ALLOW_HTTP: bool(false),
  POSTERN_NOTIFICATIONS_ALLOW_PRIVATE_NETWORKS: bool(false),
  POSTERN_NOTIFICATIONS_ATTEMPTS: z.coerce
    .number({ error: 'must be a number of attempts' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(25, 'must be at most 25')
    .default(5),
  POSTERN_NOTIFICATIONS_BACKOFF_MS: millis(30_000, 10),
  POSTERN_SECRETS_ENCRYPTION_KEY: z
    .string()
    .refine(
      (value) => /^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value) && Buffer.from(value, 'base64').length === 32,
      'must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)',
    )
    .optional(),
  POSTERN_AUDIT_CHECKPOINT_KEY: z.string().min(1).optional(),
  POSTERN_AUDIT_CHECKPOINT_INTERVAL_SECONDS: limit(300, 0, 86_400),
  POSTERN_METRICS_PORT: z.union([z.literal('off'), port(9464)]).default('off'),
  POSTERN_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  POSTERN_METRICS_TOKEN_FILE: z.string().min(1).optional(),
  POSTERN_SHUTDOWN_GRACE_MS: millis(10_000, 0),
});

/** `POSTERN_RELAY_<PROTOCOL>_HOST` / `_PORT`; DATA is the agents' data port, not a front door. */
const RELAY_DOOR_VARIABLE = /^POSTERN_RELAY_([A-Z][A-Z0-9]*)_(HOST|PORT)$/;

/**
 * The front doors that listen: every protocol in POSTERN_RELAY_PROTOCOLS whose port is not `off`.
 * Host and port variables of a protocol not in the list are a mistake worth stopping for (a door
 * the operator thinks is configured would not listen), except `_PORT=off`.
 */
function relayDoors(env: NodeJS.ProcessEnv, protocols: string, problems: string[]): Record<string, RelayDoorListen> {
  const listed = new Set(
    protocols
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
  const settings = new Map<string, { host?: string; port?: string }>();
  for (const [variable, value] of Object.entries(env)) {
    const match = RELAY_DOOR_VARIABLE.exec(variable);
    // DATA (the agents' data port) and PUBLIC (the host clients are told) are not front doors.
    if (!match || match[1] === 'DATA' || match[1] === 'PUBLIC' || value === undefined) continue;
    const protocol = match[1]!.toLowerCase();
    const entry = settings.get(protocol) ?? {};
    if (match[2] === 'HOST') entry.host = value;
    else entry.port = value;
    settings.set(protocol, entry);
  }
  for (const [protocol, entry] of settings) {
    if (listed.has(protocol) || entry.port === 'off') continue;
    const variable = `POSTERN_RELAY_${protocol.toUpperCase()}_${entry.port !== undefined ? 'PORT' : 'HOST'}`;
    problems.push(`${variable} is set, but ${protocol} is not in POSTERN_RELAY_PROTOCOLS (got "${protocols}")`);
  }
  const doors: Record<string, RelayDoorListen> = {};
  for (const protocol of listed) {
    const { host = '0.0.0.0', port: portText } = settings.get(protocol) ?? {};
    const prefix = `POSTERN_RELAY_${protocol.toUpperCase()}`;
    if (portText === 'off') continue;
    let portNumber: number | null = null;
    if (portText !== undefined) {
      portNumber = Number(portText);
      if (!/^\d+$/.test(portText) || portNumber < 0 || portNumber > 65535) {
        problems.push(`${prefix}_PORT must be a port number (0-65535) or off (got ${JSON.stringify(portText)})`);
        continue;
      }
    }
    if (host.trim() === '') {
      problems.push(`${prefix}_HOST must not be empty`);
      continue;
    }
    doors[protocol] = { host, port: portNumber };
  }
  return doors;
}

/** Validates the environment into a ControlPlaneConfig, or throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): ControlPlaneConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)');
        const shown =
          env[variable] === undefined
            ? 'not set'
            : `got ${JSON.stringify(sensitive(variable) ? '***' : env[variable])}`;
        return `${variable} ${issue.message} (${shown})`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS <= e.POSTERN_AGENT_HEARTBEAT_INTERVAL_MS * 2) {
    problems.push(
      'POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS must be more than twice POSTERN_AGENT_HEARTBEAT_INTERVAL_MS ' +
        `(got ${e.POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS} and ${e.POSTERN_AGENT_HEARTBEAT_INTERVAL_MS})`,
    );
  }
  const hasCert = Boolean(e.POSTERN_GRPC_TLS_CERT_FILE);
  const hasKey = Boolean(e.POSTERN_GRPC_TLS_KEY_FILE);
  if (hasCert !== hasKey) {
    problems.push('POSTERN_GRPC_TLS_CERT_FILE and POSTERN_GRPC_TLS_KEY_FILE must be set together');
  }
  if (!hasCert && !e.POSTERN_GRPC_INSECURE) {
    problems.push(
      'POSTERN_GRPC_TLS_CERT_FILE/POSTERN_GRPC_TLS_KEY_FILE are required: agents connect over TLS ' +
        '(set POSTERN_GRPC_INSECURE=true only for local development)',
    );
  }
  const relayCert = e.POSTERN_RELAY_TLS_CERT_FILE ?? e.POSTERN_GRPC_TLS_CERT_FILE;
  const relayKey = e.POSTERN_RELAY_TLS_KEY_FILE ?? e.POSTERN_GRPC_TLS_KEY_FILE;
  if (Boolean(e.POSTERN_RELAY_TLS_CERT_FILE) !== Boolean(e.POSTERN_RELAY_TLS_KEY_FILE)) {
    problems.push('POSTERN_RELAY_TLS_CERT_FILE and POSTERN_RELAY_TLS_KEY_FILE must be set together');
  }
  const doors = relayDoors(env, e.POSTERN_RELAY_PROTOCOLS, problems);
  // SSH brings its own encryption (its door has a host key instead of the certificate).
  const tlsDoors = Object.keys(doors).filter((protocol) => protocol !== 'ssh');
  if (tlsDoors.length > 0 && !relayCert && !e.POSTERN_RELAY_INSECURE) {
    problems.push(
      'POSTERN_RELAY_TLS_CERT_FILE/POSTERN_RELAY_TLS_KEY_FILE (or the gRPC certificate) are required: clients send ' +
        'their credential as a password (set POSTERN_RELAY_INSECURE=true only for local development, ' +
        'or turn the relay doors off: POSTERN_RELAY_PROTOCOLS= or POSTERN_RELAY_<PROTOCOL>_PORT=off)',
    );
  }
  if (doors['ssh'] && !e.POSTERN_RELAY_SSH_HOST_KEY_FILE && !e.POSTERN_RELAY_INSECURE) {
    problems.push(
      'POSTERN_RELAY_SSH_HOST_KEY_FILE is required when ssh is in POSTERN_RELAY_PROTOCOLS: clients pin the ' +
        "relay's host key, so every replica must serve the same one (ssh-keygen -t ed25519 -N '' -f <file>; " +
        'only with POSTERN_RELAY_INSECURE=true is a key generated at start)',
    );
  }
  if (e.POSTERN_INTERNAL_PORT !== 'off' && !e.POSTERN_INTERNAL_SECRET) {
    problems.push(
      'POSTERN_INTERNAL_SECRET is required when POSTERN_INTERNAL_PORT is set (the same value on every replica)',
    );
  }
  if (e.POSTERN_INTERNAL_PORT !== 'off' && !hasCert && !e.POSTERN_INTERNAL_INSECURE) {
    problems.push(
      'the internal link between replicas is encrypted with the gRPC certificate: set POSTERN_GRPC_TLS_CERT_FILE/' +
        'POSTERN_GRPC_TLS_KEY_FILE (or POSTERN_INTERNAL_INSECURE=true only for local development)',
    );
  }
  const algorithms = list(e.POSTERN_OIDC_ALGORITHMS);
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
    problems.push('POSTERN_OIDC_ALGORITHMS may not contain none or HMAC (HS*) algorithms');
  }
  const apiAudiences = list(e.POSTERN_OIDC_AUDIENCE ?? e.POSTERN_OIDC_CLIENT_ID ?? '');
  const dataPlaneAudience = e.POSTERN_OIDC_DATA_PLANE_AUDIENCE ?? `${apiAudiences[0] ?? 'postern'}:data-plane`;
  if (apiAudiences.includes(dataPlaneAudience)) {
    problems.push('POSTERN_OIDC_DATA_PLANE_AUDIENCE must differ from every POSTERN_OIDC_AUDIENCE (API) audience');
  }
  if (e.POSTERN_OIDC_ISSUER && !e.POSTERN_OIDC_CLIENT_ID) {
    problems.push('POSTERN_OIDC_CLIENT_ID is required when POSTERN_OIDC_ISSUER is set');
  }
  const dashboardStaticDir = dashboardDir(e.POSTERN_DASHBOARD_DIR, problems);
  const checkpointKeyPem = ed25519KeyPem('POSTERN_AUDIT_CHECKPOINT_KEY', e.POSTERN_AUDIT_CHECKPOINT_KEY, problems);
  const metricsTokenValue = metricsToken(e.POSTERN_METRICS_PORT, e.POSTERN_METRICS_TOKEN_FILE, problems);
  const tracing = tracingSettings(env, 'postern-control-plane', problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    instanceId: e.POSTERN_INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    logLevel: e.POSTERN_LOG_LEVEL,
    http: { host: e.POSTERN_HTTP_HOST, port: e.POSTERN_HTTP_PORT },
    grpc: {
      host: e.POSTERN_GRPC_HOST,
      port: e.POSTERN_GRPC_PORT,
      tls: hasCert ? { certFile: e.POSTERN_GRPC_TLS_CERT_FILE!, keyFile: e.POSTERN_GRPC_TLS_KEY_FILE! } : null,
      handshakeTimeoutMs: e.POSTERN_GRPC_HANDSHAKE_TIMEOUT_MS,
      refusals: {
        burst: e.POSTERN_GRPC_REFUSAL_BURST_PER_ADDRESS,
        perMinute: e.POSTERN_GRPC_REFUSALS_PER_MINUTE_PER_ADDRESS,
        auditWindowMs: e.POSTERN_GRPC_REFUSAL_AUDIT_WINDOW_MS,
      },
    },
    database: {
      url: e.POSTERN_DATABASE_URL,
      migrateOnStart: e.POSTERN_MIGRATE_ON_START,
      migrationsDir: e.POSTERN_MIGRATIONS_DIR,
    },
    relay: {
      doors,
      publicHost: e.POSTERN_RELAY_PUBLIC_HOST ?? null,
      caFile: e.POSTERN_RELAY_TLS_CA_FILE ?? null,
      tls: relayCert && relayKey ? { certFile: relayCert, keyFile: relayKey } : null,
      data:
        e.POSTERN_RELAY_DATA_PORT === 'off'
          ? null
          : {
              host: e.POSTERN_RELAY_DATA_HOST,
              port: e.POSTERN_RELAY_DATA_PORT,
              advertiseAddress: e.POSTERN_RELAY_DATA_ADVERTISE_ADDRESS ?? null,
            },
      tunnelTimeoutMs: e.POSTERN_RELAY_TUNNEL_TIMEOUT_MS,
      connectRatePerAddress: e.POSTERN_RELAY_CONNECT_RATE_PER_ADDRESS,
      connectBurstPerAddress: e.POSTERN_RELAY_CONNECT_BURST_PER_ADDRESS,
      maxConnectionsPerAddress: e.POSTERN_RELAY_MAX_CONNECTIONS_PER_ADDRESS,
      authFailuresPerMinute: e.POSTERN_RELAY_AUTH_FAILURES_PER_MINUTE,
      authLockoutMs: e.POSTERN_RELAY_AUTH_LOCKOUT_SECONDS * 1000,
      sshHostKeyFile: doors['ssh'] ? (e.POSTERN_RELAY_SSH_HOST_KEY_FILE ?? null) : null,
      sshAuthTimeoutMs: e.POSTERN_RELAY_SSH_AUTH_TIMEOUT_MS,
    },
    redis: { url: e.POSTERN_REDIS_URL, prefix: e.POSTERN_REDIS_PREFIX },
    internal:
      e.POSTERN_INTERNAL_PORT === 'off'
        ? null
        : {
            host: e.POSTERN_INTERNAL_HOST,
            port: e.POSTERN_INTERNAL_PORT,
            advertiseAddress: e.POSTERN_INTERNAL_ADVERTISE_ADDRESS ?? null,
            secret: Buffer.from(e.POSTERN_INTERNAL_SECRET!, 'utf8'),
            tls: hasCert ? { certFile: e.POSTERN_GRPC_TLS_CERT_FILE!, keyFile: e.POSTERN_GRPC_TLS_KEY_FILE! } : null,
          },
    admin: { bootstrapToken: e.POSTERN_BOOTSTRAP_ADMIN_TOKEN },
    oidc: e.POSTERN_OIDC_ISSUER
      ? {
          issuer: e.POSTERN_OIDC_ISSUER,
          clientId: e.POSTERN_OIDC_CLIENT_ID!,
          clientSecret: e.POSTERN_OIDC_CLIENT_SECRET ?? null,
          scopes: list(e.POSTERN_OIDC_SCOPES, ' '),
          groupsClaim: e.POSTERN_OIDC_GROUPS_CLAIM,
          audiences: apiAudiences,
          dataPlaneAudience,
          redirectUrl: e.POSTERN_OIDC_REDIRECT_URL ?? null,
          allowedAlgorithms: algorithms,
          clockToleranceSeconds: e.POSTERN_OIDC_CLOCK_TOLERANCE_SECONDS,
        }
      : null,
    tokenExchange: {
      credentialTtlSeconds: e.POSTERN_TOKEN_EXCHANGE_CREDENTIAL_TTL_SECONDS,
      perMinutePerAddress: e.POSTERN_TOKEN_EXCHANGE_PER_MINUTE_PER_ADDRESS,
      burstPerAddress: e.POSTERN_TOKEN_EXCHANGE_BURST_PER_ADDRESS,
    },
    jit: { minGrantSeconds: e.POSTERN_JIT_MIN_GRANT_SECONDS },
    approvals: { minTimeoutSeconds: e.POSTERN_APPROVAL_MIN_TIMEOUT_SECONDS },
    roles: {
      admin: list(e.POSTERN_ROLE_ADMIN_GROUPS),
      approver: list(e.POSTERN_ROLE_APPROVER_GROUPS),
      auditor: list(e.POSTERN_ROLE_AUDITOR_GROUPS),
    },
    recordings: {
      retentionDays: e.POSTERN_RECORDING_RETENTION_DAYS,
      retentionSweepSeconds: e.POSTERN_RECORDING_RETENTION_SWEEP_SECONDS,
    },
    agents: {
      heartbeatIntervalMs: e.POSTERN_AGENT_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: e.POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS,
      enrollmentTokenTtlSeconds: e.POSTERN_ENROLLMENT_TOKEN_TTL_SECONDS,
      helloTimeoutMs: e.POSTERN_AGENT_HELLO_TIMEOUT_MS,
    },
    graphql: {
      introspection: e.POSTERN_GRAPHQL_INTROSPECTION,
      maxTokens: e.POSTERN_GRAPHQL_MAX_TOKENS,
      maxDepth: e.POSTERN_GRAPHQL_MAX_DEPTH,
      maxAliases: e.POSTERN_GRAPHQL_MAX_ALIASES,
      maxCost: e.POSTERN_GRAPHQL_MAX_COST,
      maxResponseBytes: e.POSTERN_GRAPHQL_MAX_RESPONSE_BYTES,
      mutationsPerSecond: e.POSTERN_GRAPHQL_MUTATIONS_PER_SECOND,
      mutationBurst: e.POSTERN_GRAPHQL_MUTATION_BURST,
    },
    dashboard: { url: e.POSTERN_DASHBOARD_URL?.replace(/\/+$/, '') ?? null, staticDir: dashboardStaticDir },
    notifications: {
      allowHttp: e.POSTERN_NOTIFICATIONS_ALLOW_HTTP,
      allowPrivateNetworks: e.POSTERN_NOTIFICATIONS_ALLOW_PRIVATE_NETWORKS,
      attempts: e.POSTERN_NOTIFICATIONS_ATTEMPTS,
      backoffMs: e.POSTERN_NOTIFICATIONS_BACKOFF_MS,
    },
    secrets: {
      encryptionKey: e.POSTERN_SECRETS_ENCRYPTION_KEY ? Buffer.from(e.POSTERN_SECRETS_ENCRYPTION_KEY, 'base64') : null,
    },
    auditCheckpoints: { keyPem: checkpointKeyPem, intervalSeconds: e.POSTERN_AUDIT_CHECKPOINT_INTERVAL_SECONDS },
    metrics:
      e.POSTERN_METRICS_PORT === 'off'
        ? null
        : { host: e.POSTERN_METRICS_HOST, port: e.POSTERN_METRICS_PORT, token: metricsTokenValue },
    tracing,
    shutdownGraceMs: e.POSTERN_SHUTDOWN_GRACE_MS,
  };
}

/**
 * An Ed25519 private key given as PKCS#8 PEM, or as `file:<path>` to one; checked here so that a
 * bad key stops the process at boot. The value is never echoed.
 */
function ed25519KeyPem(variable: string, value: string | undefined, problems: string[]): string | null {
  if (value === undefined) return null;
  let pem = value;
  if (value.startsWith('file:')) {
    try {
      pem = readFileSync(value.slice('file:'.length), 'utf8');
    } catch (error) {
      problems.push(`${variable} names a file that cannot be read (${(error as NodeJS.ErrnoException).code})`);
      return null;
    }
  }
  try {
    const type = createPrivateKey(pem).asymmetricKeyType;
    if (type === 'ed25519') return pem;
    problems.push(`${variable} must be an Ed25519 private key (got a ${type ?? 'non-asymmetric'} key)`);
  } catch {
    problems.push(`${variable} must be an Ed25519 private key in PKCS#8 PEM, or file:<path> to one`);
  }
  return null;
}

function list(value: string, separator = ','): string[] {
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function sensitive(variable: string): boolean {
  return /TOKEN|SECRET|PASSWORD|URL/.test(variable);
}

/** Injection token for the validated configuration. */
export const CONFIG = Symbol('ControlPlaneConfig');

/** The bearer /metrics requires, from a file (so it never sits in the environment); null: none. */
function metricsToken(port: number | 'off', file: string | undefined, problems: string[]): string | null {
  if (file === undefined) return null;
  if (port === 'off') {
    problems.push('POSTERN_METRICS_TOKEN_FILE is set but POSTERN_METRICS_PORT is off');
    return null;
  }
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return token;
    problems.push('POSTERN_METRICS_TOKEN_FILE: the token must be at least 16 characters');
  } catch (error) {
    problems.push(`POSTERN_METRICS_TOKEN_FILE: ${(error as Error).message}`);
  }
  return null;
}
