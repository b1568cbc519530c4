import type { TracingSettings } from './settings.js';

export interface TracingOptions {
  serviceVersion?: string;
  /** service.instance.id: a control-plane replica's instance id. */
  instanceId?: string;
  /** Libraries to instrument (the control plane's); the agent has only Postern's own spans. */
  instrumentations?: ReadonlyArray<'prisma' | 'ioredis' | 'graphql'>;
  /**
   * Whether the active span follows asynchronous calls (AsyncLocalStorage). `always` (the control
   * plane: GraphQL → Prisma/Redis nesting needs it); `when-cheap` (the agent, whose own spans name
   * their parents): only on Node 24+, where AsyncLocalStorage is frame-based — on Node 20 its
   * async hooks cost the agent about a fifth of its throughput (docs/operations.md#traces).
   */
  asyncContext?: 'always' | 'when-cheap';
  /** Where the SDK's own warnings go (an export that failed): the app's logger. */
  warn(message: string): void;
}

export interface TracingHandle {
  /** Exports what is buffered and stops; call before exiting. */
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

const NO_TRACING: TracingHandle = { shutdown: async () => {}, forceFlush: async () => {} };

/**
 * Starts exporting traces when `settings` is not null (POSTERN_TRACING=otlp). Call before the
 * modules to instrument are imported. With tracing off this returns at once and loads nothing.
 */
export async function startTracing(settings: TracingSettings | null, options: TracingOptions): Promise<TracingHandle> {
  if (settings === null) return NO_TRACING;
  const { startSdk } = await import('./sdk.js');
  return startSdk(settings, options);
}
