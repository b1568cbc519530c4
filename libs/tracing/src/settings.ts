/**
 * Tracing settings, validated once at boot from the environment: Postern's switch
 * (`POSTERN_TRACING=otlp`, off by default) and the standard OpenTelemetry exporter, resource,
 * sampler and batch variables. Pure: problems are collected as "VARIABLE: what is wrong" lines
 * for the app's own configuration error; nothing here loads the OpenTelemetry SDK.
 */

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface TracingSettings {
  serviceName: string;
  /** Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES), e.g. deployment.environment. */
  resourceAttributes: Record<string, string>;
  exporter: {
    /** The full traces URL (…/v1/traces). */
    url: string;
    protocol: 'http/protobuf' | 'http/json';
    /** Sent with every export (an API key for a hosted backend): never logged. */
    headers: Record<string, string>;
    timeoutMs: number;
    compression: 'gzip' | 'none';
  };
  sampler: { name: SamplerName; ratio: number };
  batch: { scheduledDelayMs: number; maxQueueSize: number; maxExportBatchSize: number; exportTimeoutMs: number };
}

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

const DEFAULT_BASE_ENDPOINT = 'http://localhost:4318';

/** The variables these settings read (documented in docs/operations.md, "Traces"). */
export const TRACING_VARIABLES = [
  'POSTERN_TRACING',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_EXPORT_TIMEOUT',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * null when tracing is off (the default). Problems go to `problems` (and null is returned) so the
 * app reports them with its other configuration errors and exits before serving anything.
 */
export function tracingSettings(env: Env, defaultServiceName: string, problems: string[]): TracingSettings | null {
  const mode = (env['POSTERN_TRACING'] ?? 'off').trim().toLowerCase();
  if (mode === 'off' || mode === '' || mode === 'none') return null;
  if (mode !== 'otlp') {
    problems.push(`POSTERN_TRACING: expected "off" or "otlp" (got ${JSON.stringify(env['POSTERN_TRACING'])})`);
    return null;
  }
  const before = problems.length;
  const pick = (traces: string, general: string): [string, string | undefined] => {
    const specific = nonEmpty(env[traces]);
    return specific !== undefined ? [traces, specific] : [general, nonEmpty(env[general])];
  };

  const url = endpoint(env, problems);
  const [protocolVar, protocolValue] = pick('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL');
  const protocol = protocolValue ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    problems.push(
      `${protocolVar}: Postern exports traces over OTLP/HTTP: "http/protobuf" or "http/json" (got ${JSON.stringify(protocol)}; ` +
        'for a gRPC-only collector use its OTLP/HTTP port, 4318 by default)',
    );
  }
  const [headersVar, headersValue] = pick('OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS');
  // Header values are often API keys: the message names the variable and the entry, never the value.
  const headers = keyValueList(headersVar, headersValue, problems);
  const [timeoutVar, timeoutValue] = pick('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT');
  const timeoutMs = positiveInteger(timeoutVar, timeoutValue, 10_000, problems);
  const [compressionVar, compressionValue] = pick(
    'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
    'OTEL_EXPORTER_OTLP_COMPRESSION',
  );
  const compression = compressionValue ?? 'none';
  if (compression !== 'gzip' && compression !== 'none') {
    problems.push(`${compressionVar}: expected "gzip" or "none" (got ${JSON.stringify(compression)})`);
  }

  const samplerName = (nonEmpty(env['OTEL_TRACES_SAMPLER']) ?? 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(samplerName)) {
    problems.push(`OTEL_TRACES_SAMPLER: expected one of ${SAMPLERS.join(', ')} (got ${JSON.stringify(samplerName)})`);
  }
  const ratioText = nonEmpty(env['OTEL_TRACES_SAMPLER_ARG']);
  const ratio = ratioText === undefined ? 1 : Number(ratioText);
  if (ratioText !== undefined && (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)) {
    problems.push(`OTEL_TRACES_SAMPLER_ARG: expected a ratio between 0 and 1 (got ${JSON.stringify(ratioText)})`);
  }

  const serviceName = nonEmpty(env['OTEL_SERVICE_NAME']) ?? defaultServiceName;
  const resourceAttributes = keyValueList('OTEL_RESOURCE_ATTRIBUTES', env['OTEL_RESOURCE_ATTRIBUTES'], problems);
  const batch = {
    scheduledDelayMs: positiveInteger('OTEL_BSP_SCHEDULE_DELAY', env['OTEL_BSP_SCHEDULE_DELAY'], 5_000, problems),
    maxQueueSize: positiveInteger('OTEL_BSP_MAX_QUEUE_SIZE', env['OTEL_BSP_MAX_QUEUE_SIZE'], 2_048, problems),
    maxExportBatchSize: positiveInteger(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
      512,
      problems,
    ),
    exportTimeoutMs: positiveInteger('OTEL_BSP_EXPORT_TIMEOUT', env['OTEL_BSP_EXPORT_TIMEOUT'], 30_000, problems),
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize) {
    problems.push('OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not exceed OTEL_BSP_MAX_QUEUE_SIZE');
  }
  if (problems.length > before) return null;
  return {
    serviceName,
    resourceAttributes,
    exporter: {
      url,
      protocol: protocol as TracingSettings['exporter']['protocol'],
      headers,
      timeoutMs,
      compression: compression as TracingSettings['exporter']['compression'],
    },
    sampler: { name: samplerName, ratio },
    batch,
  };
}

/** The traces URL: the signal-specific endpoint as given, else the base endpoint + /v1/traces. */
function endpoint(env: Env, problems: string[]): string {
  const traces = nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  const [variable, url] =
    traces !== undefined
      ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces]
      : [
          'OTEL_EXPORTER_OTLP_ENDPOINT',
          `${(nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']) ?? DEFAULT_BASE_ENDPOINT).replace(/\/+$/, '')}/v1/traces`,
        ];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(`${variable}: not a URL`);
    return url;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    problems.push(`${variable}: expected an http:// or https:// URL (got ${parsed.protocol})`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // A user:password in the URL would end up in logs and error messages: headers carry secrets.
    problems.push(`${variable}: put credentials in OTEL_EXPORTER_OTLP_HEADERS, not in the URL`);
  }
  return url;
}

/** `key1=value1,key2=value2` with percent-encoded values (the W3C Baggage shape the spec uses). */
function keyValueList(variable: string, text: string | undefined, problems: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return result;
  for (const [index, entry] of text.split(',').entries()) {
    if (entry.trim() === '') continue;
    const equals = entry.indexOf('=');
    const key = equals > 0 ? entry.slice(0, equals).trim() : '';
    if (key === '' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
      problems.push(`${variable}: entry ${index + 1} is not key=value`);
      continue;
    }
    try {
      result[key] = decodeURIComponent(entry.slice(equals + 1).trim());
    } catch {
      problems.push(`${variable}: the value of ${key} is not valid percent-encoding`);
    }
  }
  return result;
}

function positiveInteger(variable: string, text: string | undefined, fallback: number, problems: string[]): number {
  const value = nonEmpty(text);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) {
    problems.push(`${variable}: expected a positive whole number (got ${JSON.stringify(value)})`);
    return fallback;
  }
  return Number(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
