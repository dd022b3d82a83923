/**
 * What a run waits for and until when (DESIGN.md rule 5): approvals until they expire, dispatched
 * tool calls until the tool wait runs out. Deadlines derive from RunState (when a call was requested
 * or approved), so re-entering `act` or waking after an eviction computes the same deadline.
 */
import type { EngineConfig } from "../config";
import { newEvent } from "../events";
import type { NewEvent } from "../events";
import { pendingRequests } from "../state";
import type { RunState, ToolRequestState } from "../state";

export const TOOL_TIMEOUT_CODE = "tool_timeout";

export function toolDeadline(request: ToolRequestState, config: EngineConfig): number | null {
  return request.dispatched_at === null ? null : Date.parse(request.dispatched_at) + config.toolWaitMs;
}

export function approvalDeadline(request: ToolRequestState): number | null {
  return request.approval === null ? null : Date.parse(request.approval.expires_at);
}

/** The wait `act` must enter, if any request is unresolved: approvals first, then results. */
export function pendingWait(
  state: RunState,
  config: EngineConfig,
): { reason: "approval" | "tool"; request_ids: string[]; deadline: number } | null {
  const pending = pendingRequests(state);
  if (pending.length === 0) return null;
  const awaiting = pending.filter((r) => r.status === "awaiting_approval");
  const deadlines = pending
    .map((r) => (r.status === "awaiting_approval" ? approvalDeadline(r) : toolDeadline(r, config)))
    .filter((d): d is number => d !== null);
  return {
    reason: awaiting.length > 0 ? "approval" : "tool",
    request_ids: (awaiting.length > 0 ? awaiting : pending).map((r) => r.request_id),
    deadline: Math.min(...deadlines),
  };
}

/** The outcomes of requests whose deadline has passed: expired approvals, timed-out calls. */
export function dueExpirations(state: RunState, config: EngineConfig, now: number): NewEvent[] {
  const events: NewEvent[] = [];
  for (const request of pendingRequests(state)) {
    if (request.status === "awaiting_approval") {
      const deadline = approvalDeadline(request);
      if (deadline !== null && deadline <= now) {
        events.push(
          newEvent("tool.denied", {
            request_id: request.request_id,
            tool: request.tool,
            reason: `approval expired at ${new Date(deadline).toISOString()} without a decision`,
          }),
        );
      }
      continue;
    }
    const deadline = toolDeadline(request, config);
    if (deadline !== null && deadline <= now) {
      events.push(
        newEvent("tool.failed", {
          request_id: request.request_id,
          tool: request.tool,
          error: { code: TOOL_TIMEOUT_CODE, message: `no result within ${config.toolWaitMs} ms` },
          retryable: false,
        }),
      );
    }
  }
  return events;
}
