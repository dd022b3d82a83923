/**
 * The engine's error kinds (STYLE.md 6). A `StepError` says by its fields whether the workflow may
 * retry it and after how long; any other thrown error is treated as a retryable internal fault.
 * Tool failures are not exceptions at all: they are in-band outcomes recorded as events.
 */
import type { ErrorInfo } from "./events";

export class StepError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** A provider's hint (`retry-after`) for the earliest useful retry. */
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "StepError";
    this.code = code;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }

  static terminal(code: string, message: string, cause?: unknown): StepError {
    return new StepError(code, message, { retryable: false, cause });
  }

  static retryable(code: string, message: string, retryAfterMs?: number, cause?: unknown): StepError {
    return new StepError(code, message, { retryable: true, retryAfterMs, cause });
  }
}

/**
 * Thrown into a step whose execution no longer owns the run (it was cancelled, or a newer attempt
 * took over): whatever it was about to write must not be written.
 */
export class Superseded extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "Superseded";
  }
}

/** How a thrown value is recorded: `{code, message}` and whether a retry may help. */
export function classify(error: unknown): ErrorInfo & { retryable: boolean; retryAfterMs?: number } {
  if (error instanceof StepError) {
    return { code: error.code, message: error.message, retryable: error.retryable, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof Error && error.name === "AbortError") {
    return { code: "step_timeout", message: "the step did not finish before its deadline", retryable: true };
  }
  // Unknown errors are faults of this attempt (a dropped connection, a runtime hiccup): retry them,
  // bounded by the step's attempt limit. The message is kept short and free of internals.
  const message = error instanceof Error ? error.message : String(error);
  return { code: "internal", message: message.slice(0, 300), retryable: true };
}
