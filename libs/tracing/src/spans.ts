import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * Postern's own spans, through the OpenTelemetry API only. Without a registered tracer provider
 * (tracing off, the default) every call below is the API's no-op: no SDK is loaded, a span is a
 * shared non-recording object and nothing is exported.
 */
const TRACER_NAME = 'postern';

export type { Span, Context, Attributes };
export { SpanKind };

/** Attribute names Postern sets (one place, so the agent and the control plane agree). */
export const ATTR = {
  sessionId: 'postern.session.id',
  protocol: 'postern.protocol',
  ingress: 'postern.ingress',
  agentId: 'postern.agent.id',
  connectionId: 'postern.connection.id',
  principalId: 'postern.principal.id',
  outcome: 'postern.outcome',
  endReason: 'postern.end_reason',
} as const;

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** Starts a span under `parent` (the active context when not given); the caller ends it. */
export function startSpan(name: string, attributes: Attributes, parent?: Span | Context): Span {
  const ctx =
    parent === undefined ? context.active() : isContext(parent) ? parent : trace.setSpan(context.active(), parent);
  return tracer().startSpan(name, { attributes }, ctx);
}

/**
 * A child of the active span, or a non-recording span when there is none (tracing off, or a
 * process that does not propagate context): never a stray root span of a trace of its own.
 */
export function startChildOfActive(name: string, attributes: Attributes): Span {
  return trace.getActiveSpan() === undefined
    ? trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
    : tracer().startSpan(name, { attributes });
}

/** Runs `work` with `span` as the active span, so what it starts (Prisma, Redis) nests under it. */
export function withActiveSpan<T>(span: Span, work: () => T): T {
  return context.with(trace.setSpan(context.active(), span), work);
}

/**
 * Runs `work` in a span that ends when it settles: an error marks the span (its type only: an
 * error message can carry what a user typed) and is rethrown.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  parent?: Span | Context,
): Promise<T> {
  const span = startSpan(name, attributes, parent);
  try {
    return await withActiveSpan(span, () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error's class name (never its message). */
export function failSpan(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
}

/** The W3C `traceparent` of a span ('' when it is not recorded: tracing off or not sampled). */
export function traceparentOf(span: Span): string {
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return '';
  return `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The context a W3C `traceparent` from the network names as parent (an agent's session span
 * carried in its report), or the root context when it is absent or malformed: a bad value
 * starts a new trace rather than failing the report.
 */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  const match = TRACEPARENT.exec(traceparent ?? '');
  if (!match) return ROOT_CONTEXT;
  const spanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

function isContext(value: Span | Context): value is Context {
  return typeof (value as Context).getValue === 'function' && typeof (value as Span).spanContext !== 'function';
}
