/**
 * `cancel`: ends a run that has not ended. The terminal event is written, every open span closed,
 * the outstanding tool dispatches settled (nothing is re-sent for a cancelled run), and a step still
 * executing in this instance is stopped; its writes are already fenced off by the epoch.
 *
 * A queued run (commands/enqueue.ts) has no events yet: its cancel writes `run.started` and
 * `run.cancelled` together, so that its log still folds into a state and its thread's stream shows
 * the cancellation; no step of it ever runs.
 */
import { z } from "zod";
import { newEvent } from "../events";
import { dispatchKey } from "../journal";
import { hasEnded } from "../lifecycle";
import { finishRun } from "../transitions";
import type { WorkflowState } from "../workflow";
import type { CommandRefusal, DecideContext, Decision, RunView } from "./decision";
import { conflict, notFound } from "./decision";
import { QUEUED_META, QueuedRun } from "./enqueue";
import { screenStart, startCommit } from "./start";

export const CancelInput = z.object({
  user_id: z.string().min(1),
  /** `interrupted`: a newer message in the run's thread took over. */
  reason: z.string().optional(),
});
export type CancelInput = z.infer<typeof CancelInput>;

export type CancelReply = { outcome: "cancelled" } | CommandRefusal;

export function decideCancel(view: RunView, input: CancelInput, ctx: DecideContext): Decision<CancelReply> {
  const { state, workflow: wf } = view;
  if (wf?.status === "queued" && state === null) return cancelQueued(view, wf, input, ctx);
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

function cancelQueued(view: RunView, wf: WorkflowState, input: CancelInput, ctx: DecideContext): Decision<CancelReply> {
  const raw = view.meta(QUEUED_META);
  if (raw === null) return notFound;
  const queued = QueuedRun.parse(JSON.parse(raw));
  const start = startCommit({ ...queued, history: undefined }, ctx, wf.run_span_id, screenStart(queued, ctx.config));
  const terminal = newEvent("run.cancelled", { by_user_id: input.user_id, ...(input.reason ? { reason: input.reason } : {}) });
  const finish = finishRun(start.workflow as WorkflowState, terminal, "cancelled", start.spans ?? [], ctx.now);
  // Only run.started: a run that never started saw no history.
  const started = (start.events ?? []).filter((event) => event.type === "run.started");
  return {
    reply: { outcome: "cancelled" },
    commit: { events: [...started, ...(finish.events ?? [])], workflow: finish.workflow, spans: finish.spans },
    effects: [{ kind: "flush" }, { kind: "rearm" }],
  };
}
