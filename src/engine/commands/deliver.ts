/**
 * `deliver`: a tool call's outcome, from the executor. It is recorded once, with the executor's span,
 * and settles the request's dispatch in the outbox (no more re-sends); when nothing else is
 * outstanding the run resumes. Any later delivery for the same request is answered, not applied, so
 * a redelivered message, a retried RPC and a re-sent request all end in one outcome event.
 *
 * A tool result is evidence, never instructions: a completed result passes the context sanitizer
 * at once (a `guardrail` span beside the tool's), in the same commit as `tool.completed`, so the
 * prompts only ever see its sanitized text.
 */
import { newEvent } from "../events";
import type { NewEvent } from "../events";
import { contextVerdict, detectedEvent, guardSpanAttributes, instantSpan, sanitizedEvent, triggeredEvent } from "../guardrail-events";
import { sanitizeEvidence, toolResultText } from "../guardrails/index";
import { dispatchKey } from "../journal";
import { hasEnded } from "../lifecycle";
import { pendingRequests } from "../state";
import type { RunState, ToolRequestState } from "../state";
import type { DeliveryResult, ToolOutcome } from "../tool-protocol";
import type { Span } from "../trace";
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
  const events = [outcomeEvent(outcome, request, spans[0]?.span_id ?? wf.step_span_id ?? undefined)];
  if (outcome.status === "completed") {
    const guard = screenResult(state, outcome.request_id, outcome.result, parent, ctx);
    events.push(...guard.events);
    spans.push(guard.span);
  }
  const settled = [dispatchKey(outcome.request_id)];
  const reply = { status: "recorded" as const };
  const othersPending = pendingRequests(state).some((r) => r.request_id !== outcome.request_id);
  if (othersPending || wf.waiting === null || wf.waiting.reason === "backoff") return { reply, commit: { events, spans, settled } };
  const resume = resumeWait(wf, "tool", view.span(wf.waiting.span_id), ctx.now, events);
  return { reply, commit: { ...resume, spans: [...spans, ...(resume.spans ?? [])], settled }, effects: [{ kind: "resume" }] };
}

/** The context sanitizer over a tool's result: its events and its span. */
function screenResult(state: RunState, requestId: string, result: unknown, parent: string, ctx: DecideContext): { events: NewEvent[]; span: Span } {
  // The run's own tools, so that a result naming one in an imperative is recognised.
  const tools = [...new Set([...(state.plan?.tool_intents ?? []).map((i) => i.tool), ...state.tool_requests.map((r) => r.tool)])];
  const item = sanitizeEvidence({ id: requestId, kind: "tool_result", text: toolResultText(result) }, { policy: ctx.config.guardrails.policy.injection, tools });
  const span = instantSpan(ctx.ids.span(), parent, "guardrail tool result", guardSpanAttributes("context", { requestId, injectionScore: item.detection.score }), ctx.now.iso);
  const sanitized = sanitizedEvent([item], span.span_id);
  return {
    events: [
      ...(item.detection.flagged ? [detectedEvent(item.detection, span.span_id), triggeredEvent(contextVerdict(item), span.span_id)] : []),
      ...(sanitized === null ? [] : [sanitized]),
    ],
    span,
  };
}
