/**
 * Who may use which tool, and which calls need a human's approval (CONTRACT.md "Identity" and
 * "POST /runs"). Pure rules shared by the planner, the run's `act` step, `GET /tools` and the
 * executor's permission gate, so that the three can never disagree.
 */
import type { ApprovalPolicy } from "./events";
import type { ToolDescriptor } from "./tool-protocol";

/** The built-in local servers need only `runs:write`; every other server needs `tools:<server>`. */
export const LOCAL_SERVERS: readonly string[] = ["calculator", "notes"];

export function scopeForServer(server: string): string {
  return LOCAL_SERVERS.includes(server) ? "runs:write" : `tools:${server}`;
}

export function hasScope(scopes: readonly string[], scope: string): boolean {
  return scopes.includes("admin") || scopes.includes(scope);
}

export function canUseTool(tool: Pick<ToolDescriptor, "scope">, scopes: readonly string[]): boolean {
  return hasScope(scopes, tool.scope);
}

export function allowedTools<T extends Pick<ToolDescriptor, "scope">>(tools: readonly T[], scopes: readonly string[]): T[] {
  return tools.filter((tool) => canUseTool(tool, scopes));
}

/**
 * Whether a call needs approval: under `auto` the side-effecting ones (and tools whose server
 * demands it), under `always` every call, under `never` none.
 */
export function requiresApproval(tool: Pick<ToolDescriptor, "read_only" | "approval">, policy: ApprovalPolicy): boolean {
  switch (policy) {
    case "always":
      return true;
    case "never":
      return false;
    case "auto":
      return !tool.read_only || tool.approval === "always";
  }
}
