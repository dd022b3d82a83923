/**
 * `enqueue`: a run in a thread that must wait for the runs before it (CONTRACT.md "Threads",
 * `multitask: "enqueue"`). It writes no event: a queued run has `run.started` only once it starts.
 * It records the request and a WorkflowState of status `queued`, so that `/state` and `/workflow`
 * answer `queued` and the run's event stream waits for its first event. The thread starts it later
 * with `start` (same fingerprint), or it is cancelled first (commands/cancel.ts). Idempotent on the
 * fingerprint, like `start`, and harmless after the start: it then answers the existing run.
 */
import { z } from "zod";
import { RunStatus } from "../lifecycle";
import { ThreadRef } from "../threads/shapes";
import { initialWorkflow } from "../workflow";
import type { WorkflowState } from "../workflow";
import type { DecideContext, Decision, RunView } from "./decision";
import { StartInput } from "./start";

export const EnqueueInput = StartInput.omit({ history: true }).extend({ thread: ThreadRef });
export type EnqueueInput = z.infer<typeof EnqueueInput>;

/** What a queued run's object keeps of its request (meta `queued`): enough to show it, and to cancel it. */
export const QueuedRun = EnqueueInput.extend({ queued_at: z.string() });
export type QueuedRun = z.infer<typeof QueuedRun>;

export const QUEUED_META = "queued";

export type EnqueueReply = { outcome: "created" | "existing"; run_id: string; status: RunStatus } | { outcome: "conflict" };

export function queuedWorkflow(runId: string, runSpanId: string, nowIso: string): WorkflowState {
  return { ...initialWorkflow(runId, runSpanId, nowIso), status: "queued" };
}

export function decideEnqueue(view: RunView, input: EnqueueInput, ctx: DecideContext): Decision<EnqueueReply> {
  const status = view.state?.status ?? view.workflow?.status;
  if (status !== undefined) {
    return view.meta("fingerprint") === input.fingerprint
      ? { reply: { outcome: "existing", run_id: input.run_id, status } }
      : { reply: { outcome: "conflict" } };
  }
  const queued: QueuedRun = { ...input, queued_at: ctx.now.iso };
  return {
    reply: { outcome: "created", run_id: input.run_id, status: "queued" },
    commit: {
      workflow: queuedWorkflow(input.run_id, ctx.ids.span(), ctx.now.iso),
      meta: { fingerprint: input.fingerprint, [QUEUED_META]: JSON.stringify(queued) },
    },
  };
}
