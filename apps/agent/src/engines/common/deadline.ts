/** A signal that aborts when its parent does or when time is up; `clear()` ends it early. */
export interface Deadline {
  readonly signal: AbortSignal;
  /**
   * The step it guarded is over: drops the timer and the listener on the parent. Without it a
   * deadline that never fired would stay attached to the session's signal until its time ran
   * out, one listener per catalog lookup, and a busy session grew past Node's warning at 11.
   */
  clear(): void;
}

/**
 * A deadline that aborts when `parent` does or after `ms`, whichever comes first.
 *
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 the timeout signal is held
 * only weakly by the combined one and can be garbage-collected before it fires, so under memory
 * pressure a deadline silently never came (found by the ingress fuzzer: a client stalling in
 * authentication was never timed out). Here the pending timer keeps the controller alive.
 */
export function deadline(parent: AbortSignal, ms: number): Deadline {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, clear: () => undefined };
  }
  const onParentAbort = (): void => controller.abort(parent.reason);
  const timer = setTimeout(() => controller.abort(new DOMException('deadline exceeded', 'TimeoutError')), ms);
  timer.unref();
  const clear = (): void => {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParentAbort);
  };
  parent.addEventListener('abort', onParentAbort, { once: true });
  controller.signal.addEventListener('abort', clear, { once: true });
  return { signal: controller.signal, clear };
}
