import type { Duplex } from 'node:stream';
import type { Logger } from '@postern/logging';
import type { EngineContext } from '../engine.js';

/**
 * Ends the target side of a session: the protocol's goodbye (`goodbye`, null when the client's
 * own was already forwarded), then FIN, and a hard close once it is flushed or after `graceMs`.
 * An idle target reads the goodbye and exits quietly; a busy one (still streaming a result nobody
 * will read) has unread data on our side, so the close resets the connection and it stops at its
 * next send, instead of us draining the rest.
 */
export function closeTarget(stream: Duplex, goodbye: Buffer | null, graceMs: number): void {
  if (stream.destroyed) return;
  if (stream.writable) {
    if (goodbye !== null) stream.write(goodbye);
    stream.end();
  }
  if (stream.writableFinished) return void stream.destroy();
  const timer = setTimeout(() => stream.destroy(), graceMs);
  timer.unref();
  stream.once('finish', () => stream.destroy());
  stream.once('close', () => clearTimeout(timer));
}

/** The session's per-rule policy counts (from its filter), as one audit event when any policy applied. */
export function auditPolicySummary(
  context: Pick<EngineContext, 'audit' | 'policy'>,
  summary: () => Record<string, unknown> | null | undefined,
  logger: Logger,
): void {
  try {
    const details = summary();
    if (details === undefined || details === null) return;
    context.audit({
      kind: 'session.policy_summary',
      decision: 'summary',
      policyVersion: context.policy().version,
      details,
    });
  } catch (error) {
    logger.error({ err: error }, 'policy summary could not be recorded');
  }
}
