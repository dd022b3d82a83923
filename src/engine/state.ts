/**
 * RunState: the view of a run that a client reads from `GET /runs/{id}/state`. It is a pure fold of
 * the event log (`events.reduce(applyEvent, null)`); the run object stores it as a cache written in
 * the same transaction as each event, and tests prove the cache always equals the fold.
 */
import { z } from "zod";
import { ChunkRef, ErrorInfo, Mode, RunOptions, StepName, ToolIntent } from "./events";
import type { RunEvent } from "./events";
import { applyToolEvent } from "./state-tools";

export const Phase = z.enum([
  "created",
  "receiving",
  "planning",
  "retrieving",
  "acting",
  "responding",
  "verifying",
  "finalizing",
  "waiting",
  "completed",
  "failed",
  "cancelled",
]);
export type Phase = z.infer<typeof Phase>;

export const RunStatus = z.enum(["running", "waiting", "completed", "failed", "cancelled"]);
export type RunStatus = z.infer<typeof RunStatus>;

export const PHASE_OF_STEP: Record<StepName, Phase> = {
  receive: "receiving",
  plan: "planning",
  retrieve: "retrieving",
  act: "acting",
  respond: "responding",
  verify: "verifying",
  finalize: "finalizing",
};

export const ToolRequestStatus = z.enum([
  "awaiting_approval", // approval requested, no decision yet
  "dispatched", // on its way to the executor (directly, or after approval)
  "completed",
  "failed",
  "denied",
  "server_error",
]);
export type ToolRequestStatus = z.infer<typeof ToolRequestStatus>;

export const ToolRequestState = z.object({
  request_id: z.string(),
  tool: z.string(),
  server: z.string(),
  args: z.record(z.string(), z.unknown()),
  requires_approval: z.boolean(),
  status: ToolRequestStatus,
  requested_at: z.string(),
  /** When the call was sent to the executor: at request, or when approved. */
  dispatched_at: z.string().nullable(),
  approval: z
    .object({
      expires_at: z.string(),
      reason: z.string(),
      decision: z.enum(["approve", "reject"]).nullable(),
      decided_by: z.string().nullable(),
    })
    .nullable(),
});
export type ToolRequestState = z.infer<typeof ToolRequestState>;

export const ToolResultState = z.object({
  request_id: z.string(),
  tool: z.string(),
  server: z.string(),
  status: z.enum(["completed", "failed", "server_error"]),
  result: z.unknown().optional(),
  cached: z.boolean().optional(),
  duration_ms: z.number().optional(),
  error: ErrorInfo.optional(),
  retryable: z.boolean().optional(),
});
export type ToolResultState = z.infer<typeof ToolResultState>;

export const RunState = z.object({
  run_id: z.string(),
  tenant_id: z.string(),
  user_id: z.string(),
  /** The scopes of the key that started the run: what its tools may do. */
  scopes: z.array(z.string()),
  message: z.string(),
  context: z.record(z.string(), z.unknown()),
  mode: Mode,
  options: RunOptions,
  phase: Phase,
  status: RunStatus,
  last_seq: z.number().int(),
  current_step: StepName.nullable(),
  plan: z
    .object({
      steps: z.array(z.string()),
      needs_retrieval: z.boolean(),
      tool_intents: z.array(ToolIntent),
      source: z.enum(["rules", "model"]).nullable(),
    })
    .nullable(),
  decisions: z.array(z.object({ decision: z.string(), reason: z.string() })),
  tool_requests: z.array(ToolRequestState),
  tool_results: z.array(ToolResultState),
  denials: z.array(z.object({ request_id: z.string(), tool: z.string(), reason: z.string() })),
  retrieved_chunks: z.array(ChunkRef),
  sanitized_chunk_ids: z.array(z.string()),
  guardrail: z.object({
    status: z.enum(["ok", "flagged", "redacted", "blocked"]),
    reason: z.string().nullable(),
    layer: z.string().nullable(),
  }),
  output: z.string(),
  /** The output generation `output` holds; an `output.reset` starts the next one. */
  output_attempt: z.number().int(),
  /** Regenerations asked for by verification (research mode allows one). */
  regenerations: z.number().int(),
  /** True once chunks of the current attempt were streamed (a retry must reset them). */
  output_streamed: z.boolean(),
  output_completed: z.boolean(),
  /** The latest verification, and which output generation it checked. */
  verification: z.object({ passed: z.boolean(), issues: z.array(z.string()), output_attempt: z.number().int() }).nullable(),
  budget: z.object({
    tool_calls: z.object({ limit: z.number(), used: z.number() }),
    tokens: z.object({ limit: z.number(), used: z.number() }),
    wall_time_ms: z.object({ limit: z.number(), deadline: z.string() }),
    exceeded: z.array(z.enum(["tokens", "tool_calls", "wall_time"])),
  }),
  degraded: z.boolean(),
  error: ErrorInfo.nullable(),
  feedback: z.array(z.object({ feedback_id: z.string(), rating: z.enum(["up", "down"]) })),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RunState = z.infer<typeof RunState>;

function initialState(event: Extract<RunEvent, { type: "run.started" }>): RunState {
  const { data } = event;
  return {
    run_id: event.run_id,
    tenant_id: data.tenant_id,
    user_id: data.user_id,
    scopes: data.scopes,
    message: data.message,
    context: data.context,
    mode: data.mode,
    options: data.options,
    phase: "created",
    status: "running",
    last_seq: event.seq,
    current_step: null,
    plan: null,
    decisions: [],
    tool_requests: [],
    tool_results: [],
    denials: [],
    retrieved_chunks: [],
    sanitized_chunk_ids: [],
    guardrail: { status: "ok", reason: null, layer: null },
    output: "",
    output_attempt: 1,
    regenerations: 0,
    output_streamed: false,
    output_completed: false,
    verification: null,
    budget: {
      tool_calls: { limit: data.options.max_tool_calls, used: 0 },
      tokens: { limit: data.options.max_tokens, used: 0 },
      wall_time_ms: {
        limit: data.options.max_wall_time_ms,
        deadline: new Date(Date.parse(event.ts) + data.options.max_wall_time_ms).toISOString(),
      },
      exceeded: [],
    },
    degraded: false,
    error: null,
    feedback: [],
    created_at: event.ts,
    updated_at: event.ts,
  };
}

/** Folds one event into the state. Pure: the same log always gives the same state. */
export function applyEvent(previous: RunState | null, event: RunEvent): RunState {
  if (event.type === "run.started") return initialState(event);
  if (previous === null) throw new Error(`event ${event.seq} (${event.type}) precedes run.started`);
  const state: RunState = { ...previous, last_seq: event.seq, updated_at: event.ts };

  switch (event.type) {
    case "workflow.step.started":
      return { ...state, current_step: event.data.step, phase: PHASE_OF_STEP[event.data.step], status: "running" };
    case "workflow.waiting":
      return { ...state, phase: "waiting", status: "waiting" };
    case "workflow.resumed":
      return {
        ...state,
        status: "running",
        phase: state.current_step === null ? state.phase : PHASE_OF_STEP[state.current_step],
      };
    case "plan.created":
      return {
        ...state,
        plan: {
          steps: event.data.steps,
          needs_retrieval: event.data.needs_retrieval,
          tool_intents: event.data.tool_intents,
          source: event.data.source ?? null,
        },
      };
    case "decision.made":
      return { ...state, decisions: [...state.decisions, { decision: event.data.decision, reason: event.data.reason }] };
    case "retrieval.completed":
      return {
        ...state,
        retrieved_chunks:
          event.data.chunks ??
          event.data.chunk_ids.map((id, i) => ({ id, text: "", score: event.data.scores[i] ?? 0, metadata: {} })),
      };
    case "context.sanitized":
      return { ...state, sanitized_chunk_ids: event.data.chunk_ids };
    case "guardrail.triggered": {
      const status = event.data.action === "block" ? "blocked" : event.data.action === "redact" ? "redacted" : "flagged";
      return { ...state, guardrail: { status, reason: event.data.reason, layer: event.data.layer } };
    }
    case "tool.requested":
    case "approval.requested":
    case "approval.recorded":
    case "tool.completed":
    case "tool.failed":
    case "tool.server.error":
    case "tool.denied":
      return applyToolEvent(state, event);
    case "model.completed": {
      const used = state.budget.tokens.used + event.data.usage.input_tokens + event.data.usage.output_tokens;
      return { ...state, budget: { ...state.budget, tokens: { ...state.budget.tokens, used } } };
    }
    case "output.chunk":
      return { ...state, output: state.output + event.data.text, output_streamed: true, output_completed: false };
    case "output.reset":
      return {
        ...state,
        output: "",
        output_attempt: event.data.attempt,
        regenerations: state.regenerations + (event.data.cause === "regenerate" ? 1 : 0),
        output_streamed: false,
        output_completed: false,
      };
    case "output.completed":
      return { ...state, output: event.data.text, output_completed: true };
    case "verification.completed":
      return {
        ...state,
        verification: { passed: event.data.passed, issues: event.data.issues, output_attempt: state.output_attempt },
      };
    case "budget.exceeded":
      return {
        ...state,
        degraded: true,
        budget: { ...state.budget, exceeded: [...new Set([...state.budget.exceeded, event.data.budget])] },
      };
    case "feedback.recorded":
      return { ...state, feedback: [...state.feedback, { feedback_id: event.data.feedback_id, rating: event.data.rating }] };
    case "run.completed":
      return {
        ...state,
        phase: "completed",
        status: "completed",
        current_step: null,
        output: event.data.output,
        degraded: event.data.degraded,
      };
    case "run.failed":
      return { ...state, phase: "failed", status: "failed", current_step: null, error: event.data.error };
    case "run.cancelled":
      return { ...state, phase: "cancelled", status: "cancelled", current_step: null };
    case "workflow.step.completed":
    case "workflow.step.failed":
    case "workflow.step.retry_scheduled":
    case "node.started":
    case "node.completed":
    case "injection.detected":
    case "retrieval.started":
    case "model.started":
    case "run.forked":
    case "replay.diverged":
    case "knowledge.ingestion.started":
    case "knowledge.ingestion.completed":
      return state;
    default: {
      const unreachable: never = event;
      throw new Error(`unhandled event ${(unreachable as RunEvent).type}`);
    }
  }
}

export function foldEvents(events: Iterable<RunEvent>, initial: RunState | null = null): RunState | null {
  let state = initial;
  for (const event of events) state = applyEvent(state, event);
  return state;
}

export function isTerminalStatus(status: RunStatus): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}

/** Tool requests that still wait for something: a decision, or a result. */
export function pendingRequests(state: RunState): ToolRequestState[] {
  return state.tool_requests.filter((r) => r.status === "awaiting_approval" || r.status === "dispatched");
}
