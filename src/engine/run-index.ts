/**
 * The run index (`GET /runs`) is a projection of each run's status, written through the outbox.
 * This says which events change a run's row and when the row is written: the first write waits
 * `INDEX_DELAY_MS`, so that a run that ends (or starts waiting) sooner writes its row once.
 */
import type { EventType } from "./events";
import type { Effect, RunIndexRow } from "./journal";
import type { RunState } from "./state";

/** Events after which the run's index row (its status) must be written again. */
const INDEXED: ReadonlySet<EventType> = new Set<EventType>([
  "run.started",
  "workflow.waiting",
  "workflow.resumed",
  "run.completed",
  "run.failed",
  "run.cancelled",
]);

/** How long a new run's index row waits for the run's next status before it is written anyway. */
export const INDEX_DELAY_MS = 250;

/**
 * The index sync a commit of these events needs, if any. A commit that ends the run needs none: its
 * `run.ended` notice carries the final row (run-ended.ts), and settles any sync still pending.
 */
export function indexSyncFor(types: readonly EventType[], now: number): Effect[] {
  if (types.includes("run.started")) return [{ kind: "index.sync", not_before: now + INDEX_DELAY_MS }];
  return types.some((type) => INDEXED.has(type)) ? [{ kind: "index.sync" }] : [];
}

/** The run's index row as its state says now. */
export function indexRowOf(state: RunState): RunIndexRow {
  return {
    tenant_id: state.tenant_id,
    run_id: state.run_id,
    status: state.status,
    created_at: state.created_at,
    updated_at: state.updated_at,
    message_preview: messagePreview(state.message),
  };
}

/** The message as the index shows it: one line, at most 120 characters. */
export function messagePreview(message: string): string {
  const flat = message.replace(/\s+/g, " ").trim();
  return flat.length <= 120 ? flat : `${flat.slice(0, 119)}…`;
}
