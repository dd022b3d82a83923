/**
 * The tool firewall: rules that hold whatever the caller's scopes are. A per-tenant allowlist of
 * tools, limits on the size of arguments and results, a per-run limit on the number of calls, and
 * the time a call may take. Pure functions: each returns why a call is refused, or null.
 */
import type { ToolRequestMessage } from "../engine/tool-protocol";

export interface FirewallLimits {
  maxArgsBytes: number;
  maxResultBytes: number;
  maxCallsPerRun: number;
  toolTimeoutMs: number;
}

/** The UTF-8 size of a value's JSON. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;
}

/**
 * Whether the tenant's allowlist lets it use `tool` (`server.tool`). Patterns: `server.tool`,
 * `server.*`, `*`. A tenant without an allowlist entry may use every registered tool.
 */
export function toolAllowed(allowlist: Record<string, string[]>, tenantId: string, tool: string): boolean {
  const patterns = allowlist[tenantId];
  if (patterns === undefined) return true;
  const server = tool.slice(0, tool.indexOf("."));
  return patterns.some((pattern) => pattern === "*" || pattern === tool || pattern === `${server}.*`);
}

/**
 * Checks a request before the call. `ordinal` is the executor's own count of this run's distinct
 * requests (so a message cannot understate its position); the larger of the two is enforced.
 */
export function checkRequest(
  msg: Pick<ToolRequestMessage, "tenant_id" | "tool" | "args" | "call_index">,
  ordinal: number,
  allowlist: Record<string, string[]>,
  limits: FirewallLimits,
): string | null {
  if (!toolAllowed(allowlist, msg.tenant_id, msg.tool)) {
    return `firewall: tool ${msg.tool} is not on the allowlist of tenant ${msg.tenant_id}`;
  }
  const size = jsonBytes(msg.args);
  if (size > limits.maxArgsBytes) {
    return `firewall: arguments of ${size} bytes exceed the limit of ${limits.maxArgsBytes} bytes`;
  }
  const position = Math.max(msg.call_index, ordinal);
  if (position > limits.maxCallsPerRun) {
    return `firewall: call ${position} exceeds the limit of ${limits.maxCallsPerRun} tool calls per run`;
  }
  return null;
}

/** Checks a result after the call; an oversized result is not passed on to the run. */
export function checkResult(result: unknown, limits: Pick<FirewallLimits, "maxResultBytes">): string | null {
  const size = jsonBytes(result);
  return size > limits.maxResultBytes ? `result of ${size} bytes exceeds the limit of ${limits.maxResultBytes} bytes` : null;
}

/** How long the call may take: the tool timeout, shortened so that it ends by the run's deadline. */
export function callTimeoutMs(limits: Pick<FirewallLimits, "toolTimeoutMs">, deadlineAt: string, nowMs: number): number {
  const untilDeadline = Date.parse(deadlineAt) - nowMs;
  return Math.max(0, Math.min(limits.toolTimeoutMs, Number.isFinite(untilDeadline) ? untilDeadline : 0));
}
