// Loaded only when tracing is on (start.ts imports it dynamically): the OpenTelemetry SDK, the
// OTLP exporter and the instrumentations never load in a process that does not trace.
import { register } from 'node:module';
import { DiagLogLevel, diag, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import type { ExportResult } from '@opentelemetry/core';
import { redactAttributes } from './redact.js';
import type { SamplerName, TracingSettings } from './settings.js';
import type { TracingHandle, TracingOptions } from './start.js';

export async function startSdk(settings: TracingSettings, options: TracingOptions): Promise<TracingHandle> {
  diag.setLogger(
    {
      error: (message) => options.warn(`tracing: ${message}`),
      warn: (message) => options.warn(`tracing: ${message}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const wanted = new Set(options.instrumentations ?? []);
  // ioredis and graphql are patched as they load, through Node's module hooks: registered before
  // the app's modules are imported (the caller imports them after this resolves), and only for
  // these two packages.
  const hooked = ['ioredis', 'graphql'].filter((name) => wanted.has(name as 'ioredis' | 'graphql'));
  if (hooked.length > 0) {
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: hooked } });
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
      ...(options.instanceId ? { 'service.instance.id': options.instanceId } : {}),
    }),
    sampler: sampler(settings.sampler.name, settings.sampler.ratio),
    spanProcessors: [
      new BatchSpanProcessor(new RedactingExporter(await otlpExporter(settings)), {
        scheduledDelayMillis: settings.batch.scheduledDelayMs,
        maxQueueSize: settings.batch.maxQueueSize,
        maxExportBatchSize: settings.batch.maxExportBatchSize,
        exportTimeoutMillis: settings.batch.exportTimeoutMs,
      }),
    ],
  });
  const frameBasedContext = Number(process.versions.node.split('.')[0]) >= 24;
  // null: no context manager, so nothing follows async calls (context.with runs the work as is).
  provider.register({
    contextManager: options.asyncContext === 'when-cheap' && !frameBasedContext ? null : undefined,
  });
  const instrumentations: Instrumentation[] = [];
  if (wanted.has('prisma')) {
    const { PrismaInstrumentation } = await import('@prisma/instrumentation');
    instrumentations.push(new PrismaInstrumentation() as unknown as Instrumentation);
  }
  if (wanted.has('ioredis')) {
    const { IORedisInstrumentation } = await import('@opentelemetry/instrumentation-ioredis');
    // The command name only: arguments are keys and values (job payloads among them).
    instrumentations.push(new IORedisInstrumentation({ dbStatementSerializer: (command) => command }));
  }
  if (wanted.has('graphql')) {
    const { GraphQLInstrumentation } = await import('@opentelemetry/instrumentation-graphql');
    instrumentations.push(
      new GraphQLInstrumentation({ allowValues: false, ignoreTrivialResolveSpans: true, mergeItems: true }),
    );
  }
  registerInstrumentations({ instrumentations, tracerProvider: provider });
  return {
    shutdown: () => provider.shutdown(),
    forceFlush: () => provider.forceFlush(),
  };
}

async function otlpExporter(settings: TracingSettings): Promise<SpanExporter> {
  const config = {
    url: settings.exporter.url,
    headers: settings.exporter.headers,
    timeoutMillis: settings.exporter.timeoutMs,
    compression: settings.exporter.compression as never,
  };
  if (settings.exporter.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(config);
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(config);
}

function sampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Every span leaves through redactAttributes (redact.ts): no statement text, no secrets. */
class RedactingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function redactSpan(span: ReadableSpan): ReadableSpan {
  const scope = span.instrumentationScope.name;
  const attributes = redactAttributes(scope, span.attributes);
  const events = span.events.map((event) =>
    event.attributes === undefined
      ? event
      : { ...event, attributes: redactAttributes(scope, event.attributes as Attributes) },
  );
  // A view over the span with its attributes replaced; everything else (spanContext() among it)
  // is the span's own.
  return Object.create(span, { attributes: { value: attributes }, events: { value: events } }) as ReadableSpan;
}
