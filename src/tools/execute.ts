/**
 * The per-request pipeline, after the request was claimed: registered tool; arguments against its
 * JSON Schema; firewall; permission gate; cache (read-only tools); the call through the MCP client.
 * It returns the outcome to persist and deliver, with a span for the call, or a transient failure
 * that the Queue may retry. It never throws for anything a tool or server does.
 */
import { z } from "zod";
import type { ExecutorSettings } from "../adapters/executor-settings";
import type { ErrorInfo } from "../engine/events";
import type { Clock } from "../engine/ports";
import type { ToolCallSpan, ToolDescriptor, ToolOutcome, ToolRequestMessage } from "../engine/tool-protocol";
import { argsViolation } from "./arg-schema";
import type { ResultCache } from "./cache";
import { callTimeoutMs, checkRequest, checkResult } from "./firewall";
import { McpCallError, type ToolCallResult } from "./mcp-client";
import { checkPermission } from "./permissions";
import { REQUEST_ID_META } from "./protocol-meta";
import type { ToolRegistry } from "./registry";
import type { ServerSpec } from "./server-specs";

export type ToolCaller = (
  server: ServerSpec,
  tenantId: string,
  tool: string,
  args: Record<string, unknown>,
  options: { timeoutMs: number; meta: Record<string, unknown> },
) => Promise<ToolCallResult>;

export interface ExecuteDeps {
  settings: ExecutorSettings;
  clock: Clock;
  registry: Pick<ToolRegistry, "find">;
  cache: Pick<ResultCache, "get" | "put" | "invalidateServer">;
  call: ToolCaller;
}

/**
 * What `tool.completed` carries as `result`: the MCP result's shape (text content, structured
 * content if the tool has any), without its protocol-only members.
 */
export const ToolResultValue = z.object({
  content: z.array(z.object({ type: z.literal("text"), text: z.string() })),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
});
export type ToolResultValue = z.infer<typeof ToolResultValue>;

export type Execution =
  | { kind: "outcome"; outcome: ToolOutcome }
  /** The server could not be asked; retrying later may help (only decided for calls safe to repeat). */
  | { kind: "transient"; server: string; error: ErrorInfo };

export interface ClaimInfo {
  ordinal: number;
  attempt: number;
  /** An earlier attempt claimed the request and died mid-call: its side effect may have happened. */
  rerun: boolean;
}

type OutcomeBody =
  | { status: "completed"; result: ToolResultValue; cached: boolean; duration_ms: number }
  | { status: "failed"; error: ErrorInfo; retryable: boolean }
  | { status: "denied"; reason: string }
  | { status: "server_error"; server: string; error: ErrorInfo };

function span(msg: ToolRequestMessage, claim: ClaimInfo, startMs: number, endMs: number, body: OutcomeBody): ToolCallSpan {
  const attributes: Record<string, unknown> = {
    "tool.request_id": msg.request_id,
    "tool.name": msg.tool,
    "tool.server": msg.server,
    "tool.attempt": claim.attempt,
    "tool.outcome": body.status,
    tenant_id: msg.tenant_id,
    run_id: msg.run_id,
  };
  if (body.status === "completed") attributes["tool.cached"] = body.cached;
  if (body.status === "failed" || body.status === "server_error") attributes["error.code"] = body.error.code;
  if (body.status === "denied") attributes["tool.denied_reason"] = body.reason;
  return {
    name: `tool ${msg.tool}`,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    status: body.status === "completed" ? "ok" : "error",
    attributes,
  };
}

/** A call that may be repeated without a second side effect. */
function safeToRepeat(tool: ToolDescriptor): boolean {
  return tool.read_only || tool.annotations.idempotentHint === true;
}

export async function executeRequest(msg: ToolRequestMessage, claim: ClaimInfo, deps: ExecuteDeps): Promise<Execution> {
  const { clock, settings } = deps;
  const start = clock.now();
  const done = (body: OutcomeBody): Execution => ({
    kind: "outcome",
    outcome: { ...body, request_id: msg.request_id, span: span(msg, claim, start, clock.now(), body) },
  });

  const pastDeadline = Date.parse(msg.deadline_at) <= start;
  const notStarted = (): Execution =>
    done({ status: "failed", error: { code: "deadline_exceeded", message: "the run stopped waiting before the call could start" }, retryable: false });
  if (pastDeadline && !claim.rerun) return notStarted();
  const lookup = await deps.registry.find(msg.tool);
  if (lookup.kind === "unknown") return done({ status: "denied", reason: `unknown tool: ${msg.tool} is not registered` });
  if (lookup.kind === "unavailable") return { kind: "transient", server: lookup.server, error: lookup.error };
  const { descriptor, server } = lookup;

  // An earlier attempt died mid-call, so its effect may have happened. The call is repeated only
  // when that cannot double the effect: a read-only or idempotent tool, or one that dedupes on the
  // request id (which the repeat carries), and then only while the run still waits.
  if (claim.rerun && !safeToRepeat(descriptor) && (pastDeadline || !lookup.dedupesRequestId)) {
    const message = "an earlier attempt of this call stopped mid-way; it is not repeated, since its side effect may have happened";
    return done({ status: "failed", error: { code: "tool_outcome_unknown", message }, retryable: false });
  }
  if (pastDeadline) return notStarted();
  const violation = argsViolation(descriptor.input_schema, msg.args);
  if (violation !== null) return done({ status: "denied", reason: `schema: ${violation}` });
  const blocked = checkRequest(msg, claim.ordinal, settings.allowlist, settings);
  if (blocked !== null) return done({ status: "denied", reason: blocked });
  const forbidden = checkPermission(descriptor, msg);
  if (forbidden !== null) return done({ status: "denied", reason: forbidden });

  let cacheKey: string | null = null;
  if (descriptor.read_only) {
    const cached = await deps.cache.get(msg.tenant_id, server.name, descriptor.tool, msg.args);
    const value = cached.hit ? ToolResultValue.safeParse(cached.result) : null;
    if (value?.success) return done({ status: "completed", result: value.data, cached: true, duration_ms: clock.now() - start });
    cacheKey = cached.key;
  }

  const timeoutMs = callTimeoutMs(settings, msg.deadline_at, clock.now());
  let answer: ToolCallResult;
  try {
    answer = await deps.call(server, msg.tenant_id, descriptor.tool, msg.args, {
      timeoutMs,
      meta: { [REQUEST_ID_META]: msg.request_id },
    });
  } catch (error) {
    // A failed side-effecting call may still have had its effect: reads cached before it no longer count.
    if (!descriptor.read_only) await deps.cache.invalidateServer(msg.tenant_id, server.name);
    const failure = error instanceof McpCallError ? error : new McpCallError("protocol", String(error), false);
    if (failure.kind === "timeout") {
      const message = `${msg.tool} did not answer within ${timeoutMs} ms`;
      return done({ status: "failed", error: { code: "tool_timeout", message }, retryable: descriptor.read_only });
    }
    const info = { code: `server_${failure.kind}`, message: failure.message };
    if (failure.retryable && safeToRepeat(descriptor)) return { kind: "transient", server: server.name, error: info };
    return done({ status: "server_error", server: server.name, error: info });
  }

  if (!descriptor.read_only) await deps.cache.invalidateServer(msg.tenant_id, server.name);
  if (answer.isError) {
    const error = { code: answer.error?.code ?? "tool_error", message: answer.text || `${msg.tool} reported an error` };
    return done({ status: "failed", error, retryable: answer.error?.retryable ?? false });
  }
  const result: ToolResultValue = {
    content: [{ type: "text", text: answer.text }],
    ...(answer.structured === null ? {} : { structuredContent: answer.structured }),
  };
  const tooLarge = checkResult(result, settings);
  if (tooLarge !== null) return done({ status: "failed", error: { code: "result_too_large", message: tooLarge }, retryable: false });
  if (cacheKey !== null) await deps.cache.put(cacheKey, result);
  return done({ status: "completed", result, cached: false, duration_ms: clock.now() - start });
}
