/**
 * `deliver`: a tool call's outcome, from the executor. It is recorded once, with the executor's span,
 * and settles the request's dispatch in the outbox (no more re-sends); when nothing else is
 * outstanding the run resumes. Any later delivery for the same request is answered, not applied, so
 * a redelivered message, a retried RPC and a re-sent request all end in one outcome event.
 */
import { newEvent } from "../events";
import type { NewEvent } from "../events";
import { dispatchKey } from "../journal";
import { hasEnded } from "../lifecycle";
import { pendingRequests } from "../state";
import type { ToolRequestState } from "../state";
import type { DeliveryResult, ToolOutcome } from "../tool-protocol";
import { executedToolSpan } from "../span-attributes";
import { resumeWait } from "../transitions";
import { TOOL_OUTCOME_UNKNOWN } from "../waits";
import type { DecideContext, Decision, RunView } from "./decision";

export { ToolOutcome as DeliverInput } from "../tool-protocol";

function outcomeEvent(outcome: ToolOutcome, request: ToolRequestState, spanId?: string): NewEvent {
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
      return newEvent("tool.denied", { request_id, tool: request.tool, reason: outcome.reason, code: "executor" }, spanId);
    case "server_error":
      return newEvent("tool.server.error", { request_id, server: outcome.server, error: outcome.error }, spanId);
  }
}

export function decideDelivery(view: RunView, outcome: ToolOutcome, ctx: DecideContext): Decision<DeliveryResult> {
  const { state, workflow: wf } = view;
  const request = state?.tool_requests.find((r) => r.request_id === outcome.request_id);
  if (state === null || wf === null || request === undefined || request.dispatched_at === null) return { reply: { status: "unknown" } };
  if (request.status !== "dispatched") {
    const prior = state.tool_results.find((r) => r.request_id === outcome.request_id);
    return { reply: { status: prior?.error?.code === TOOL_OUTCOME_UNKNOWN ? "late" : "duplicate" } };
  }
  if (hasEnded(state.status)) return { reply: { status: "late" } };
  const parent = wf.waiting?.span_id ?? wf.step_span_id ?? wf.run_span_id;
  const spans = outcome.span === undefined ? [] : [executedToolSpan({ span_id: ctx.ids.span(), parent_span_id: parent }, request, outcome, outcome.span)];
  const event = outcomeEvent(outcome, request, spans[0]?.span_id ?? wf.step_span_id ?? undefined);
  const settled = [dispatchKey(outcome.request_id)];
  const reply = { status: "recorded" as const };
  const othersPending = pendingRequests(state).some((r) => r.request_id !== outcome.request_id);
  if (othersPending || wf.waiting === null || wf.waiting.reason === "backoff") return { reply, commit: { events: [event], spans, settled } };
  const resume = resumeWait(wf, "tool", view.span(wf.waiting.span_id), ctx.now, [event]);
  return { reply, commit: { ...resume, spans: [...spans, ...(resume.spans ?? [])], settled }, effects: [{ kind: "resume" }] };
}
