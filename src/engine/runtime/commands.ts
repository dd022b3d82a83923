/**
 * The commands a run accepts from outside: start, an approval decision, cancel, a tool result from
 * the executor, and feedback. Each validates against the run's current state, commits what it
 * decided in one transaction, and wakes the workflow when it should move on. Each is idempotent or
 * answers a conflict: a repeated start with the same body, a redelivered tool result, a second
 * decision for one request never have a second effect.
 */
import { newEvent } from "../events";
import type { ApprovalPolicy, Mode, NewEvent } from "../events";
import { isTerminalStatus, pendingRequests } from "../state";
import type { RunStatus } from "../state";
import { dispatchMessage } from "../steps/act";
import type { DeliveryResult, ToolOutcome } from "../tools";
import { openSpan } from "../trace";
import type { Span } from "../trace";
import { initialWorkflow, isTerminal } from "../workflow";
import type { RunRuntime } from "./run-runtime";
import { INDEX_DELAY_MS } from "./run-runtime";
import { finishRun } from "./transitions";
import { TOOL_TIMEOUT_CODE } from "./waits";

export interface StartInput {
  run_id: string;
  tenant_id: string;
  user_id: string;
  scopes: string[];
  message: string;
  context: Record<string, unknown>;
  mode: Mode;
  options: { approval?: ApprovalPolicy; max_tool_calls?: number };
  /** A hash of the request body: a repeated start must carry the same one. */
  fingerprint: string;
}

export type StartResult =
  | { outcome: "created" | "existing"; run_id: string; status: RunStatus }
  | { outcome: "conflict" };

export async function startRun(rt: RunRuntime, input: StartInput): Promise<StartResult> {
  const { store, config, ids, scheduler } = rt.deps;
  const existing = store.state();
  if (existing !== null) {
    return store.meta("fingerprint") === input.fingerprint
      ? { outcome: "existing", run_id: existing.run_id, status: existing.status }
      : { outcome: "conflict" };
  }
  const now = rt.now();
  const runSpanId = ids.span();
  const options = {
    approval: input.options.approval ?? "auto",
    max_tool_calls: input.options.max_tool_calls ?? config.defaults.maxToolCalls,
    max_wall_time_ms: config.defaults.maxWallTimeMs,
    max_tokens: config.defaults.maxTokens,
  };
  rt.commit({
    events: [
      newEvent(
        "run.started",
        {
          message: input.message,
          mode: input.mode,
          tenant_id: input.tenant_id,
          user_id: input.user_id,
          options,
          context: input.context,
          scopes: input.scopes,
        },
        runSpanId,
      ),
    ],
    workflow: initialWorkflow(input.run_id, runSpanId, now.iso),
    spans: [
      openSpan(
        {
          span_id: runSpanId,
          parent_span_id: null,
          name: "run",
          kind: "run",
          attributes: { run_id: input.run_id, tenant_id: input.tenant_id, mode: input.mode },
        },
        now.iso,
      ),
    ],
    meta: { fingerprint: input.fingerprint },
  });
  rt.deps.logger.log("info", "run started", { mode: input.mode, approval: options.approval });
  // The alarm is the durable backstop; the first drive starts at once rather than an alarm hop
  // later (an alarm that fires while it runs joins it). The index row follows within
  // INDEX_DELAY_MS: at the run's first change of status, or then as `running`.
  await scheduler.arm(now.ms);
  rt.deps.background(rt.wake());
  rt.deps.background(rt.deps.clock.sleep(INDEX_DELAY_MS).then(() => rt.flushEffects()));
  return { outcome: "created", run_id: input.run_id, status: "running" };
}

export type CommandRefusal = { outcome: "not_found" } | { outcome: "conflict"; reason: string };

export async function recordApproval(
  rt: RunRuntime,
  input: { request_id: string; decision: "approve" | "reject"; reason: string | null; user_id: string },
): Promise<{ outcome: "recorded"; request_id: string; decision: "approve" | "reject" } | CommandRefusal> {
  const { store, config } = rt.deps;
  const state = store.state();
  if (state === null) return { outcome: "not_found" };
  const index = state.tool_requests.findIndex((r) => r.request_id === input.request_id);
  const request = state.tool_requests[index];
  if (request === undefined || request.status !== "awaiting_approval" || isTerminalStatus(state.status)) {
    return { outcome: "conflict", reason: `request ${input.request_id} is not waiting for approval` };
  }
  const now = rt.now();
  if (request.approval !== null && now.ms >= Date.parse(request.approval.expires_at)) {
    return { outcome: "conflict", reason: `the approval request expired at ${request.approval.expires_at}` };
  }
  const wf = rt.current();
  const spanId = wf.step_span_id ?? undefined;
  const events: NewEvent[] = [newEvent("approval.recorded", { ...input, reason: input.reason }, spanId)];
  if (input.decision === "reject") {
    const why = `rejected by ${input.user_id}${input.reason ? `: ${input.reason}` : ""}`;
    events.push(newEvent("tool.denied", { request_id: request.request_id, tool: request.tool, reason: why }, spanId));
  }
  rt.commit({
    events,
    effects:
      input.decision === "approve"
        ? [{ kind: "tool.dispatch", message: dispatchMessage(state, request, index + 1, true, now.ms, config.toolWaitMs) }]
        : [],
  });
  rt.deps.logger.log("info", "approval recorded", { request_id: input.request_id, decision: input.decision });
  const stillAwaiting = pendingRequests(store.state() ?? state).some((r) => r.status === "awaiting_approval");
  if (!stillAwaiting && wf.waiting?.reason === "approval") await rt.resume("approval");
  await rt.flushEffects();
  return { outcome: "recorded", request_id: input.request_id, decision: input.decision };
}

export async function cancelRun(
  rt: RunRuntime,
  userId: string,
): Promise<{ outcome: "cancelled" } | CommandRefusal> {
  const wf = rt.deps.store.workflow();
  if (wf === null) return { outcome: "not_found" };
  if (isTerminal(wf)) return { outcome: "conflict", reason: `the run has already ended (${wf.status})` };
  rt.commit(finishRun(wf, newEvent("run.cancelled", { by_user_id: userId }), "cancelled", rt.openSpans(), rt.now()));
  rt.abortExecution("the run was cancelled");
  rt.deps.logger.log("info", "run cancelled", { by_user_id: userId });
  await rt.flushEffects();
  await rt.armNext();
  return { outcome: "cancelled" };
}

function outcomeEvent(outcome: ToolOutcome, request: { tool: string; server: string }, spanId?: string): NewEvent {
  const { request_id } = outcome;
  switch (outcome.status) {
    case "completed":
      return newEvent(
        "tool.completed",
        { request_id, tool: request.tool, server: request.server, result: outcome.result, cached: outcome.cached, duration_ms: outcome.duration_ms },
        spanId,
      );
    case "failed":
      return newEvent("tool.failed", { request_id, tool: request.tool, error: outcome.error, retryable: outcome.retryable }, spanId);
    case "denied":
      return newEvent("tool.denied", { request_id, tool: request.tool, reason: outcome.reason }, spanId);
    case "server_error":
      return newEvent("tool.server.error", { request_id, server: outcome.server, error: outcome.error }, spanId);
  }
}

/** Records a tool call's outcome once; any later delivery for the same request is answered, not applied. */
export async function deliverToolResult(rt: RunRuntime, outcome: ToolOutcome): Promise<DeliveryResult> {
  const { store, ids } = rt.deps;
  const state = store.state();
  const request = state?.tool_requests.find((r) => r.request_id === outcome.request_id);
  if (state === null || request === undefined || request.status === "awaiting_approval") return { status: "unknown" };
  if (request.status !== "dispatched") {
    const prior = state.tool_results.find((r) => r.request_id === outcome.request_id);
    return { status: prior?.error?.code === TOOL_TIMEOUT_CODE ? "late" : "duplicate" };
  }
  if (isTerminalStatus(state.status)) return { status: "late" };
  const wf = rt.current();
  const parent = wf.waiting?.span_id ?? wf.step_span_id ?? wf.run_span_id;
  const spans: Span[] = [];
  if (outcome.span !== undefined) {
    spans.push({
      span_id: ids.span(),
      parent_span_id: parent,
      name: outcome.span.name,
      kind: "tool",
      start: outcome.span.start,
      end: outcome.span.end,
      duration_ms: Math.max(0, Date.parse(outcome.span.end) - Date.parse(outcome.span.start)),
      status: outcome.span.status,
      attributes: { ...outcome.span.attributes, request_id: outcome.request_id, tool: request.tool },
    });
  }
  rt.commit({ events: [outcomeEvent(outcome, request, spans[0]?.span_id ?? wf.step_span_id ?? undefined)], spans });
  rt.deps.logger.log("info", "tool outcome recorded", { request_id: outcome.request_id, status: outcome.status });
  const next = store.state();
  if (next !== null && pendingRequests(next).length === 0 && wf.status === "waiting" && wf.waiting?.reason !== "backoff") {
    await rt.resume("tool");
  }
  return { status: "recorded" };
}

export async function recordFeedback(
  rt: RunRuntime,
  input: { feedback_id: string; user_id: string; rating: "up" | "down"; comment: string | null },
): Promise<{ outcome: "recorded"; feedback_id: string } | CommandRefusal> {
  const state = rt.deps.store.state();
  if (state === null) return { outcome: "not_found" };
  // A retried call with the same id records nothing twice.
  if (state.feedback.some((f) => f.feedback_id === input.feedback_id)) return { outcome: "recorded", feedback_id: input.feedback_id };
  const now = rt.now();
  rt.commit({
    events: [newEvent("feedback.recorded", { feedback_id: input.feedback_id, rating: input.rating })],
    effects: [
      {
        kind: "feedback.insert",
        row: {
          feedback_id: input.feedback_id,
          tenant_id: state.tenant_id,
          run_id: state.run_id,
          user_id: input.user_id,
          rating: input.rating,
          comment: input.comment,
          created_at: now.iso,
        },
      },
    ],
  });
  await rt.flushEffects();
  await rt.armNext();
  return { outcome: "recorded", feedback_id: input.feedback_id };
}
