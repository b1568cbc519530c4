import { describe, expect, test } from '@jest/globals';
import { AgentConfigError, loadAgentConfig } from './config.js';

const base = { POSTERN_CONTROL_PLANE_ADDRESS: '127.0.0.1:1' };

describe('listener settings', () => {
  test('POSTERN_AGENT_POSTGRES_LISTEN is the postgres listener, as before', () => {
    const config = loadAgentConfig({ ...base, POSTERN_AGENT_POSTGRES_LISTEN: '127.0.0.1:0' });
    expect(config.listeners).toEqual([
      { protocol: 'postgres', variable: 'POSTERN_AGENT_POSTGRES_LISTEN', host: '127.0.0.1', port: 0 },
    ]);
    expect(config.postgresListen).toEqual({ host: '127.0.0.1', port: 0 });
  });

  test('POSTERN_AGENT_<PROTOCOL>_LISTEN names a listener per protocol', () => {
    const config = loadAgentConfig({
      ...base,
      POSTERN_AGENT_POSTGRES_LISTEN: '[::1]:5433',
      POSTERN_AGENT_MYSQL_LISTEN: '0.0.0.0:3307',
    });
    expect(config.listeners.map(({ protocol, host, port }) => ({ protocol, host, port }))).toEqual([
      { protocol: 'mysql', host: '0.0.0.0', port: 3307 },
      { protocol: 'postgres', host: '::1', port: 5433 },
    ]);
  });

  test('no listener variable: no local ingress', () => {
    expect(loadAgentConfig(base).listeners).toEqual([]);
  });

  test('a bad address stops the agent with a message naming the variable', () => {
    expect(() => loadAgentConfig({ ...base, POSTERN_AGENT_SSH_LISTEN: 'nowhere' })).toThrow(AgentConfigError);
    expect(() => loadAgentConfig({ ...base, POSTERN_AGENT_SSH_LISTEN: 'nowhere' })).toThrow(/POSTERN_AGENT_SSH_LISTEN/);
  });
});

describe('tracing settings', () => {
  test('off by default; POSTERN_TRACING=otlp names the agent postern-agent', () => {
    expect(loadAgentConfig(base).tracing).toBeNull();
    expect(loadAgentConfig({ ...base, POSTERN_TRACING: 'otlp' }).tracing?.serviceName).toBe('postern-agent');
  });

  test('a bad exporter setting stops the agent naming the variable', () => {
    expect(() => loadAgentConfig({ ...base, POSTERN_TRACING: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
  });

  test('the exporter headers (an API key) are never a connection secret the agent resolves', () => {
    const config = loadAgentConfig({ ...base, POSTERN_AGENT_SECRET_ALLOW: 'env:*' });
    expect(config.reach.never.env).toEqual(
      expect.arrayContaining(['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']),
    );
  });
});
