export { tracingSettings, TRACING_VARIABLES, type TracingSettings, type SamplerName } from './settings.js';
export { redactAttributes, PRISMA_SCOPE } from './redact.js';
export { startTracing, type TracingHandle, type TracingOptions } from './start.js';
export {
  ATTR,
  SpanKind,
  contextFromTraceparent,
  failSpan,
  inSpan,
  startChildOfActive,
  startSpan,
  traceparentOf,
  tracer,
  withActiveSpan,
  type Attributes,
  type Context,
  type Span,
} from './spans.js';
