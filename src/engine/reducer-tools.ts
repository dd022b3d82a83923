/**
 * The part of the RunState fold that follows tool calls: a request, its approval, its dispatch and
 * its outcome (completed, failed, denied, server error). Pure, like the rest of the reducer.
 */
import type { RunEvent } from "./events";
import type { RunState, ToolRequestState, ToolResultState } from "./state";

export type ToolEvent = Extract<
  RunEvent,
  {
    type:
      | "tool.requested"
      | "tool.dispatched"
      | "approval.requested"
      | "approval.recorded"
      | "tool.completed"
      | "tool.failed"
      | "tool.server.error"
      | "tool.denied";
  }
>;

function updateRequest(
  state: RunState,
  requestId: string,
  patch: (request: ToolRequestState) => ToolRequestState,
): ToolRequestState[] {
  return state.tool_requests.map((request) => (request.request_id === requestId ? patch(request) : request));
}

function serverOf(state: RunState, requestId: string): string {
  return state.tool_requests.find((request) => request.request_id === requestId)?.server ?? "";
}

/** A call that ended without a result: its request, its outcome, and the run is degraded. */
function recordFailure(state: RunState, requestId: string, result: ToolResultState & { status: "failed" | "server_error" }): RunState {
  return {
    ...state,
    degraded: true,
    tool_requests: updateRequest(state, requestId, (r) => ({ ...r, status: result.status })),
    tool_results: [...state.tool_results, result],
  };
}

export function applyToolEvent(state: RunState, event: ToolEvent): RunState {
  switch (event.type) {
    case "tool.requested":
      return {
        ...state,
        tool_requests: [
          ...state.tool_requests,
          {
            request_id: event.data.request_id,
            tool: event.data.tool,
            server: event.data.server,
            args: event.data.args,
            requires_approval: event.data.requires_approval,
            status: event.data.requires_approval ? "awaiting_approval" : "requested",
            requested_at: event.ts,
            dispatched_at: null,
            deadline: null,
            approval: null,
          },
        ],
        budget: { ...state.budget, tool_calls: { ...state.budget.tool_calls, used: state.budget.tool_calls.used + 1 } },
      };
    case "tool.dispatched":
      return {
        ...state,
        tool_requests: updateRequest(state, event.data.request_id, (request) => ({
          ...request,
          status: "dispatched",
          dispatched_at: event.ts,
          deadline: event.data.deadline,
        })),
      };
    case "approval.requested":
      return {
        ...state,
        tool_requests: updateRequest(state, event.data.request_id, (request) => ({
          ...request,
          approval: { expires_at: event.data.expires_at, reason: event.data.reason, decision: null, decided_by: null },
        })),
      };
    case "approval.recorded": {
      const approved = event.data.decision === "approve";
      return {
        ...state,
        tool_requests: updateRequest(state, event.data.request_id, (request) => ({
          ...request,
          // A rejection is followed by `tool.denied`, which ends the request.
          status: approved ? "approved" : request.status,
          approval: request.approval && {
            ...request.approval,
            decision: event.data.decision,
            decided_by: event.data.user_id,
          },
        })),
      };
    }
    case "tool.completed":
      return {
        ...state,
        tool_requests: updateRequest(state, event.data.request_id, (r) => ({ ...r, status: "completed" })),
        tool_results: [
          ...state.tool_results,
          {
            request_id: event.data.request_id,
            tool: event.data.tool,
            server: event.data.server,
            status: "completed",
            result: event.data.result,
            cached: event.data.cached,
            duration_ms: event.data.duration_ms,
          },
        ],
      };
    case "tool.failed":
      return recordFailure(state, event.data.request_id, {
        request_id: event.data.request_id,
        tool: event.data.tool,
        server: serverOf(state, event.data.request_id),
        status: "failed",
        error: event.data.error,
        retryable: event.data.retryable,
      });
    case "tool.server.error":
      return recordFailure(state, event.data.request_id, {
        request_id: event.data.request_id,
        tool: state.tool_requests.find((r) => r.request_id === event.data.request_id)?.tool ?? "",
        server: event.data.server,
        status: "server_error",
        error: event.data.error,
      });
    case "tool.denied":
      return {
        ...state,
        tool_requests: updateRequest(state, event.data.request_id, (r) => ({ ...r, status: "denied" })),
        denials: [...state.denials, { request_id: event.data.request_id, tool: event.data.tool, reason: event.data.reason }],
      };
  }
}
