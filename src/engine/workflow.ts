/**
 * The durable workflow: its state (what `GET /runs/{id}/workflow` returns), the order of its steps,
 * and the pure rules for moving between them (retry with backoff, waiting, resuming). SQLite holds
 * this state; the alarm wakes the runtime, which reads it and decides what to do next.
 */
import { z } from "zod";
import type { EngineConfig } from "./config";
import { STEPS, StepName } from "./events";
import { RunStatus } from "./lifecycle";

export const StepRecord = z.object({
  name: StepName,
  status: z.enum(["pending", "running", "waiting", "completed", "failed"]),
  attempts: z.number().int().min(0),
  /** Attempts of the step that died with their object (`interrupted`): they have their own budget. */
  interruptions: z.number().int().min(0).default(0),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
});
export type StepRecord = z.infer<typeof StepRecord>;

export const WaitReason = z.enum(["approval", "tool", "backoff"]);
export type WaitReason = z.infer<typeof WaitReason>;

export const WorkflowState = z.object({
  run_id: z.string(),
  status: RunStatus,
  current_step: StepName.nullable(),
  attempt: z.number().int().min(0),
  /**
   * Where the current attempt stands. `pending`: not begun. `running`: its body is executing, so
   * finding it `running` with no live execution means the object died mid-step. `waiting`: parked
   * until `waiting.deadline` or an outside event. `resumed`: woken, to continue without restarting.
   */
  step_phase: z.enum(["pending", "running", "waiting", "resumed"]),
  step_started_at: z.string().nullable(),
  step_span_id: z.string().nullable(),
  steps: z.array(StepRecord),
  waiting: z
    .object({
      reason: WaitReason,
      request_ids: z.array(z.string()),
      deadline: z.string(),
      span_id: z.string(),
    })
    .nullable(),
  next_alarm_at: z.string().nullable(),
  /** Bumped whenever an execution loses ownership (a new attempt, a cancel); stale writers stop. */
  epoch: z.number().int().min(0),
  run_span_id: z.string(),
  updated_at: z.string(),
});
export type WorkflowState = z.infer<typeof WorkflowState>;

export function initialWorkflow(runId: string, runSpanId: string, nowIso: string): WorkflowState {
  return {
    run_id: runId,
    status: "running",
    current_step: "receive",
    attempt: 1,
    step_phase: "pending",
    step_started_at: null,
    step_span_id: null,
    steps: STEPS.map((name) => ({ name, status: "pending", attempts: 0, interruptions: 0, started_at: null, ended_at: null })),
    waiting: null,
    next_alarm_at: null,
    epoch: 0,
    run_span_id: runSpanId,
    updated_at: nowIso,
  };
}

export function nextStep(step: StepName): StepName | null {
  const index = STEPS.indexOf(step);
  return STEPS[index + 1] ?? null;
}

export function updateStep(wf: WorkflowState, name: StepName, patch: Partial<StepRecord>): StepRecord[] {
  return wf.steps.map((record) => (record.name === name ? { ...record, ...patch } : record));
}

/**
 * Exponential backoff with equal jitter: half the exponential delay fixed, half random, capped;
 * never sooner than a provider's `retry-after`.
 */
export function backoffMs(config: EngineConfig, nextAttempt: number, random: number, retryAfterMs?: number): number {
  const exponential = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.max(0, nextAttempt - 2));
  const jittered = Math.round(exponential / 2 + (random * exponential) / 2);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, config.retryMaxMs * 4));
}
