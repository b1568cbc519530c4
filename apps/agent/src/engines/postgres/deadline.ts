/**
 * A signal that aborts when `parent` does or after `ms`, whichever comes first.
 *
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 the timeout signal is held
 * only weakly by the combined one and can be garbage-collected before it fires, so under memory
 * pressure a deadline silently never came (found by the ingress fuzzer: a client stalling in
 * authentication was never timed out). Here the pending timer keeps the controller alive.
 */
export function deadlineSignal(parent: AbortSignal, ms: number): AbortSignal {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return controller.signal;
  }
  const onParentAbort = (): void => controller.abort(parent.reason);
  const timer = setTimeout(() => controller.abort(new DOMException('deadline exceeded', 'TimeoutError')), ms);
  timer.unref();
  parent.addEventListener('abort', onParentAbort, { once: true });
  controller.signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
    { once: true },
  );
  return controller.signal;
}
