/**
 * The event catalogue: one zod schema per event type, the envelope, and the types derived from them.
 * This file is the single source of every event's shape (CONTRACT.md "Event catalogue"); the reducer,
 * the SSE stream, the OpenAPI document and the tests all read it from here. New types may be added;
 * existing ones keep their fields.
 */
import { z } from "zod";

export const STEPS = ["receive", "plan", "retrieve", "act", "respond", "verify", "finalize"] as const;
export const StepName = z.enum(STEPS);
export type StepName = z.infer<typeof StepName>;

export const Mode = z.enum(["chat", "research"]);
export type Mode = z.infer<typeof Mode>;

export const ApprovalPolicy = z.enum(["auto", "always", "never"]);
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

export const ErrorInfo = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** A human's answer to an approval request. */
export const ApprovalDecision = z.enum(["approve", "reject"]);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** Thumbs up or down on a run. */
export const Rating = z.enum(["up", "down"]);
export type Rating = z.infer<typeof Rating>;

/** A position in a log: events with a greater `seq` come after it (0: from the start). */
export const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Why a tool call may need a second look before it runs (hidden characters, a suspected injection). */
export const ApprovalWarning = z.object({ code: z.string(), message: z.string() });
export type ApprovalWarning = z.infer<typeof ApprovalWarning>;

/** The options a run was started with, after defaults were applied. */
export const RunOptions = z.object({
  approval: ApprovalPolicy,
  max_tool_calls: z.number().int().min(0),
  max_wall_time_ms: z.number().int().positive(),
  max_tokens: z.number().int().positive(),
});
export type RunOptions = z.infer<typeof RunOptions>;

export const ToolIntent = z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()) });
export type ToolIntent = z.infer<typeof ToolIntent>;

export const ChunkRef = z.object({
  id: z.string(),
  text: z.string(),
  score: z.number(),
  metadata: z.record(z.string(), z.unknown()),
});
export type ChunkRef = z.infer<typeof ChunkRef>;

/** One earlier turn of a thread as a later run sees it: what was asked, and the final answer. */
export const HistoryEntry = z.object({
  turn: z.number().int().positive(),
  run_id: z.string(),
  message: z.string(),
  output: z.string(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

const Usage = z.object({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) });
const Capability = z.enum(["planning", "generation", "verification", "classification"]);
const Json = z.unknown();

/** `data` of every event type. */
export const EVENT_DATA = {
  "run.started": z.object({
    message: z.string(),
    mode: Mode,
    tenant_id: z.string(),
    user_id: z.string(),
    options: RunOptions,
    context: z.record(z.string(), Json),
    /** The scopes of the key that started the run: what its tools may do. */
    scopes: z.array(z.string()),
    /** A run in a thread: which thread, and its place in it (1, 2, ...). */
    thread_id: z.string().optional(),
    turn: z.number().int().positive().optional(),
  }),
  "workflow.step.started": z.object({ step: StepName, attempt: z.number().int().positive() }),
  "workflow.step.completed": z.object({
    step: StepName,
    attempt: z.number().int().positive(),
    duration_ms: z.number().min(0),
  }),
  "workflow.step.failed": z.object({
    step: StepName,
    attempt: z.number().int().positive(),
    error: ErrorInfo,
    retryable: z.boolean(),
  }),
  /** `attempt` is the attempt that will run at `next_attempt_at`. */
  "workflow.step.retry_scheduled": z.object({
    step: StepName,
    attempt: z.number().int().positive(),
    next_attempt_at: z.string(),
    backoff_ms: z.number().int().min(0),
  }),
  "workflow.waiting": z.object({
    reason: z.enum(["approval", "tool", "backoff"]),
    request_ids: z.array(z.string()),
    deadline: z.string(),
  }),
  "workflow.resumed": z.object({ reason: z.string() }),
  "node.started": z.object({ node: z.string(), step: StepName }),
  "node.completed": z.object({ node: z.string(), step: StepName, duration_ms: z.number().min(0).optional() }),
  "guardrail.triggered": z.object({
    layer: z.enum(["input", "context", "output"]),
    rule: z.string(),
    action: z.enum(["block", "redact", "flag"]),
    reason: z.string(),
  }),
  "injection.detected": z.object({
    source: z.enum(["message", "chunk", "tool_result"]),
    source_id: z.string(),
    score: z.number(),
    rule: z.string(),
  }),
  /**
   * Evidence changed before it reached a prompt. `chunk_ids` names retrieved chunks or, for a tool
   * result, its `request_id`; `texts` holds each changed item's text as the model sees it from now on
   * (the log keeps the original in `retrieval.completed` or `tool.completed`).
   */
  "context.sanitized": z.object({
    chunk_ids: z.array(z.string()),
    removed: z.array(z.object({ chunk_id: z.string(), reason: z.string() })),
    texts: z.record(z.string(), z.string()).optional(),
  }),
  "plan.created": z.object({
    steps: z.array(z.string()),
    needs_retrieval: z.boolean(),
    tool_intents: z.array(ToolIntent),
    /** Who made the plan: the offline rules or a model. */
    source: z.enum(["rules", "model"]).optional(),
    /** How many chunks the tenant's knowledge base held when the plan was made (what the planner saw). */
    knowledge_chunks: z.number().int().min(0).optional(),
  }),
  "decision.made": z.object({ decision: z.string(), reason: z.string() }),
  "retrieval.started": z.object({ query: z.string(), k: z.number().int().positive() }),
  "retrieval.completed": z.object({
    chunk_ids: z.array(z.string()),
    scores: z.array(z.number()),
    duration_ms: z.number().min(0),
    /** The chunks themselves, so a retried step or a later step reads them from RunState. */
    chunks: z.array(ChunkRef).optional(),
  }),
  "tool.requested": z.object({
    request_id: z.string(),
    tool: z.string(),
    server: z.string(),
    args: z.record(z.string(), Json),
    requires_approval: z.boolean(),
  }),
  "approval.requested": z.object({
    request_id: z.string(),
    tool: z.string(),
    server: z.string(),
    args: z.record(z.string(), Json),
    reason: z.string(),
    expires_at: z.string(),
    warnings: z.array(ApprovalWarning).default([]),
    /** `args` as indented JSON with every hidden, bidi or control character written as `\uXXXX`: what to show the approver. */
    args_escaped: z.string().optional(),
  }),
  "approval.recorded": z.object({
    request_id: z.string(),
    decision: ApprovalDecision,
    reason: z.string().nullable(),
    user_id: z.string(),
  }),
  /**
   * The call was handed to the executor (by `act`, the only step that dispatches). Until its outcome
   * arrives the run re-sends it on a schedule (the executor dedupes on `request_id`); at `deadline`
   * the run stops waiting.
   */
  "tool.dispatched": z.object({ request_id: z.string(), tool: z.string(), deadline: z.string() }),
  "tool.completed": z.object({
    request_id: z.string(),
    tool: z.string(),
    server: z.string(),
    result: Json,
    cached: z.boolean(),
    duration_ms: z.number().min(0),
  }),
  "tool.failed": z.object({
    request_id: z.string(),
    tool: z.string(),
    error: ErrorInfo,
    retryable: z.boolean(),
  }),
  /**
   * `code` says why by a field: `unknown_tool`, `missing_scope`, `rejected` (by a human),
   * `approval_expired`, `executor` (the executor's firewall or permission gate).
   */
  "tool.denied": z.object({ request_id: z.string(), tool: z.string(), reason: z.string(), code: z.string().optional() }),
  "tool.server.error": z.object({ request_id: z.string(), server: z.string(), error: ErrorInfo }),
  "model.started": z.object({ capability: Capability, model: z.string(), provider: z.string() }),
  "model.completed": z.object({
    capability: Capability,
    model: z.string(),
    provider: z.string(),
    usage: Usage,
    duration_ms: z.number().min(0),
    finish_reason: z.string(),
    /**
     * The model's answer, for calls whose answer no other event carries (planning, verification,
     * classification; a generation's answer is its output chunks): a replay serves it back.
     */
    output: z.string().optional(),
    tool_calls: z.array(z.object({ name: z.string(), arguments: z.record(z.string(), Json) })).optional(),
  }),
  "output.chunk": z.object({ text: z.string(), attempt: z.number().int().positive() }),
  /**
   * `attempt` numbers the output generations of the run (1, 2, ...): a retried step or a
   * regeneration after verification starts the next one; `cause` says which.
   */
  "output.reset": z.object({
    attempt: z.number().int().positive(),
    reason: z.string(),
    cause: z.enum(["retry", "regenerate"]).optional(),
  }),
  "output.completed": z.object({ text: z.string() }),
  "verification.completed": z.object({
    passed: z.boolean(),
    issues: z.array(z.string()),
    /** What was checked: claims examined and the evidence they were checked against. */
    checked: z.record(z.string(), Json).optional(),
  }),
  "budget.exceeded": z.object({
    budget: z.enum(["tokens", "tool_calls", "wall_time"]),
    limit: z.number(),
    used: z.number(),
  }),
  "feedback.recorded": z.object({ feedback_id: z.string(), rating: Rating }),
  /** `refused`: a guardrail blocked the request and `output` is the refusal. */
  "run.completed": z.object({ output: z.string(), degraded: z.boolean(), refused: z.boolean().default(false) }),
  "run.failed": z.object({ error: ErrorInfo }),
  /** `reason: "interrupted"` when a newer message in its thread interrupted it. */
  "run.cancelled": z.object({ by_user_id: z.string(), reason: z.string().optional() }),
  /**
   * The earlier turns of its thread that a run sees (CONTRACT.md "Threads"): `turns` of them, about
   * `tokens` tokens, after `dropped_turns` older ones were left out to stay within the budget.
   * `entries` holds them, oldest first, so that every step (and a replay) reads the same history.
   */
  "context.history": z.object({
    thread_id: z.string(),
    turns: z.number().int().min(0),
    tokens: z.number().int().min(0),
    dropped_turns: z.number().int().min(0),
    entries: z.array(HistoryEntry).default([]),
  }),
  /**
   * The events before this one are the source run's first `at_seq` (copied, on a fresh chain); the
   * run goes on from there, with `message` and `options` in place of the source's when given, and
   * fresh expiries for the approvals it was waiting for.
   */
  "run.forked": z.object({
    source_run_id: z.string(),
    at_seq: z.number().int().min(1),
    message: z.string().optional(),
    options: z.object({ approval: ApprovalPolicy.optional(), max_tool_calls: z.number().int().min(0).optional() }).optional(),
    approvals: z.array(z.object({ request_id: z.string(), expires_at: z.string() })).optional(),
  }),
  /** `expected`/`actual`: `{type, data}` of the recorded event and of the one written instead (null: none). */
  "replay.diverged": z.object({ seq: z.number().int(), expected: Json, actual: Json }),
  /** The events before this one are another run's exported log, verified, on a fresh chain. */
  "run.imported": z.object({ source_run_id: z.string(), source_head_hash: z.string() }),
  "knowledge.ingestion.started": z.object({
    source: z.enum(["bundled", "api"]),
    document_ids: z.array(z.string()),
  }),
  "knowledge.ingestion.completed": z.object({
    source: z.enum(["bundled", "api"]),
    documents: z.number().int().min(0),
    chunks_added: z.number().int().min(0),
    chunks_removed: z.number().int().min(0),
    chunks_unchanged: z.number().int().min(0),
    duration_ms: z.number().min(0),
  }),
} as const;

export type EventType = keyof typeof EVENT_DATA;
/** An event's data as the engine writes it (fields with defaults may be left out). */
export type EventInput<T extends EventType> = z.input<(typeof EVENT_DATA)[T]>;
/** An event's data as stored and read back (defaults applied). */
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];

/**
 * Catalogued types that nothing emits yet: the issue that builds their feature (replay and fork)
 * emits them. Listed so that the catalogue does not promise what the engine does
 * not do; a test keeps this list honest.
 */
export const NOT_YET_EMITTED: ReadonlySet<EventType> = new Set<EventType>([
]);

/**
 * An event before the log assigns it a place: what engine code emits. `ts` is set only on an event
 * copied from another log (an import, a fork), which keeps the time it happened.
 */
export type NewEvent = { [T in EventType]: { type: T; data: EventInput<T>; span_id?: string; ts?: string } }[EventType];

/** A stored event: the envelope of CONTRACT.md. */
export type EventOf<T extends EventType> = {
  run_id: string;
  seq: number;
  ts: string;
  type: T;
  data: EventData<T>;
  span_id?: string;
  hash: string;
};
export type RunEvent = { [T in EventType]: EventOf<T> }[EventType];

export function newEvent<T extends EventType>(type: T, data: EventInput<T>, span_id?: string): NewEvent {
  return (span_id === undefined ? { type, data } : { type, data, span_id }) as NewEvent;
}

const Envelope = z.object({
  run_id: z.string(),
  seq: Seq.min(1),
  ts: z.string(),
  type: z.string(),
  data: z.unknown(),
  span_id: z.string().optional(),
  hash: z.string(),
});

/** Parses a stored or received envelope, checking `data` against its type's schema. */
export function parseEvent(value: unknown): RunEvent {
  const env = Envelope.parse(value);
  if (!(env.type in EVENT_DATA)) throw new Error(`unknown event type: ${env.type}`);
  const data = EVENT_DATA[env.type as EventType].parse(env.data);
  return { ...env, data } as RunEvent;
}
