/**
 * The message that hands one of the run's tool requests to the executor: what `act` puts on the
 * Queue (and the outbox re-sends), and what the run passes when it asks the executor to settle a
 * call whose deadline passed. Both are built from RunState, so they are the same message.
 */
import type { RunState, ToolRequestState } from "./state";
import type { ToolRequestMessage } from "./tool-protocol";

export interface Dispatchable {
  request_id: string;
  tool: string;
  server: string;
  args: Record<string, unknown>;
  approved: boolean;
}

/** `callIndex`: the request's 1-based position among the run's requests (the per-run call limit). */
export function toolRequestMessage(state: RunState, request: Dispatchable, callIndex: number, now: number, deadline: number): ToolRequestMessage {
  return {
    v: 1,
    request_id: request.request_id,
    run_id: state.run_id,
    tenant_id: state.tenant_id,
    user_id: state.user_id,
    scopes: state.scopes,
    tool: request.tool,
    server: request.server,
    args: request.args,
    call_index: callIndex,
    approval: state.options.approval,
    approved: request.approved,
    requested_at: new Date(now).toISOString(),
    deadline_at: new Date(deadline).toISOString(),
  };
}

/** The message of a dispatched request, as `act` sent it. */
export function dispatchedMessage(state: RunState, request: ToolRequestState): ToolRequestMessage {
  const index = state.tool_requests.findIndex((r) => r.request_id === request.request_id);
  const dispatched = Date.parse(request.dispatched_at ?? request.requested_at);
  return toolRequestMessage(
    state,
    { ...request, approved: request.requires_approval },
    index + 1,
    dispatched,
    request.deadline === null ? dispatched : Date.parse(request.deadline),
  );
}
