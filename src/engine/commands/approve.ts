/**
 * `approve`: a human's decision on a pending approval request. It records the decision (and, for a
 * rejection, the denial) and resumes the run; it dispatches nothing: `act` alone dispatches, when it
 * runs next. A decision is taken once: a second one, one for a request that is not waiting, or one
 * that arrives after the request expired (even before the expiry alarm ran) is a conflict.
 */
import { z } from "zod";
import { ApprovalDecision, newEvent } from "../events";
import type { NewEvent } from "../events";
import { hasEnded } from "../lifecycle";
import { unexecutedToolSpan } from "../span-attributes";
import type { Span } from "../trace";
import { resumeWait } from "../transitions";
import type { CommandRefusal, DecideContext, Decision, RunView } from "./decision";
import { conflict, notFound } from "./decision";

export const ApprovalInput = z.object({
  request_id: z.string().min(1),
  decision: ApprovalDecision,
  reason: z.string().nullable(),
  user_id: z.string().min(1),
});
export type ApprovalInput = z.infer<typeof ApprovalInput>;

export type ApprovalReply = { outcome: "recorded"; request_id: string; decision: ApprovalDecision } | CommandRefusal;

export function decideApproval(view: RunView, input: ApprovalInput, ctx: DecideContext): Decision<ApprovalReply> {
  const { state, workflow: wf } = view;
  if (state === null || wf === null) return notFound;
  const request = state.tool_requests.find((r) => r.request_id === input.request_id);
  if (request === undefined || request.status !== "awaiting_approval" || hasEnded(state.status)) {
    return conflict(`request ${input.request_id} is not waiting for approval`);
  }
  if (request.approval !== null && ctx.now.ms >= Date.parse(request.approval.expires_at)) {
    return conflict(`the approval request expired at ${request.approval.expires_at}`);
  }
  const spanId = wf.step_span_id ?? undefined;
  const events: NewEvent[] = [newEvent("approval.recorded", input, spanId)];
  // A rejected call never runs, yet it is a tool call of the run: it has its `execute_tool` span, in error.
  const spans: Span[] = [];
  if (input.decision === "reject") {
    const why = `rejected by ${input.user_id}${input.reason ? `: ${input.reason}` : ""}`;
    const parent = wf.waiting?.span_id ?? wf.step_span_id ?? wf.run_span_id;
    const span = unexecutedToolSpan({ span_id: ctx.ids.span(), parent_span_id: parent }, request, { code: "rejected", message: why }, ctx.now.iso, ctx.now.iso);
    spans.push(span);
    events.push(newEvent("tool.denied", { request_id: request.request_id, tool: request.tool, reason: why, code: "rejected" }, span.span_id));
  }
  const reply = { outcome: "recorded" as const, request_id: input.request_id, decision: input.decision };
  if (wf.waiting?.reason !== "approval") return { reply, commit: { events, spans } };
  // `act` runs again: it dispatches an approved call at once, and waits again for what is left.
  const resume = resumeWait(wf, "approval", view.span(wf.waiting.span_id), ctx.now, events);
  return { reply, commit: { ...resume, spans: [...spans, ...(resume.spans ?? [])] }, effects: [{ kind: "resume" }] };
}
