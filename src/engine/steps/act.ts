/**
 * `act`: turn the plan's tool intents into tool requests, once each, and wait for their outcomes.
 * The step is a reconciliation over RunState, so running it again (after a resume, a retry or a
 * crash) requests nothing twice: intent i is request i. A request either is denied at once
 * (unknown tool, missing scope), waits for a human (approval), or goes to the executor through the
 * outbox in the same transaction that records it.
 */
import { newEvent } from "../events";
import type { NewEvent } from "../events";
import type { StepContext, StepResult } from "../runtime/step-context";
import type { Effect } from "../runtime/store";
import { pendingWait } from "../runtime/waits";
import type { RunState } from "../state";
import { canUseTool, requiresApproval } from "../tool-policy";
import { splitToolName } from "../tools";
import type { ToolDescriptor, ToolRequestMessage } from "../tools";

export function dispatchMessage(
  state: RunState,
  request: { request_id: string; tool: string; server: string; args: Record<string, unknown> },
  callIndex: number,
  approved: boolean,
  now: number,
  toolWaitMs: number,
): ToolRequestMessage {
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
    approved,
    requested_at: new Date(now).toISOString(),
    deadline_at: new Date(now + toolWaitMs).toISOString(),
  };
}

function approvalReason(tool: ToolDescriptor, policy: RunState["options"]["approval"]): string {
  if (policy === "always") return "the run's approval policy is “always”";
  if (tool.approval === "always") return `the ${tool.server} server requires approval for every call`;
  return `${tool.name} has side effects`;
}

export async function act(ctx: StepContext): Promise<StepResult> {
  const state = ctx.state();
  const intents = state.plan?.tool_intents ?? [];
  const limit = state.options.max_tool_calls;
  const events: NewEvent[] = [];
  const effects: Effect[] = [];

  if (intents.length > limit && !state.budget.exceeded.includes("tool_calls")) {
    events.push(
      newEvent("budget.exceeded", { budget: "tool_calls", limit, used: intents.length }),
      newEvent("decision.made", {
        decision: `call only the first ${limit} of ${intents.length} planned tools`,
        reason: `the run allows at most ${limit} tool calls`,
      }),
    );
  }

  const fresh = intents.slice(state.tool_requests.length, limit);
  if (fresh.length > 0) {
    const catalog = await ctx.catalog.list(state.tenant_id);
    const now = ctx.now();
    fresh.forEach((intent, i) => {
      const callIndex = state.tool_requests.length + i + 1;
      const request_id = ctx.newRequestId();
      const descriptor = catalog.find((tool) => tool.name === intent.tool);
      const server = descriptor?.server ?? splitToolName(intent.tool)?.server ?? "unknown";
      const base = { request_id, tool: intent.tool, server, args: intent.args };
      if (descriptor === undefined) {
        events.push(
          newEvent("tool.requested", { ...base, requires_approval: false }),
          newEvent("tool.denied", { request_id, tool: intent.tool, reason: `no registered tool is named ${intent.tool}` }),
        );
      } else if (!canUseTool(descriptor, state.scopes)) {
        events.push(
          newEvent("tool.requested", { ...base, requires_approval: false }),
          newEvent("tool.denied", { request_id, tool: intent.tool, reason: `the caller lacks the scope ${descriptor.scope}` }),
        );
      } else if (requiresApproval(descriptor, state.options.approval)) {
        events.push(
          newEvent("tool.requested", { ...base, requires_approval: true }),
          newEvent("approval.requested", {
            ...base,
            reason: approvalReason(descriptor, state.options.approval),
            expires_at: new Date(now + ctx.config.approvalTtlMs).toISOString(),
          }),
        );
      } else {
        events.push(newEvent("tool.requested", { ...base, requires_approval: false }));
        effects.push({
          kind: "tool.dispatch",
          message: dispatchMessage(state, base, callIndex, false, now, ctx.config.toolWaitMs),
        });
      }
    });
  }
  if (events.length > 0 || effects.length > 0) ctx.commit({ events, effects });

  const wait = pendingWait(ctx.state(), ctx.config);
  return wait === null ? { kind: "done" } : { kind: "wait", ...wait };
}
