/**
 * What a run waits for and until when (DESIGN.md rule 5): approvals until they expire, dispatched
 * tool calls until their deadline (recorded in `tool.dispatched`). Deadlines come from RunState, so
 * re-entering `act` or waking after an eviction computes the same ones.
 */
import { newEvent } from "./events";
import type { NewEvent } from "./events";
import { unexecutedToolSpan } from "./span-attributes";
import { pendingRequests } from "./state";
import type { RunState, ToolRequestState } from "./state";
import type { Span } from "./trace";

/**
 * A dispatched call whose outcome never arrived, after every re-send. The executor may have run it:
 * nothing may claim that its effect did not happen.
 */
export const TOOL_OUTCOME_UNKNOWN = "tool_outcome_unknown";

function deadlineOf(request: ToolRequestState): number | null {
  if (request.status === "awaiting_approval") return request.approval === null ? null : Date.parse(request.approval.expires_at);
  if (request.status === "dispatched") return request.deadline === null ? null : Date.parse(request.deadline);
  return null;
}

export type PendingWait = { reason: "approval" | "tool"; request_ids: string[]; deadline: number };

/**
 * The wait `act` must enter once it has dispatched what it can: approvals first, then outcomes.
 * Null when nothing is pending (or only requests `act` itself must still dispatch).
 */
export function pendingWait(state: RunState): PendingWait | null {
  const waiting = pendingRequests(state).filter((r) => r.status === "awaiting_approval" || r.status === "dispatched");
  if (waiting.length === 0) return null;
  const awaiting = waiting.filter((r) => r.status === "awaiting_approval");
  const deadlines = waiting.map(deadlineOf).filter((d): d is number => d !== null);
  return {
    reason: awaiting.length > 0 ? "approval" : "tool",
    request_ids: (awaiting.length > 0 ? awaiting : waiting).map((r) => r.request_id),
    deadline: Math.min(...deadlines),
  };
}

/**
 * The outcomes of requests whose deadline has passed: expired approvals, calls with no outcome.
 * Each has its `execute_tool` span, in error (under `parentSpanId`, the wait that ended): an expired
 * approval at its deadline, an unanswered call from its dispatch to its deadline.
 */
export function dueExpirations(
  state: RunState,
  now: number,
  spanIds: { next: () => string; parent: string },
): { events: NewEvent[]; spans: Span[] } {
  const events: NewEvent[] = [];
  const spans: Span[] = [];
  for (const request of pendingRequests(state)) {
    const deadline = deadlineOf(request);
    if (deadline === null || deadline > now) continue;
    const at = new Date(deadline).toISOString();
    const ids = { span_id: spanIds.next(), parent_span_id: spanIds.parent };
    if (request.status === "awaiting_approval") {
      const reason = `approval expired at ${at} without a decision`;
      spans.push(unexecutedToolSpan(ids, request, { code: "approval_expired", message: reason }, at, at));
      events.push(newEvent("tool.denied", { request_id: request.request_id, tool: request.tool, reason, code: "approval_expired" }, ids.span_id));
    } else {
      const error = { code: TOOL_OUTCOME_UNKNOWN, message: `no outcome arrived by ${at}; the call may or may not have taken effect` };
      spans.push(unexecutedToolSpan(ids, request, error, request.dispatched_at ?? at, at));
      events.push(newEvent("tool.failed", { request_id: request.request_id, tool: request.tool, error, retryable: false }, ids.span_id));
    }
  }
  return { events, spans };
}
