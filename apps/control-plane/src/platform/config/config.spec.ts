import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const valid = {
  POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(40),
  POSTERN_GRPC_INSECURE: 'true',
  POSTERN_RELAY_INSECURE: 'true',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('fills documented defaults', () => {
    const config = loadConfig(valid);
    expect(config.http.port).toBe(8080);
    expect(config.grpc.port).toBe(8443);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.agents.heartbeatTimeoutMs).toBe(30_000);
    expect(config.database.migrationsDir).toMatch(/prisma\/migrations$/);
  });

  test('names the variable and the bad value', () => {
    expect(problemsOf({ ...valid, POSTERN_HTTP_PORT: 'eighty' })).toEqual([
      expect.stringMatching(/^POSTERN_HTTP_PORT .*\(got "eighty"\)/),
    ]);
    expect(problemsOf({ ...valid, POSTERN_REDIS_URL: 'http://cache' })[0]).toMatch(
      /^POSTERN_REDIS_URL must be a URL starting with redis:\/\//,
    );
  });

  test('requires a strong bootstrap admin token and never echoes it', () => {
    expect(problemsOf({ POSTERN_GRPC_INSECURE: 'true' })[0]).toMatch(/^POSTERN_BOOTSTRAP_ADMIN_TOKEN is required/);
    const problems = problemsOf({ ...valid, POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'short-secret' });
    expect(problems[0]).toMatch(/at least 32 characters/);
    expect(problems.join()).not.toContain('short-secret');
  });

  test('refuses plaintext gRPC and relay unless explicitly allowed', () => {
    expect(problemsOf({ POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(40) })[0]).toMatch(/POSTERN_GRPC_TLS_CERT_FILE/);
    expect(problemsOf({ ...valid, POSTERN_RELAY_INSECURE: 'false' })[0]).toMatch(/POSTERN_RELAY_TLS_CERT_FILE/);
    expect(
      loadConfig({ ...valid, POSTERN_RELAY_INSECURE: 'false', POSTERN_RELAY_POSTGRES_PORT: 'off' }).relay.doors,
    ).toEqual({});
    expect(loadConfig({ ...valid, POSTERN_RELAY_INSECURE: 'false', POSTERN_RELAY_PROTOCOLS: '' }).relay.doors).toEqual(
      {},
    );
    expect(
      loadConfig({
        ...valid,
        POSTERN_GRPC_INSECURE: 'false',
        POSTERN_RELAY_INSECURE: 'false',
        POSTERN_GRPC_TLS_CERT_FILE: '/c',
        POSTERN_GRPC_TLS_KEY_FILE: '/k',
      }).relay.tls,
    ).toEqual({ certFile: '/c', keyFile: '/k' });
    expect(problemsOf({ ...valid, POSTERN_GRPC_TLS_CERT_FILE: '/c.pem' })[0]).toMatch(/must be set together/);
  });

  test('relay front doors: listed protocols listen, with their own host and port variables', () => {
    expect(loadConfig(valid).relay.doors).toEqual({ postgres: { host: '0.0.0.0', port: null } });
    expect(
      loadConfig({
        ...valid,
        POSTERN_RELAY_PROTOCOLS: 'postgres, mysql',
        POSTERN_RELAY_POSTGRES_PORT: '15433',
        POSTERN_RELAY_MYSQL_HOST: '127.0.0.1',
        POSTERN_RELAY_DATA_PORT: '18445',
      }).relay.doors,
    ).toEqual({ postgres: { host: '0.0.0.0', port: 15433 }, mysql: { host: '127.0.0.1', port: null } });
    // The public host is what clients are told, not a door (the demo sets it).
    expect(loadConfig({ ...valid, POSTERN_RELAY_PUBLIC_HOST: 'localhost' }).relay.doors).toEqual(
      loadConfig(valid).relay.doors,
    );
    expect(problemsOf({ ...valid, POSTERN_RELAY_MYSQL_PORT: '3307' })).toEqual([
      expect.stringMatching(/^POSTERN_RELAY_MYSQL_PORT is set, but mysql is not in POSTERN_RELAY_PROTOCOLS/),
    ]);
    expect(problemsOf({ ...valid, POSTERN_RELAY_POSTGRES_PORT: 'fifty' })).toEqual([
      expect.stringMatching(/^POSTERN_RELAY_POSTGRES_PORT must be a port number/),
    ]);
    expect(problemsOf({ ...valid, POSTERN_RELAY_PROTOCOLS: 'postgres;drop' })[0]).toMatch(
      /^POSTERN_RELAY_PROTOCOLS must be a comma-separated list/,
    );
  });

  test('the ssh door: its host key file is required unless insecure; no TLS certificate needed', () => {
    const secure = { POSTERN_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(40), POSTERN_GRPC_INSECURE: 'true' };
    expect(problemsOf({ ...secure, POSTERN_RELAY_PROTOCOLS: 'ssh' })).toEqual([
      expect.stringMatching(/^POSTERN_RELAY_SSH_HOST_KEY_FILE is required when ssh is in POSTERN_RELAY_PROTOCOLS/),
    ]);
    const relay = loadConfig({
      ...secure,
      POSTERN_RELAY_PROTOCOLS: 'ssh',
      POSTERN_RELAY_SSH_HOST_KEY_FILE: '/etc/postern/ssh_host_ed25519_key',
      POSTERN_RELAY_SSH_PORT: '2022',
    }).relay;
    expect(relay.doors).toEqual({ ssh: { host: '0.0.0.0', port: 2022 } });
    expect(relay.sshHostKeyFile).toBe('/etc/postern/ssh_host_ed25519_key');
    // Development: a key is generated at start.
    expect(loadConfig({ ...valid, POSTERN_RELAY_PROTOCOLS: 'postgres,ssh' }).relay.sshHostKeyFile).toBeNull();
  });

  test('heartbeat timeout must leave room for missed heartbeats', () => {
    expect(
      problemsOf({
        ...valid,
        POSTERN_AGENT_HEARTBEAT_INTERVAL_MS: '1000',
        POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS: '1500',
      })[0],
    ).toMatch(/POSTERN_AGENT_HEARTBEAT_TIMEOUT_MS must be more than twice/);
  });

  test('recording retention: 90 days by default, 0 keeps forever, nonsense is named', () => {
    expect(loadConfig(valid).recordings).toEqual({ retentionDays: 90, retentionSweepSeconds: 3600 });
    expect(loadConfig({ ...valid, POSTERN_RECORDING_RETENTION_DAYS: '0' }).recordings.retentionDays).toBe(0);
    expect(problemsOf({ ...valid, POSTERN_RECORDING_RETENTION_DAYS: '-1' })[0]).toMatch(
      /^POSTERN_RECORDING_RETENTION_DAYS must be 0 \(keep forever\) or more \(got "-1"\)/,
    );
    expect(problemsOf({ ...valid, POSTERN_RECORDING_RETENTION_DAYS: 'a year' })[0]).toMatch(
      /^POSTERN_RECORDING_RETENTION_DAYS must be a number of days/,
    );
  });
});

describe('the internal link between replicas', () => {
  test('is off by default; when on it needs the shared secret and TLS (or an explicit opt-out)', () => {
    expect(loadConfig(valid).internal).toBeNull();
    expect(problemsOf({ ...valid, POSTERN_INTERNAL_PORT: '8444' })).toEqual([
      expect.stringMatching(/^POSTERN_INTERNAL_SECRET is required/),
      expect.stringMatching(/internal link between replicas is encrypted with the gRPC certificate/),
    ]);
    const on = loadConfig({
      ...valid,
      POSTERN_INTERNAL_PORT: '8444',
      POSTERN_INTERNAL_SECRET: 's'.repeat(32),
      POSTERN_INTERNAL_INSECURE: 'true',
      POSTERN_INTERNAL_ADVERTISE_ADDRESS: '10.1.2.3:8444',
    });
    expect(on.internal).toMatchObject({ port: 8444, advertiseAddress: '10.1.2.3:8444', tls: null });
    expect(problemsOf({ ...valid, POSTERN_INTERNAL_SECRET: 'short' })[0]).toMatch(
      /^POSTERN_INTERNAL_SECRET must be at least 32 characters .*\(got "\*\*\*"\)$/,
    );
  });
});

describe('dashboard files', () => {
  test('a given folder must hold index.html; "off" serves none; the problem names the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-dashboard-config-'));
    try {
      expect(problemsOf({ ...valid, POSTERN_DASHBOARD_DIR: dir })[0]).toMatch(
        /^POSTERN_DASHBOARD_DIR must be a folder holding the built dashboard's index.html/,
      );
      writeFileSync(join(dir, 'index.html'), '<!doctype html>');
      expect(loadConfig({ ...valid, POSTERN_DASHBOARD_DIR: dir }).dashboard.staticDir).toBe(dir);
      expect(loadConfig({ ...valid, POSTERN_DASHBOARD_DIR: 'off' }).dashboard.staticDir).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('notifications', () => {
  test('defaults: https only, 5 attempts from 30 s, no dashboard links, key derived from the bootstrap token', () => {
    const config = loadConfig(valid);
    expect(config.notifications).toEqual({
      allowHttp: false,
      allowPrivateNetworks: false,
      attempts: 5,
      backoffMs: 30_000,
    });
    expect(config.dashboard.url).toBeNull();
    expect(config.secrets.encryptionKey).toBeNull();
    expect(loadConfig({ ...valid, POSTERN_DASHBOARD_URL: 'https://postern.example.com/' }).dashboard.url).toBe(
      'https://postern.example.com',
    );
  });

  test('the encryption key is 32 bytes of base64 and never echoed', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ...valid, POSTERN_SECRETS_ENCRYPTION_KEY: key }).secrets.encryptionKey).toEqual(
      Buffer.alloc(32, 7),
    );
    const problems = problemsOf({ ...valid, POSTERN_SECRETS_ENCRYPTION_KEY: 'too-short-key' });
    expect(problems[0]).toMatch(/^POSTERN_SECRETS_ENCRYPTION_KEY must be 32 random bytes in base64/);
    expect(problems.join()).not.toContain('too-short-key');
    expect(problemsOf({ ...valid, POSTERN_NOTIFICATIONS_ATTEMPTS: '0' })[0]).toMatch(/ATTEMPTS must be at least 1/);
    expect(problemsOf({ ...valid, POSTERN_DASHBOARD_URL: 'ftp://x' })[0]).toMatch(/DASHBOARD_URL must be an http/);
  });
});

describe('GraphQL limits', () => {
  test('defaults: introspection off, limits on tokens, depth, aliases, cost, response size and mutations', () => {
    expect(loadConfig(valid).graphql).toEqual({
      introspection: 'off',
      maxTokens: 1000,
      maxDepth: 10,
      maxAliases: 20,
      maxCost: 5000,
      maxResponseBytes: 16 * 1024 * 1024,
      mutationsPerSecond: 5,
      mutationBurst: 60,
    });
  });

  test('introspection is off or for authenticated callers; the old `true` never meant anonymous callers', () => {
    expect(loadConfig({ ...valid, POSTERN_GRAPHQL_INTROSPECTION: 'authenticated' }).graphql.introspection).toBe(
      'authenticated',
    );
    expect(loadConfig({ ...valid, POSTERN_GRAPHQL_INTROSPECTION: 'true' }).graphql.introspection).toBe('authenticated');
    expect(loadConfig({ ...valid, POSTERN_GRAPHQL_INTROSPECTION: 'false' }).graphql.introspection).toBe('off');
    expect(problemsOf({ ...valid, POSTERN_GRAPHQL_INTROSPECTION: 'public' })[0]).toMatch(
      /^POSTERN_GRAPHQL_INTROSPECTION must be off or authenticated/,
    );
  });

  test('a limit out of range stops the boot naming the variable', () => {
    expect(problemsOf({ ...valid, POSTERN_GRAPHQL_MAX_DEPTH: '0' })[0]).toMatch(
      /^POSTERN_GRAPHQL_MAX_DEPTH must be at least 2/,
    );
    expect(problemsOf({ ...valid, POSTERN_GRAPHQL_MUTATION_BURST: 'lots' })[0]).toMatch(
      /^POSTERN_GRAPHQL_MUTATION_BURST must be a whole number/,
    );
    expect(problemsOf({ ...valid, POSTERN_GRAPHQL_MUTATIONS_PER_SECOND: '0' })[0]).toMatch(
      /^POSTERN_GRAPHQL_MUTATIONS_PER_SECOND must be more than 0/,
    );
  });
});

describe('audit checkpoints and the gRPC handshake deadline', () => {
  test('defaults: a derived key, every 300 s; a 10 s TLS handshake deadline', () => {
    const config = loadConfig(valid);
    expect(config.auditCheckpoints).toEqual({ keyPem: null, intervalSeconds: 300 });
    expect(config.grpc.handshakeTimeoutMs).toBe(10_000);
    expect(problemsOf({ ...valid, POSTERN_GRPC_HANDSHAKE_TIMEOUT_MS: '10' })[0]).toMatch(
      /^POSTERN_GRPC_HANDSHAKE_TIMEOUT_MS must be at least 100/,
    );
  });

  test('the key is Ed25519 PKCS#8 PEM, inline or file:<path>; anything else is named, never echoed', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(loadConfig({ ...valid, POSTERN_AUDIT_CHECKPOINT_KEY: pem }).auditCheckpoints.keyPem).toBe(pem);
    const dir = mkdtempSync(join(tmpdir(), 'postern-config-'));
    writeFileSync(join(dir, 'key.pem'), pem);
    expect(
      loadConfig({ ...valid, POSTERN_AUDIT_CHECKPOINT_KEY: `file:${join(dir, 'key.pem')}` }).auditCheckpoints.keyPem,
    ).toBe(pem);
    rmSync(dir, { recursive: true });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' });
    expect(problemsOf({ ...valid, POSTERN_AUDIT_CHECKPOINT_KEY: rsa.toString() })).toEqual([
      'POSTERN_AUDIT_CHECKPOINT_KEY must be an Ed25519 private key (got a rsa key)',
    ]);
    const problems = problemsOf({ ...valid, POSTERN_AUDIT_CHECKPOINT_KEY: 'not-a-key-secret' });
    expect(problems[0]).toMatch(/^POSTERN_AUDIT_CHECKPOINT_KEY must be an Ed25519 private key in PKCS#8 PEM/);
    expect(problems.join()).not.toContain('not-a-key-secret');
    expect(problemsOf({ ...valid, POSTERN_AUDIT_CHECKPOINT_KEY: 'file:/nonexistent/key.pem' })[0]).toMatch(
      /cannot be read \(ENOENT\)/,
    );
  });
});

describe('tracing settings', () => {
  test('off by default; POSTERN_TRACING=otlp with the standard OTEL_* variables', () => {
    expect(loadConfig(valid).tracing).toBeNull();
    const tracing = loadConfig({
      ...valid,
      POSTERN_TRACING: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.observability:4318',
    }).tracing;
    expect(tracing?.serviceName).toBe('postern-control-plane');
    expect(tracing?.exporter.url).toBe('http://collector.observability:4318/v1/traces');
  });

  test('a bad value is reported with the other problems, naming the variable', () => {
    expect(problemsOf({ ...valid, POSTERN_TRACING: 'otlp', OTEL_TRACES_SAMPLER_ARG: 'half' })).toEqual([
      'OTEL_TRACES_SAMPLER_ARG: expected a ratio between 0 and 1 (got "half")',
    ]);
  });
});
