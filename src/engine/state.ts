/**
 * RunState: the view of a run that a client reads from `GET /runs/{id}/state`, as zod schemas. It
 * is a pure fold of the event log (reducer.ts); the run object stores it as a cache written in the
 * same transaction as each event, and tests prove the cache always equals the fold.
 */
import { z } from "zod";
import { ApprovalDecision, ChunkRef, ErrorInfo, HistoryEntry, Mode, Rating, RunOptions, StepName, ToolIntent } from "./events";
import { RunStatus } from "./lifecycle";

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
  "requested", // recorded, not yet handed to the executor
  "awaiting_approval", // approval requested, no decision yet
  "approved", // a human approved it; `act` dispatches it next
  "dispatched", // with the executor, until its outcome arrives or its deadline passes
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
  /** When `act` handed the call to the executor, and until when the run waits for its outcome. */
  dispatched_at: z.string().nullable(),
  deadline: z.string().nullable(),
  approval: z
    .object({
      expires_at: z.string(),
      reason: z.string(),
      decision: ApprovalDecision.nullable(),
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
  /** The result's text as the model sees it, when the context sanitizer changed it (`context.sanitized`). */
  sanitized: z.string().optional(),
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
  /** The thread the run belongs to and its turn in it; null for a run started with POST /runs. */
  thread: z.object({ thread_id: z.string(), turn: z.number().int().positive() }).nullable().default(null),
  /** The earlier turns of its thread the run sees (`context.history`), oldest first. */
  history: z.array(HistoryEntry).default([]),
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
  /** Suspected prompt injections (`injection.detected`), in order: approvals warn about them. */
  injections: z
    .array(z.object({ source: z.enum(["message", "chunk", "tool_result"]), source_id: z.string(), score: z.number(), rule: z.string() }))
    .default([]),
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
  /** The input layers refused the message: `output` is the refusal (`run.completed {refused: true}`). */
  refused: z.boolean().default(false),
  error: ErrorInfo.nullable(),
  feedback: z.array(z.object({ feedback_id: z.string(), rating: Rating })),
  /** The run this one was forked from, and where; or the run whose export it was imported from. */
  forked_from: z.object({ run_id: z.string(), at_seq: z.number().int() }).nullable(),
  imported_from: z.object({ run_id: z.string(), head_hash: z.string() }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RunState = z.infer<typeof RunState>;

const PENDING: ReadonlySet<ToolRequestStatus> = new Set<ToolRequestStatus>(["requested", "awaiting_approval", "approved", "dispatched"]);

/** Tool requests that still wait for something: a decision, a dispatch, or an outcome. */
export function pendingRequests(state: RunState): ToolRequestState[] {
  return state.tool_requests.filter((r) => PENDING.has(r.status));
}
