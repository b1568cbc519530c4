import { describe, expect, test } from '@jest/globals';
import { tracingSettings } from './settings.js';

function settings(env: Record<string, string>) {
  const problems: string[] = [];
  const result = tracingSettings(env, 'postern-agent', problems);
  return { result, problems };
}

describe('tracing settings', () => {
  test('off unless POSTERN_TRACING=otlp, whatever OTEL_* says', () => {
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ result: null, problems: [] });
    expect(settings({ POSTERN_TRACING: 'off' })).toEqual({ result: null, problems: [] });
  });

  test('the standard defaults: localhost:4318, OTLP/protobuf, parent-based always-on, 5 s batches', () => {
    const { result, problems } = settings({ POSTERN_TRACING: 'otlp' });
    expect(problems).toEqual([]);
    expect(result).toEqual({
      serviceName: 'postern-agent',
      resourceAttributes: {},
      exporter: {
        url: 'http://localhost:4318/v1/traces',
        protocol: 'http/protobuf',
        headers: {},
        timeoutMs: 10_000,
        compression: 'none',
      },
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      batch: { scheduledDelayMs: 5_000, maxQueueSize: 2_048, maxExportBatchSize: 512, exportTimeoutMs: 30_000 },
    });
  });

  test('signal-specific variables win over the general ones; the base endpoint gets /v1/traces', () => {
    const { result } = settings({
      POSTERN_TRACING: 'otlp',
      OTEL_SERVICE_NAME: 'edge-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,k8s.cluster.name=eu%201',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=general',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=abc%3D%3D,x-team=platform',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(result?.serviceName).toBe('edge-eu');
    expect(result?.resourceAttributes).toEqual({ 'deployment.environment': 'prod', 'k8s.cluster.name': 'eu 1' });
    expect(result?.exporter).toMatchObject({
      url: 'https://collector.example:4318/v1/traces',
      protocol: 'http/json',
      headers: { 'x-api-key': 'abc==', 'x-team': 'platform' },
      compression: 'gzip',
    });
    expect(result?.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(
      settings({ POSTERN_TRACING: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom/path' }).result
        ?.exporter.url,
    ).toBe('http://c:4318/custom/path');
  });

  test('bad values stop the boot naming the variable, never echoing a header value', () => {
    const { result, problems } = settings({
      POSTERN_TRACING: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr3t%ZZ,novalue',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '2',
      OTEL_BSP_SCHEDULE_DELAY: '-5',
    });
    expect(result).toBeNull();
    expect(problems).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL (got collector:)',
      expect.stringContaining('OTEL_EXPORTER_OTLP_PROTOCOL: Postern exports traces over OTLP/HTTP'),
      'OTEL_EXPORTER_OTLP_HEADERS: the value of x-api-key is not valid percent-encoding',
      'OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value',
      expect.stringContaining('OTEL_TRACES_SAMPLER: expected one of'),
      'OTEL_TRACES_SAMPLER_ARG: expected a ratio between 0 and 1 (got "2")',
      'OTEL_BSP_SCHEDULE_DELAY: expected a positive whole number (got "-5")',
    ]);
    expect(problems.join('\n')).not.toContain('s3cr3t');
    expect(settings({ POSTERN_TRACING: 'jaeger' }).problems).toEqual([
      'POSTERN_TRACING: expected "off" or "otlp" (got "jaeger")',
    ]);
    expect(
      settings({ POSTERN_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pw@collector:4318' }).problems,
    ).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT: put credentials in OTEL_EXPORTER_OTLP_HEADERS, not in the URL']);
  });
});
