/**
 * The run object's side of import, fork and replay: a log staged page by page (staged-log.ts) is
 * copied into the run's own log a page at a time (flat memory at any length), and the engine's
 * command decides the rest (commands/adopt.ts), or the replay driver takes over (engine/replay/).
 */
import type { AdoptReply } from "../engine/commands/adopt";
import { copiedEvent } from "../engine/commands/adopt";
import type { RunEvent } from "../engine/events";
import type { RunStore } from "../engine/journal";
import type { RunRuntime } from "../engine/runtime/run-runtime";
import { advanceWorkflow, forkPoints, settledWorkflow } from "../engine/workflow-history";
import { initialWorkflow } from "../engine/workflow";
import type { WorkflowState } from "../engine/workflow";
import type { StagedLog } from "./staged-log";

export type AdoptFailure = { outcome: "invalid"; reason: string };

/**
 * Copies staged events 1..`through` into the run's log (as run `runId` of `tenantId`), and
 * returns the WorkflowState they leave the run in.
 */
export function copyStaged(staged: StagedLog, through: number, runId: string, tenantId: string, write: (events: RunEvent[]) => void): WorkflowState | null {
  let wf: WorkflowState | null = null;
  for (const page of staged.range(1, through)) {
    for (const event of page) {
      if (wf === null) {
        if (event.type !== "run.started") return null;
        wf = initialWorkflow(runId, event.span_id ?? "sp_run", event.ts);
      }
      wf = advanceWorkflow(wf, event);
    }
    write(page);
  }
  return wf === null ? null : settledWorkflow(wf);
}

/** A copied page, committed through the runtime (no subscriber can be there yet). */
function writer(runtime: RunRuntime, runId: string, tenantId: string): (events: RunEvent[]) => void {
  return (page) => {
    runtime.commit({ run_id: runId, events: page.map((event) => copiedEvent(event, tenantId)) });
  };
}

export async function finishImport(staged: StagedLog, runtime: RunRuntime, runId: string, tenantId: string): Promise<AdoptReply | AdoptFailure> {
  const head = staged.head();
  if (head.seq === 0) return { outcome: "invalid", reason: "the log is empty" };
  const workflow = copyStaged(staged, head.seq, runId, tenantId, writer(runtime, runId, tenantId));
  if (workflow === null) return { outcome: "invalid", reason: "the log does not begin with run.started" };
  const reply = await runtime.run("import", { source_run_id: head.run_id, source_head_hash: head.hash, workflow });
  // The adopted log is written before the staged copy goes.
  runtime.deps.store.flush?.();
  staged.discard();
  return reply;
}

/** Whether `at` is one of `points`, and if not the valid points nearest it (below and above). */
export function checkForkPoint(points: readonly number[], at: number): { valid: boolean; nearest: number[] } {
  if (points.includes(at)) return { valid: true, nearest: [at] };
  const below = points.filter((p) => p < at).at(-1);
  const above = points.find((p) => p > at);
  return { valid: false, nearest: [below, above].filter((p): p is number => p !== undefined) };
}

/** The fork points of a log read a page at a time. */
export function forkPointsOf(pages: Iterable<RunEvent[]>): number[] {
  return forkPoints(
    (function* () {
      for (const page of pages) yield* page;
    })(),
  );
}

export async function finishFork(
  staged: StagedLog,
  runtime: RunRuntime,
  input: { run_id: string; tenant_id: string; at_seq: number; message?: string; options?: { approval?: "auto" | "always" | "never"; max_tool_calls?: number } },
): Promise<AdoptReply | AdoptFailure> {
  const head = staged.head();
  if (head.seq < input.at_seq) return { outcome: "invalid", reason: `the source log ends at seq ${head.seq}` };
  const workflow = copyStaged(staged, input.at_seq, input.run_id, input.tenant_id, writer(runtime, input.run_id, input.tenant_id));
  if (workflow === null) return { outcome: "invalid", reason: "the source log does not begin with run.started" };
  const reply = await runtime.run("fork", {
    source_run_id: head.run_id,
    at_seq: input.at_seq,
    ...(input.message !== undefined ? { message: input.message } : {}),
    ...(input.options !== undefined ? { options: input.options } : {}),
    workflow,
  });
  // The adopted log is written before the staged copy goes.
  runtime.deps.store.flush?.();
  staged.discard();
  return reply;
}

/** True when a run's store holds nothing yet: a log can be staged into it and adopted. */
export function isFresh(store: RunStore): boolean {
  return store.state() === null && store.workflow() === null;
}
