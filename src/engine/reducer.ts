/**
 * The RunState reducer: `applyEvent` folds one event into the state, so that the state of a run is
 * `events.reduce(applyEvent, null)` (DESIGN.md rule 2). Pure: the same log always gives the same
 * state. Tool events fold in reducer-tools.ts.
 */
import type { RunEvent } from "./events";
import { PHASE_OF_STEP } from "./state";
import type { RunState } from "./state";
import { applyToolEvent } from "./reducer-tools";

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
    thread: data.thread_id !== undefined && data.turn !== undefined ? { thread_id: data.thread_id, turn: data.turn } : null,
    history: [],
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
    injections: [],
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
    refused: false,
    error: null,
    feedback: [],
    forked_from: null,
    imported_from: null,
    created_at: event.ts,
    updated_at: event.ts,
  };
}

const GUARDRAIL_STATUS = { block: "blocked", redact: "redacted", flag: "flagged" } as const;
const SEVERITY: Record<RunState["guardrail"]["status"], number> = { ok: 0, flagged: 1, redacted: 2, blocked: 3 };

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
    case "context.history":
      return { ...state, history: event.data.entries };
    case "context.sanitized": {
      const texts = event.data.texts ?? {};
      return {
        ...state,
        sanitized_chunk_ids: [...new Set([...state.sanitized_chunk_ids, ...event.data.chunk_ids])],
        retrieved_chunks: state.retrieved_chunks.map((chunk) => {
          const text = texts[chunk.id];
          return text === undefined ? chunk : { ...chunk, text };
        }),
        tool_results: state.tool_results.map((result) => {
          const text = texts[result.request_id];
          return text === undefined ? result : { ...result, sanitized: text };
        }),
      };
    }
    case "guardrail.triggered": {
      // The run's guardrail status is the most severe action taken so far: a later flag does not hide a block.
      const status = GUARDRAIL_STATUS[event.data.action];
      if (SEVERITY[status] < SEVERITY[state.guardrail.status]) return state;
      return { ...state, guardrail: { status, reason: event.data.reason, layer: event.data.layer } };
    }
    case "injection.detected":
      return {
        ...state,
        injections: [
          ...state.injections,
          { source: event.data.source, source_id: event.data.source_id, score: event.data.score, rule: event.data.rule },
        ],
      };
    case "tool.requested":
    case "tool.dispatched":
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
        refused: event.data.refused,
      };
    case "run.failed":
      return { ...state, phase: "failed", status: "failed", current_step: null, error: event.data.error };
    case "run.cancelled":
      return { ...state, phase: "cancelled", status: "cancelled", current_step: null };
    case "run.forked": {
      const { message, options, approvals = [] } = event.data;
      const merged = { ...state.options, ...(options ?? {}) };
      const expiry = new Map(approvals.map((a) => [a.request_id, a.expires_at]));
      return {
        ...state,
        forked_from: { run_id: event.data.source_run_id, at_seq: event.data.at_seq },
        message: message ?? state.message,
        options: merged,
        // A fork is a run of its own from now on: its wall time is counted from the fork, not from the
        // source's start (a fork of yesterday's run is not out of time before it begins).
        budget: {
          ...state.budget,
          tool_calls: { ...state.budget.tool_calls, limit: merged.max_tool_calls },
          wall_time_ms: { ...state.budget.wall_time_ms, deadline: new Date(Date.parse(event.ts) + state.budget.wall_time_ms.limit).toISOString() },
          exceeded: state.budget.exceeded.filter((budget) => budget !== "wall_time"),
        },
        tool_requests: state.tool_requests.map((r) => {
          const expires = expiry.get(r.request_id);
          return expires === undefined || r.approval === null ? r : { ...r, approval: { ...r.approval, expires_at: expires } };
        }),
      };
    }
    case "run.imported":
      return { ...state, imported_from: { run_id: event.data.source_run_id, head_hash: event.data.source_head_hash } };
    case "workflow.step.completed":
    case "workflow.step.failed":
    case "workflow.step.retry_scheduled":
    case "node.started":
    case "node.completed":
    case "retrieval.started":
    case "model.started":
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

