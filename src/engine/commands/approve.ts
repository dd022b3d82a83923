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
  if (input.decision === "reject") {
    const why = `rejected by ${input.user_id}${input.reason ? `: ${input.reason}` : ""}`;
    events.push(newEvent("tool.denied", { request_id: request.request_id, tool: request.tool, reason: why, code: "rejected" }, spanId));
  }
  const reply = { outcome: "recorded" as const, request_id: input.request_id, decision: input.decision };
  if (wf.waiting?.reason !== "approval") return { reply, commit: { events } };
  // `act` runs again: it dispatches an approved call at once, and waits again for what is left.
  return {
    reply,
    commit: resumeWait(wf, "approval", view.span(wf.waiting.span_id), ctx.now, events),
    effects: [{ kind: "resume" }],
  };
}
