/**
 * `cancel`: ends a run that has not ended. The terminal event is written, every open span closed,
 * the outstanding tool dispatches settled (nothing is re-sent for a cancelled run), and a step still
 * executing in this instance is stopped; its writes are already fenced off by the epoch.
 */
import { z } from "zod";
import { newEvent } from "../events";
import { dispatchKey } from "../journal";
import { hasEnded } from "../lifecycle";
import { finishRun } from "../transitions";
import type { CommandRefusal, DecideContext, Decision, RunView } from "./decision";
import { conflict, notFound } from "./decision";

export const CancelInput = z.object({
  user_id: z.string().min(1),
  /** `interrupted`: a newer message in the run's thread took over. */
  reason: z.string().optional(),
});
export type CancelInput = z.infer<typeof CancelInput>;

export type CancelReply = { outcome: "cancelled" } | CommandRefusal;

export function decideCancel(view: RunView, input: CancelInput, ctx: DecideContext): Decision<CancelReply> {
  const { state, workflow: wf } = view;
  if (state === null || wf === null) return notFound;
  if (hasEnded(wf.status)) return conflict(`the run has already ended (${wf.status})`);
  const terminal = newEvent("run.cancelled", { by_user_id: input.user_id, ...(input.reason ? { reason: input.reason } : {}) });
  const finish = finishRun(wf, terminal, "cancelled", view.openSpans(), ctx.now);
  const outstanding = state.tool_requests.filter((r) => r.status === "dispatched").map((r) => dispatchKey(r.request_id));
  return {
    reply: { outcome: "cancelled" },
    commit: { ...finish, settled: outstanding },
    effects: [{ kind: "abort", reason: "the run was cancelled" }, { kind: "flush" }, { kind: "rearm" }],
  };
}
