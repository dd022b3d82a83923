/**
 * A run's lifecycle, said once: the statuses a run (and its workflow) can be in, which of them are
 * final, and which events end a run. Everything that asks "has this run ended?" asks here.
 */
import { z } from "zod";

/** `queued`: a run in a thread waiting for the runs before it to end; it has no events yet. */
export const RunStatus = z.enum(["queued", "running", "waiting", "completed", "failed", "cancelled"]);
export type RunStatus = z.infer<typeof RunStatus>;

export const TERMINAL_STATUSES = ["completed", "failed", "cancelled"] as const satisfies readonly RunStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** True once the run has ended: nothing more will happen in it but feedback. */
export function hasEnded(status: RunStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** True while the workflow has work to drive: started and not ended (a queued run waits for its thread). */
export function isActive(status: RunStatus): boolean {
  return status === "running" || status === "waiting";
}

/** The events that end a run, one per status; a run has exactly one of them, after all its work. */
export const TERMINAL_EVENTS = {
  completed: "run.completed",
  failed: "run.failed",
  cancelled: "run.cancelled",
} as const satisfies Record<TerminalStatus, string>;
export type TerminalEventType = (typeof TERMINAL_EVENTS)[TerminalStatus];

const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(TERMINAL_EVENTS));

export function isTerminalEvent(type: string): type is TerminalEventType {
  return TERMINAL_EVENT_TYPES.has(type);
}
