/**
 * The executor's permission gate, over the shared rules of src/engine/tool-policy.ts (the same ones
 * the planner, the run's `act` step and `GET /tools` use). The run checked all of this before it
 * sent the message; the executor checks again, so a forged or stale message cannot do more.
 */
import { hasScope, requiresApproval } from "../engine/tool-policy";
import type { ApprovalPolicy } from "../engine/events";
import type { ToolDescriptor, ToolRequestMessage } from "../engine/tool-protocol";

/** `never` is honoured only for a key with `tools:unattended`; otherwise the default `auto` applies. */
export function effectivePolicy(policy: ApprovalPolicy, scopes: readonly string[]): ApprovalPolicy {
  return policy === "never" && !hasScope(scopes, "tools:unattended") ? "auto" : policy;
}

/** Why the message may not run this tool, or null when it may. */
export function checkPermission(
  tool: ToolDescriptor,
  msg: Pick<ToolRequestMessage, "server" | "scopes" | "approval" | "approved">,
): string | null {
  if (msg.server !== tool.server) return `scope: the message names server ${msg.server}, but ${tool.name} belongs to ${tool.server}`;
  if (!hasScope(msg.scopes, tool.scope)) return `scope: the run's user lacks ${tool.scope}, needed for ${tool.name}`;
  if (requiresApproval(tool, effectivePolicy(msg.approval, msg.scopes)) && !msg.approved) {
    return `approval: ${tool.name} needs a human's approval, and this call has none`;
  }
  return null;
}
