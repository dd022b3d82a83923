/**
 * One model call's cancellation: the caller's signal combined with the call's own deadline. The
 * combined signal aborts when either does; `timedOut()` tells which, so a timeout can be reported
 * as such and a caller's abort handed back as the caller's. `dispose()` must be called when the
 * call ends, whatever way it ends.
 */

export interface CallDeadline {
  signal: AbortSignal;
  timedOut(): boolean;
  parent: AbortSignal;
  timeoutMs: number;
  dispose(): void;
}

/** The caller's signal combined with this call's own deadline. */
export function callDeadline(parent: AbortSignal, timeoutMs: number): CallDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", onParentAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("model call timed out", "TimeoutError"));
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    parent,
    timeoutMs,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener("abort", onParentAbort);
    },
  };
}
