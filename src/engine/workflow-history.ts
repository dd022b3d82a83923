/**
 * WorkflowState as of any point of a run's log. The runtime keeps WorkflowState as a row, not as a
 * fold, but everything it holds that matters after the fact is said by the workflow events; this
 * rebuilds it from them, for a run assembled from another run's log (an import, a fork, the prefix
 * of a replayed fork). It also says where a log may be cut for a fork: at a step boundary or a wait.
 */
import type { RunEvent, StepName } from "./events";
import { TERMINAL_EVENTS } from "./lifecycle";
import type { TerminalStatus } from "./lifecycle";
import { initialWorkflow, nextStep, updateStep } from "./workflow";
import type { WorkflowState } from "./workflow";

const STATUS_OF_TERMINAL = Object.fromEntries(Object.entries(TERMINAL_EVENTS).map(([status, type]) => [type, status])) as Record<
  string,
  TerminalStatus
>;

/** The WorkflowState after `events` (a log from seq 1), for a run named `runId` whose run span is `runSpanId`. */
export function workflowAt(events: readonly RunEvent[], runId: string, runSpanId: string): WorkflowState {
  let wf = initialWorkflow(runId, runSpanId, events[0]?.ts ?? new Date(0).toISOString());
  for (const event of events) wf = advanceWorkflow(wf, event);
  return settledWorkflow(wf);
}

/** What a log's WorkflowState is once no execution holds it (no step span, no alarm). */
export function settledWorkflow(wf: WorkflowState): WorkflowState {
  return { ...wf, step_span_id: null, next_alarm_at: null };
}

/** The WorkflowState after one more event of the log (a fold over the workflow events). */
export function advanceWorkflow(previous: WorkflowState, event: RunEvent): WorkflowState {
  let wf = previous;
  const runSpanId = previous.run_span_id;
  const at = event.ts;
  switch (event.type) {
    case "workflow.step.started": {
      const { step, attempt } = event.data;
      wf = {
        ...wf,
        status: "running",
        current_step: step,
        attempt,
        step_phase: "running",
        step_started_at: at,
        steps: updateStep(wf, step, { status: "running", attempts: attempt, started_at: wf.steps.find((s) => s.name === step)?.started_at ?? at, ended_at: null }),
      };
      break;
    }
    case "workflow.step.completed": {
      const step: StepName = event.data.step;
      wf = {
        ...wf,
        current_step: nextStep(step),
        attempt: 1,
        step_phase: "pending",
        step_started_at: null,
        steps: updateStep(wf, step, { status: "completed", ended_at: at }),
      };
      break;
    }
    case "workflow.step.retry_scheduled":
      wf = { ...wf, attempt: event.data.attempt, step_phase: "pending", step_started_at: null, steps: updateStep(wf, event.data.step, { status: "pending" }) };
      break;
    case "workflow.waiting":
      wf = {
        ...wf,
        status: "waiting",
        step_phase: "waiting",
        waiting: { reason: event.data.reason, request_ids: event.data.request_ids, deadline: event.data.deadline, span_id: event.span_id ?? runSpanId },
        steps: wf.current_step === null ? wf.steps : updateStep(wf, wf.current_step, { status: "waiting" }),
      };
      break;
    case "workflow.resumed": {
      const afterBackoff = wf.waiting?.reason === "backoff";
      wf = {
        ...wf,
        status: "running",
        step_phase: afterBackoff ? "pending" : "resumed",
        waiting: null,
        steps: wf.current_step === null ? wf.steps : updateStep(wf, wf.current_step, { status: afterBackoff ? "pending" : "running" }),
      };
      break;
    }
    case "run.completed":
    case "run.failed":
    case "run.cancelled": {
      const status = STATUS_OF_TERMINAL[event.type] ?? "failed";
      const step = status === "completed" ? null : wf.current_step;
      wf = {
        ...wf,
        status,
        current_step: step,
        step_phase: "pending",
        waiting: null,
        steps: step === null ? wf.steps : updateStep(wf, step, { status: "failed", ended_at: at }),
      };
      break;
    }
    default:
      break;
  }
  wf = { ...wf, updated_at: at };
  return wf;
}

/**
 * Where a log may be cut for a fork: after `run.started` or a step's completion (a step boundary,
 * the next step not begun, the run not yet finishing), or after a `workflow.waiting` for an approval
 * or a backoff (a wait). A wait for a tool's outcome is not one: the call went to the executor for
 * the source run, and a fork may neither run it again nor take its outcome. The valid seqs, in order.
 */
export function forkPoints(events: Iterable<RunEvent>): number[] {
  const points: number[] = [];
  for (const event of events) {
    if (Object.hasOwn(STATUS_OF_TERMINAL, event.type)) break;
    const boundary =
      event.type === "run.started" ||
      (event.type === "workflow.step.completed" && nextStep(event.data.step) !== null) ||
      (event.type === "workflow.waiting" && event.data.reason !== "tool");
    if (boundary) points.push(event.seq);
  }
  return points;
}
