/**
 * The RunState reducer against expectations written by hand from the contract, not against itself:
 * each event's effect on the fields a client reads. (The integration tests check that the stored
 * snapshot equals the fold; this checks that the fold is right.)
 */
import { describe, expect, it } from "vitest";
import type { NewEvent, RunEvent } from "../../src/engine/events";
import { newEvent } from "../../src/engine/events";
import { applyEvent, foldEvents } from "../../src/engine/reducer";
import type { RunState } from "../../src/engine/state";

const RUN = "run_01JTESTRVN0000000000000000";

/** Envelopes one second apart from 10:00:00 (hashes are not the reducer's concern). */
function log(...events: NewEvent[]): RunEvent[] {
  return events.map((event, i) => ({
    run_id: RUN,
    seq: i + 1,
    ts: new Date(Date.parse("2026-11-24T10:00:00.000Z") + i * 1000).toISOString(),
    type: event.type,
    data: event.data,
    hash: "",
  })) as RunEvent[];
}

const started = newEvent("run.started", {
  message: "What is 2 + 2?",
  mode: "chat",
  tenant_id: "acme",
  user_id: "ann",
  options: { approval: "auto", max_tool_calls: 4, max_wall_time_ms: 60_000, max_tokens: 1_000 },
  context: { locale: "en" },
  scopes: ["runs:write"],
});

function fold(...events: NewEvent[]): RunState {
  const state = foldEvents(log(started, ...events));
  if (state === null) throw new Error("no state");
  return state;
}

const at = (seconds: number) => new Date(Date.parse("2026-11-24T10:00:00.000Z") + seconds * 1000).toISOString();

describe("the RunState reducer", () => {
  it("starts a run from run.started", () => {
    expect(fold()).toEqual({
      run_id: RUN,
      tenant_id: "acme",
      user_id: "ann",
      scopes: ["runs:write"],
      message: "What is 2 + 2?",
      context: { locale: "en" },
      mode: "chat",
      options: { approval: "auto", max_tool_calls: 4, max_wall_time_ms: 60_000, max_tokens: 1_000 },
      thread: null,
      history: [],
      phase: "created",
      status: "running",
      last_seq: 1,
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
        tool_calls: { limit: 4, used: 0 },
        tokens: { limit: 1_000, used: 0 },
        wall_time_ms: { limit: 60_000, deadline: at(60) },
        exceeded: [],
      },
      degraded: false,
      refused: false,
      error: null,
      feedback: [],
      forked_from: null,
      imported_from: null,
      created_at: at(0),
      updated_at: at(0),
    });
  });

  it("refuses an event before run.started", () => {
    expect(() => applyEvent(null, log(newEvent("output.chunk", { text: "x", attempt: 1 }))[0]!)).toThrow();
  });

  it("follows steps and waits in phase and status, and stamps last_seq and updated_at", () => {
    const s = fold(
      newEvent("workflow.step.started", { step: "act", attempt: 1 }),
      newEvent("workflow.waiting", { reason: "tool", request_ids: ["tr_1"], deadline: at(9) }),
    );
    expect(s).toMatchObject({ phase: "waiting", status: "waiting", current_step: "act", last_seq: 3, updated_at: at(2) });
    const resumed = fold(
      newEvent("workflow.step.started", { step: "act", attempt: 1 }),
      newEvent("workflow.waiting", { reason: "tool", request_ids: ["tr_1"], deadline: at(9) }),
      newEvent("workflow.resumed", { reason: "tool" }),
    );
    expect(resumed).toMatchObject({ phase: "acting", status: "running" });
  });

  it("follows a tool call from request through dispatch to its outcome, counting it once", () => {
    const requested = newEvent("tool.requested", { request_id: "tr_1", tool: "calculator.evaluate", server: "calculator", args: { expression: "2+2" }, requires_approval: false });
    const dispatched = newEvent("tool.dispatched", { request_id: "tr_1", tool: "calculator.evaluate", deadline: at(60) });
    expect(fold(requested).tool_requests[0]).toMatchObject({ status: "requested", dispatched_at: null, deadline: null });
    expect(fold(requested).budget.tool_calls.used).toBe(1);
    expect(fold(requested, dispatched).tool_requests[0]).toMatchObject({ status: "dispatched", dispatched_at: at(2), deadline: at(60) });
    const done = fold(
      requested,
      dispatched,
      newEvent("tool.completed", { request_id: "tr_1", tool: "calculator.evaluate", server: "calculator", result: { value: 4 }, cached: true, duration_ms: 7 }),
    );
    expect(done.tool_requests[0]?.status).toBe("completed");
    expect(done.tool_results).toEqual([
      { request_id: "tr_1", tool: "calculator.evaluate", server: "calculator", status: "completed", result: { value: 4 }, cached: true, duration_ms: 7 },
    ]);
    expect(done.budget.tool_calls.used).toBe(1);
    expect(done.degraded).toBe(false);
  });

  it("marks the run degraded when a call fails or its server errs, and records a denial", () => {
    const requested = newEvent("tool.requested", { request_id: "tr_1", tool: "github.get_repo", server: "github", args: {}, requires_approval: false });
    const failed = fold(requested, newEvent("tool.failed", { request_id: "tr_1", tool: "github.get_repo", error: { code: "x", message: "boom" }, retryable: false }));
    expect(failed).toMatchObject({ degraded: true, tool_requests: [{ status: "failed" }] });
    expect(failed.tool_results[0]).toEqual({ request_id: "tr_1", tool: "github.get_repo", server: "github", status: "failed", error: { code: "x", message: "boom" }, retryable: false });
    const serverError = fold(requested, newEvent("tool.server.error", { request_id: "tr_1", server: "github", error: { code: "y", message: "down" } }));
    expect(serverError).toMatchObject({ degraded: true, tool_requests: [{ status: "server_error" }], tool_results: [{ tool: "github.get_repo", status: "server_error" }] });
    const denied = fold(requested, newEvent("tool.denied", { request_id: "tr_1", tool: "github.get_repo", reason: "no scope" }));
    expect(denied).toMatchObject({ degraded: false, tool_requests: [{ status: "denied" }], denials: [{ request_id: "tr_1", tool: "github.get_repo", reason: "no scope" }] });
  });

  it("parks a call for approval, then marks it approved (not dispatched) or denied", () => {
    const requested = newEvent("tool.requested", { request_id: "tr_1", tool: "notes.save", server: "notes", args: { text: "x" }, requires_approval: true });
    const asked = newEvent("approval.requested", { request_id: "tr_1", tool: "notes.save", server: "notes", args: { text: "x" }, reason: "side effects", expires_at: at(900) });
    expect(fold(requested, asked).tool_requests[0]).toMatchObject({
      status: "awaiting_approval",
      approval: { expires_at: at(900), reason: "side effects", decision: null, decided_by: null },
    });
    const approved = fold(requested, asked, newEvent("approval.recorded", { request_id: "tr_1", decision: "approve", reason: null, user_id: "bob" }));
    expect(approved.tool_requests[0]).toMatchObject({ status: "approved", dispatched_at: null, approval: { decision: "approve", decided_by: "bob" } });
    const rejected = fold(
      requested,
      asked,
      newEvent("approval.recorded", { request_id: "tr_1", decision: "reject", reason: "no", user_id: "bob" }),
      newEvent("tool.denied", { request_id: "tr_1", tool: "notes.save", reason: "rejected by bob: no" }),
    );
    expect(rejected.tool_requests[0]).toMatchObject({ status: "denied", approval: { decision: "reject" } });
  });

  it("accumulates output chunks, starts over on output.reset, and takes output.completed as the answer", () => {
    const s = fold(newEvent("output.chunk", { text: "Hel", attempt: 1 }), newEvent("output.chunk", { text: "lo", attempt: 1 }));
    expect(s).toMatchObject({ output: "Hello", output_streamed: true, output_completed: false });
    const reset = fold(
      newEvent("output.chunk", { text: "Hel", attempt: 1 }),
      newEvent("output.reset", { attempt: 2, reason: "retry", cause: "regenerate" }),
      newEvent("output.chunk", { text: "Bye", attempt: 2 }),
      newEvent("output.completed", { text: "Bye." }),
    );
    expect(reset).toMatchObject({ output: "Bye.", output_attempt: 2, regenerations: 1, output_completed: true });
  });

  it("charges model usage to the token budget, and records an exceeded budget as degraded", () => {
    const usage = (input_tokens: number, output_tokens: number) =>
      newEvent("model.completed", { capability: "generation", model: "m", provider: "p", usage: { input_tokens, output_tokens }, duration_ms: 1, finish_reason: "stop" });
    expect(fold(usage(100, 20), usage(5, 1)).budget.tokens.used).toBe(126);
    const over = fold(usage(900, 200), newEvent("budget.exceeded", { budget: "tokens", limit: 1_000, used: 1_100 }));
    expect(over).toMatchObject({ degraded: true, budget: { tokens: { used: 1_100 }, exceeded: ["tokens"] } });
  });

  it("ends the run on each terminal event", () => {
    expect(fold(newEvent("run.completed", { output: "4", degraded: true, refused: false }))).toMatchObject({
      phase: "completed",
      status: "completed",
      output: "4",
      degraded: true,
    });
    expect(fold(newEvent("run.failed", { error: { code: "e", message: "m" } }))).toMatchObject({ status: "failed", error: { code: "e", message: "m" } });
    expect(fold(newEvent("run.cancelled", { by_user_id: "ann" }))).toMatchObject({ phase: "cancelled", status: "cancelled" });
  });

  it("records retrieval, plans, decisions, guardrails and feedback", () => {
    const s = fold(
      newEvent("plan.created", { steps: ["a"], needs_retrieval: true, tool_intents: [], source: "rules" }),
      newEvent("decision.made", { decision: "retrieve", reason: "why" }),
      newEvent("retrieval.completed", { chunk_ids: ["c1"], scores: [0.5], duration_ms: 1, chunks: [{ id: "c1", text: "t", score: 0.5, metadata: {} }] }),
      newEvent("guardrail.triggered", { layer: "output", rule: "r", action: "redact", reason: "secret" }),
      newEvent("feedback.recorded", { feedback_id: "fb_1", rating: "up" }),
    );
    expect(s).toMatchObject({
      plan: { steps: ["a"], needs_retrieval: true, tool_intents: [], source: "rules" },
      decisions: [{ decision: "retrieve", reason: "why" }],
      retrieved_chunks: [{ id: "c1", text: "t", score: 0.5, metadata: {} }],
      guardrail: { status: "redacted", reason: "secret", layer: "output" },
      feedback: [{ feedback_id: "fb_1", rating: "up" }],
    });
  });

  it("leaves the state alone for purely informational events, but for last_seq", () => {
    const before = fold();
    const after = fold(newEvent("node.started", { node: "n", step: "plan" }), newEvent("retrieval.started", { query: "q", k: 5 }));
    expect({ ...after, last_seq: 1, updated_at: before.updated_at }).toEqual(before);
  });
});
