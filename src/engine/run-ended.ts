/**
 * "This run has ended", told to whoever counts runs: the tenant's admission (the cap on active runs)
 * and, for a run in a thread, its thread (which starts the next queued run). The notice leaves
 * through the outbox (`run.ended` effect), so it is sent at least once after the commit that ends
 * the run, whichever way it ends (completed, refused, failed, cancelled, out of wall time); every
 * receiver must be idempotent on `run_id`. It also carries the run's final index row, so that a run
 * that ends costs its tenant one call, not two.
 */
import type { EventType } from "./events";
import type { Effect, RunIndexRow } from "./journal";
import { hasEnded, isTerminalEvent } from "./lifecycle";
import type { TerminalStatus } from "./lifecycle";
import { indexRowOf } from "./run-index";
import type { RunState } from "./state";

export interface RunEndedNotice {
  tenant_id: string;
  run_id: string;
  /** The run's thread and turn, when it belongs to one. */
  thread: { thread_id: string; turn: number } | null;
  status: TerminalStatus;
  /** Its final answer (a thread hands it to the next turn as history). */
  output: string;
  /** The input layers refused its message: no turn of the conversation (a thread keeps it out of history). */
  refused: boolean;
  ended_at: string;
  /** The run's final index row: the tenant's admission writes it to the run index with its others. */
  index: RunIndexRow;
}

/** The effect a commit of these events needs: one `run.ended` when it holds the terminal event. */
export function endedEffectFor(types: readonly EventType[]): Effect[] {
  return types.some(isTerminalEvent) ? [{ kind: "run.ended" }] : [];
}

/** The notice for a run that has ended; null while it has not. */
export function endedNotice(state: RunState): RunEndedNotice | null {
  if (!hasEnded(state.status)) return null;
  return {
    tenant_id: state.tenant_id,
    run_id: state.run_id,
    thread: state.thread === null ? null : { thread_id: state.thread.thread_id, turn: state.thread.turn },
    status: state.status,
    output: state.output,
    refused: state.refused,
    ended_at: state.updated_at,
    index: indexRowOf(state),
  };
}
