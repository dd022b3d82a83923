/**
 * The workflow's transitions as pure functions: each takes the current WorkflowState (and what
 * happened) and returns the Commit that records it: the events, the new WorkflowState and the spans,
 * written together in one transaction. The runtime decides which transition applies; these say
 * what each one writes.
 */
import type { EngineConfig } from "./config";
import { newEvent } from "./events";
import type { ErrorInfo, NewEvent, StepName } from "./events";
import type { Commit } from "./journal";
import type { TerminalStatus } from "./lifecycle";
import { cancelledAttributes, errorAttributes, retrySpan as retrySpanOf, stepSpan, waitSpan } from "./span-attributes";
import { closeSpan, openSpan } from "./trace";
import type { Span } from "./trace";
import { backoffMs, nextStep, updateStep } from "./workflow";
import type { WaitReason, WorkflowState } from "./workflow";

export interface Instant {
  ms: number;
  iso: string;
}

export function instant(ms: number): Instant {
  return { ms, iso: new Date(ms).toISOString() };
}

function currentStep(wf: WorkflowState): StepName {
  if (wf.current_step === null) throw new Error("the workflow has no current step");
  return wf.current_step;
}

/** The attempt's body begins: a fresh attempt announces itself; a resumed one just continues. */
export function beginAttempt(wf: WorkflowState, spanId: string, now: Instant, watchdogAt: number): Commit {
  const step = currentStep(wf);
  const fresh = wf.step_phase === "pending";
  const record = wf.steps.find((s) => s.name === step);
  return {
    events: fresh ? [newEvent("workflow.step.started", { step, attempt: wf.attempt }, spanId)] : [],
    spans: fresh
      ? [
          openSpan({ span_id: spanId, parent_span_id: wf.run_span_id, kind: "step", ...stepSpan(step, wf.attempt) }, now.iso),
        ]
      : [],
    workflow: {
      ...wf,
      step_phase: "running",
      epoch: wf.epoch + 1,
      step_span_id: spanId,
      step_started_at: fresh ? now.iso : (wf.step_started_at ?? now.iso),
      steps: updateStep(wf, step, {
        status: "running",
        attempts: wf.attempt,
        started_at: record?.started_at ?? now.iso,
        ended_at: null,
      }),
      next_alarm_at: new Date(watchdogAt).toISOString(),
      updated_at: now.iso,
    },
  };
}

export function completeStep(wf: WorkflowState, stepSpan: Span | null, now: Instant): Commit {
  const step = currentStep(wf);
  const started = wf.step_started_at === null ? now.ms : Date.parse(wf.step_started_at);
  const next = nextStep(step);
  return {
    events: [
      newEvent(
        "workflow.step.completed",
        { step, attempt: wf.attempt, duration_ms: Math.max(0, now.ms - started) },
        wf.step_span_id ?? undefined,
      ),
    ],
    spans: stepSpan ? [closeSpan(stepSpan, now.iso, "ok")] : [],
    workflow: {
      ...wf,
      current_step: next,
      attempt: 1,
      step_phase: "pending",
      step_span_id: null,
      step_started_at: null,
      steps: updateStep(wf, step, { status: "completed", ended_at: now.iso }),
      next_alarm_at: null,
      updated_at: now.iso,
    },
  };
}

export function enterWait(
  wf: WorkflowState,
  wait: { reason: WaitReason; request_ids: string[]; deadline: number },
  waitSpanId: string,
  now: Instant,
): Commit {
  const step = currentStep(wf);
  const deadline = new Date(wait.deadline).toISOString();
  return {
    events: [newEvent("workflow.waiting", { reason: wait.reason, request_ids: wait.request_ids, deadline }, wf.step_span_id ?? undefined)],
    spans: [
      openSpan(
        { span_id: waitSpanId, parent_span_id: wf.step_span_id ?? wf.run_span_id, kind: "wait", ...waitSpan(wait.reason, wait.request_ids, deadline) },
        now.iso,
      ),
    ],
    workflow: {
      ...wf,
      status: "waiting",
      step_phase: "waiting",
      waiting: { reason: wait.reason, request_ids: wait.request_ids, deadline, span_id: waitSpanId },
      steps: updateStep(wf, step, { status: "waiting" }),
      next_alarm_at: deadline,
      updated_at: now.iso,
    },
  };
}

/** Leaves a wait: after a backoff the next attempt starts afresh; otherwise the step continues. */
export function resumeWait(wf: WorkflowState, reason: string, waitSpan: Span | null, now: Instant, extra: NewEvent[] = []): Commit {
  const step = currentStep(wf);
  const afterBackoff = wf.waiting?.reason === "backoff";
  return {
    events: [...extra, newEvent("workflow.resumed", { reason }, wf.step_span_id ?? undefined)],
    spans: waitSpan ? [closeSpan(waitSpan, now.iso, "ok")] : [],
    workflow: {
      ...wf,
      status: "running",
      step_phase: afterBackoff ? "pending" : "resumed",
      waiting: null,
      steps: updateStep(wf, step, { status: afterBackoff ? "pending" : "running" }),
      next_alarm_at: null,
      updated_at: now.iso,
    },
  };
}

/**
 * Ends the run: closes every open span and writes the terminal event last. A failure ends them in
 * error with the run's error; a cancellation is not an error: they end ok, marked cancelled.
 */
export function finishRun(
  wf: WorkflowState,
  terminal: NewEvent,
  status: TerminalStatus,
  openSpans: Span[],
  now: Instant,
  before: NewEvent[] = [],
): Commit {
  const error = terminal.type === "run.failed" ? (terminal.data as { error: ErrorInfo }).error : null;
  const close = (span: Span): Span =>
    error !== null
      ? closeSpan(span, now.iso, "error", errorAttributes(error))
      : closeSpan(span, now.iso, "ok", status === "cancelled" ? cancelledAttributes : {});
  // A completed run's last step was already marked by `completeStep`; a failed or cancelled run
  // keeps its current step, marked failed, so the workflow shows where it stopped.
  const step = status === "completed" ? null : wf.current_step;
  return {
    events: [...before, terminal],
    spans: openSpans.filter((span) => span.end === null).map(close),
    workflow: {
      ...wf,
      status,
      current_step: step,
      step_phase: "pending",
      epoch: wf.epoch + 1,
      waiting: null,
      steps: step === null ? wf.steps : updateStep(wf, step, { status: "failed", ended_at: now.iso }),
      next_alarm_at: null,
      updated_at: now.iso,
    },
  };
}

export interface AttemptFailure extends ErrorInfo {
  retryable: boolean;
  retryAfterMs?: number;
}

/**
 * Attempts of one step that may die with their object before the run gives up on it: a crash is
 * the platform's fault, not the step's, so it does not spend the step's `maxAttempts`; but a step
 * that takes its object down every time (a poison input) must still end.
 */
export const MAX_INTERRUPTIONS = 10;

/**
 * An attempt failed. If the error is retryable and attempts remain, the next attempt is scheduled
 * after a backoff (a wait of reason `backoff`), or at once for an interrupted attempt; otherwise
 * the run fails. Interrupted attempts count against MAX_INTERRUPTIONS, the others against the
 * step's `maxAttempts`.
 */
export function failAttempt(
  wf: WorkflowState,
  failure: AttemptFailure,
  spans: { step: Span | null; open: Span[]; retrySpanId: string },
  config: EngineConfig,
  random: number,
  now: Instant,
): Commit {
  const step = currentStep(wf);
  const interrupted = failure.code === "interrupted";
  const interruptions = wf.steps.find((record) => record.name === step)?.interruptions ?? 0;
  const willRetry =
    failure.retryable && (interrupted ? interruptions < MAX_INTERRUPTIONS : wf.attempt - interruptions < config.steps[step].maxAttempts);
  const error = { code: failure.code, message: failure.message };
  const failed = newEvent(
    "workflow.step.failed",
    { step, attempt: wf.attempt, error, retryable: willRetry },
    wf.step_span_id ?? undefined,
  );
  if (!willRetry) return finishRun(wf, newEvent("run.failed", { error }), "failed", spans.open, now, [failed]);
  const closedStep = spans.step ? [closeSpan(spans.step, now.iso, "error", errorAttributes(error))] : [];
  const nextAttempt = wf.attempt + 1;
  const backoff = interrupted ? 0 : backoffMs(config, nextAttempt, random, failure.retryAfterMs);
  const counted = interrupted ? { interruptions: interruptions + 1 } : {};
  const at = instant(now.ms + backoff);
  const scheduled = newEvent("workflow.step.retry_scheduled", {
    step,
    attempt: nextAttempt,
    next_attempt_at: at.iso,
    backoff_ms: backoff,
  });
  const base: WorkflowState = {
    ...wf,
    attempt: nextAttempt,
    epoch: wf.epoch + 1,
    step_span_id: null,
    step_started_at: null,
    updated_at: now.iso,
  };
  if (backoff === 0) {
    return {
      events: [failed, scheduled],
      spans: closedStep,
      workflow: { ...base, step_phase: "pending", steps: updateStep(wf, step, { status: "pending", ...counted }), next_alarm_at: null },
    };
  }
  const retrySpan = openSpan(
    { span_id: spans.retrySpanId, parent_span_id: wf.run_span_id, kind: "retry", ...retrySpanOf(step, nextAttempt, backoff, failure.code) },
    now.iso,
  );
  return {
    events: [failed, scheduled, newEvent("workflow.waiting", { reason: "backoff", request_ids: [], deadline: at.iso })],
    spans: [...closedStep, retrySpan],
    workflow: {
      ...base,
      status: "waiting",
      step_phase: "waiting",
      waiting: { reason: "backoff", request_ids: [], deadline: at.iso, span_id: retrySpan.span_id },
      steps: updateStep(wf, step, { status: "waiting" }),
      next_alarm_at: at.iso,
    },
  };
}
