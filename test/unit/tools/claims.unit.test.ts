/**
 * What happens to a request whose earlier attempt died mid-call: the ledger's claim rule, and the
 * pipeline's refusal to repeat a side effect it cannot know the fate of.
 */
import { describe, expect, it, vi } from "vitest";
import type { ToolDescriptor, ToolRequestMessage } from "../../../src/engine/tool-protocol";
import { REQUEST_ID_META } from "../../../src/tools/protocol-meta";
import { executeRequest, type ExecuteDeps } from "../../../src/tools/execute";
import { decideClaim, decideSettlement, redeliveryDelayMs } from "../../../src/tools/ledger";
import type { ToolCallResult } from "../../../src/tools/mcp-client";
import { parseExecutorSettings } from "../../../src/adapters/executor-settings";
import { BUILTIN_SERVERS } from "../../../src/tools/server-specs";
import { createRuntime } from "../../../src/tools/wiring";
import type { ServerSpec } from "../../../src/tools/server-specs";
import type { ToolsEnv } from "../../../src/tools/env";
import { toolMessage } from "../../integration/tools/helpers";

describe("settlement at the run's deadline", () => {
  const outcome = { request_id: "tr_1", status: "completed", result: 1, cached: false, duration_ms: 2 };

  it("answers a recorded outcome as it stands", () => {
    expect(decideSettlement({ lease_until: 0, outcome: JSON.stringify(outcome), last_error: null }, "tr_1", 9_000)).toEqual({ kind: "outcome", outcome });
  });

  it("fences a request never claimed, or given back after a transient failure: it will never run", () => {
    expect(decideSettlement(null, "tr_1", 9_000)).toMatchObject({ kind: "fence", outcome: { request_id: "tr_1", status: "failed", error: { code: "tool_not_run" }, retryable: false } });
    const released = decideSettlement({ lease_until: 0, outcome: null, last_error: JSON.stringify({ code: "unavailable", message: "server down" }) }, "tr_1", 9_000);
    expect(released).toMatchObject({ kind: "fence", outcome: { error: { code: "tool_not_run", message: expect.stringContaining("server down") } } });
  });

  it("leaves open a request an attempt holds, or whose attempt died mid-call: its effect may have happened", () => {
    expect(decideSettlement({ lease_until: 10_000, outcome: null, last_error: null }, "tr_1", 9_000)).toEqual({ kind: "open", reason: "running" });
    expect(decideSettlement({ lease_until: 8_000, outcome: null, last_error: null }, "tr_1", 9_000)).toEqual({ kind: "open", reason: "died_mid_call" });
  });

  it("makes a fenced request done for any later claim", () => {
    const fence = decideSettlement(null, "tr_1", 9_000);
    if (fence.kind !== "fence") throw new Error("expected a fence");
    expect(decideClaim({ ordinal: 1, attempts: 0, lease_until: 0, outcome: JSON.stringify(fence.outcome) }, 1, 10_000)).toEqual({ kind: "done", outcome: fence.outcome });
  });
});

describe("claim rule", () => {
  const row = { ordinal: 2, attempts: 1, lease_until: 5_000, outcome: null };

  it("claims a new request as the run's next call", () => {
    expect(decideClaim(null, 3, 1_000)).toEqual({ kind: "claimed", ordinal: 4, attempt: 1, rerun: false });
  });

  it("waits while another attempt holds the lease", () => {
    expect(decideClaim(row, 0, 1_000)).toEqual({ kind: "busy", retryAfterMs: 4_000 });
  });

  it("takes over an expired lease as a rerun, a released one as a plain retry", () => {
    expect(decideClaim(row, 0, 6_000)).toEqual({ kind: "claimed", ordinal: 2, attempt: 2, rerun: true });
    expect(decideClaim({ ...row, lease_until: 0 }, 0, 6_000)).toEqual({ kind: "claimed", ordinal: 2, attempt: 2, rerun: false });
  });

  it("hands back a stored outcome", () => {
    const outcome = { request_id: "tr_1", status: "denied" as const, reason: "no" };
    expect(decideClaim({ ...row, outcome: JSON.stringify(outcome) }, 0, 1_000)).toEqual({ kind: "done", outcome });
  });
});

describe("redelivery backoff", () => {
  it("doubles from the base after each delivery that got no answer, up to the cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((failed) => redeliveryDelayMs(failed, 2_000, 60_000))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(redeliveryDelayMs(10_000, 2_000, 60_000)).toBe(60_000);
  });
});

describe("a rerun after an attempt died mid-call", () => {
  const server: ServerSpec = { name: "notes", kind: "builtin", url: "https://x/mcp/notes", scope: "runs:write", approval: "auto", headers: {} };
  const descriptor = (readOnly: boolean): ToolDescriptor => ({
    name: readOnly ? "notes.list" : "notes.save",
    server: "notes",
    tool: readOnly ? "list" : "save",
    description: "",
    input_schema: { type: "object" },
    annotations: { readOnlyHint: readOnly },
    read_only: readOnly,
    scope: "runs:write",
    approval: "auto",
  });
  type Call = { name: string; meta: Record<string, unknown> };
  const deps = (tool: ToolDescriptor, calls: Call[], dedupesRequestId = false): ExecuteDeps => ({
    settings: parseExecutorSettings({ LOG_LEVEL: "error" }, BUILTIN_SERVERS),
    clock: { now: () => Date.now(), sleep: async () => {} },
    registry: { find: async () => ({ kind: "found", descriptor: tool, server, dedupesRequestId }) },
    cache: { get: async () => ({ hit: false, key: "k" }), put: async () => undefined, invalidateServer: async () => undefined },
    call: async (_server, _tenant, name, _args, options): Promise<ToolCallResult> => {
      calls.push({ name, meta: options.meta });
      return { isError: false, text: "ok", structured: null, error: null };
    },
  });
  const rerun = { ordinal: 1, attempt: 2, rerun: true };
  const save = (over: Partial<ToolRequestMessage> = {}) => toolMessage({ tool: "notes.save", args: { text: "x" }, approved: true, ...over });
  const past = () => new Date(Date.now() - 1).toISOString();

  it("does not repeat a side-effecting call that does not dedupe", async () => {
    const calls: Call[] = [];
    const execution = await executeRequest(save(), rerun, deps(descriptor(false), calls));
    expect(execution).toMatchObject({ kind: "outcome", outcome: { status: "failed", error: { code: "tool_outcome_unknown" }, retryable: false } });
    expect(calls).toEqual([]);
  });

  it("repeats a side-effecting call that dedupes on the request id, with the same request id", async () => {
    const calls: Call[] = [];
    const msg = save();
    const execution = await executeRequest(msg, rerun, deps(descriptor(false), calls, true));
    expect(execution).toMatchObject({ kind: "outcome", outcome: { status: "completed" } });
    expect(calls).toEqual([{ name: "save", meta: { [REQUEST_ID_META]: msg.request_id } }]);
  });

  it("does not repeat even a deduping call once the run stopped waiting: its outcome is unknown, not 'not started'", async () => {
    const calls: Call[] = [];
    const execution = await executeRequest(save({ deadline_at: past() }), rerun, deps(descriptor(false), calls, true));
    expect(execution).toMatchObject({ kind: "outcome", outcome: { status: "failed", error: { code: "tool_outcome_unknown" } } });
    expect(calls).toEqual([]);
  });

  it("says deadline_exceeded for a call past the deadline that no attempt ever started, and for a read-only rerun", async () => {
    const calls: Call[] = [];
    const first = { ordinal: 1, attempt: 1, rerun: false };
    expect(await executeRequest(save({ deadline_at: past() }), first, deps(descriptor(false), calls, true))).toMatchObject({
      outcome: { status: "failed", error: { code: "deadline_exceeded" } },
    });
    const list = toolMessage({ tool: "notes.list", args: {}, deadline_at: past() });
    expect(await executeRequest(list, rerun, deps(descriptor(true), calls))).toMatchObject({
      outcome: { status: "failed", error: { code: "deadline_exceeded" } },
    });
    expect(calls).toEqual([]);
  });

  it("repeats a read-only call", async () => {
    const calls: Call[] = [];
    const execution = await executeRequest(toolMessage({ tool: "notes.list", args: {} }), rerun, deps(descriptor(true), calls));
    expect(execution).toMatchObject({ kind: "outcome", outcome: { status: "completed" } });
    expect(calls.map((call) => call.name)).toEqual(["list"]);
  });
});

describe("a broken MCP_SERVERS", () => {
  it("leaves the built-in tools working, and says so in the log", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const runtime = createRuntime({ LOG_LEVEL: "error", MCP_SERVERS: "[{not json" } as unknown as ToolsEnv);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('"msg":"tool.config_invalid"'));
    errors.mockRestore();
    const tools = await runtime.registry.list("t", {});
    expect(tools.map((tool) => tool.name)).toEqual(["calculator.evaluate", "github.get_repo", "github.list_issues", "notes.list", "notes.save"]);
  });
});
