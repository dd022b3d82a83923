import { describe, expect, it } from "vitest";
import type { ToolDescriptor } from "../../../src/engine/tool-protocol";
import { callTimeoutMs, checkRequest, checkResult, toolAllowed } from "../../../src/tools/firewall";
import { checkPermission, effectivePolicy } from "../../../src/tools/permissions";

const limits = { maxArgsBytes: 100, maxResultBytes: 50, maxCallsPerRun: 3, toolTimeoutMs: 5_000 };

describe("firewall", () => {
  it("allowlists by exact tool, server wildcard or everything; unlisted tenants may use all", () => {
    const allowlist = { a: ["calculator.*", "github.get_repo"], b: ["*"], c: [] };
    expect(toolAllowed(allowlist, "a", "calculator.evaluate")).toBe(true);
    expect(toolAllowed(allowlist, "a", "github.get_repo")).toBe(true);
    expect(toolAllowed(allowlist, "a", "github.list_issues")).toBe(false);
    expect(toolAllowed(allowlist, "a", "calculatorx.evaluate")).toBe(false);
    expect(toolAllowed(allowlist, "b", "notes.save")).toBe(true);
    expect(toolAllowed(allowlist, "c", "notes.list")).toBe(false);
    expect(toolAllowed(allowlist, "z", "notes.save")).toBe(true);
  });

  // `{"expression":""}` is 17 bytes of JSON, so an expression of n bytes makes arguments of 17 + n.
  const args = (expression: string) => ({ tenant_id: "t", tool: "calculator.evaluate", args: { expression }, call_index: 1 });

  it("allows arguments of exactly the byte limit and refuses one byte more", () => {
    expect(checkRequest(args("x".repeat(83)), 1, {}, limits)).toBeNull();
    expect(checkRequest(args("x".repeat(84)), 1, {}, limits)).toBe("firewall: arguments of 101 bytes exceed the limit of 100 bytes");
  });

  it("counts argument bytes in UTF-8, not characters", () => {
    // 17 + 1 + 41 * 2 = 100 bytes in 59 characters; one more "é" is 102 bytes in 60 characters.
    expect(checkRequest(args(`x${"é".repeat(41)}`), 1, {}, limits)).toBeNull();
    expect(checkRequest(args(`x${"é".repeat(42)}`), 1, {}, limits)).toMatch(/^firewall: arguments of 102 bytes/);
  });

  it("allows exactly the call limit and refuses the next call, by call_index and by the executor's own count", () => {
    const call = (call_index: number) => ({ ...args("1"), call_index });
    expect(checkRequest(call(3), 1, {}, limits)).toBeNull();
    expect(checkRequest(call(4), 1, {}, limits)).toBe("firewall: call 4 exceeds the limit of 3 tool calls per run");
    // A message that understates its position is held to the executor's count of distinct requests.
    expect(checkRequest(call(1), 3, {}, limits)).toBeNull();
    expect(checkRequest(call(1), 4, {}, limits)).toBe("firewall: call 4 exceeds the limit of 3 tool calls per run");
  });

  it("refuses a tool off the tenant's allowlist before anything else", () => {
    expect(checkRequest(args("1"), 1, { t: ["notes.*"] }, limits)).toMatch(/not on the allowlist/);
  });

  it("allows a result of exactly the byte limit and refuses one byte more", () => {
    // `{"text":""}` is 11 bytes.
    expect(checkResult({ text: "x".repeat(39) }, limits)).toBeNull();
    expect(checkResult({ text: "x".repeat(40) }, limits)).toBe("result of 51 bytes exceeds the limit of 50 bytes");
    expect(checkResult({ text: `${"é".repeat(19)}x` }, limits)).toBeNull();
    expect(checkResult({ text: "é".repeat(20) }, limits)).toMatch(/^result of 51 bytes/);
  });

  it("ends the call by the run's deadline", () => {
    const now = Date.parse("2026-01-01T00:00:00.000Z");
    expect(callTimeoutMs(limits, "2026-01-01T00:01:00.000Z", now)).toBe(5_000);
    expect(callTimeoutMs(limits, "2026-01-01T00:00:05.000Z", now)).toBe(5_000);
    expect(callTimeoutMs(limits, "2026-01-01T00:00:04.999Z", now)).toBe(4_999);
    expect(callTimeoutMs(limits, "2026-01-01T00:00:01.500Z", now)).toBe(1_500);
    expect(callTimeoutMs(limits, "2026-01-01T00:00:00.000Z", now)).toBe(0);
    expect(callTimeoutMs(limits, "2025-12-31T00:00:00.000Z", now)).toBe(0);
    expect(callTimeoutMs(limits, "not a date", now)).toBe(0);
  });
});

describe("permission gate", () => {
  const tool = (over: Partial<ToolDescriptor>): ToolDescriptor => ({
    name: "notes.save",
    server: "notes",
    tool: "save",
    description: "",
    input_schema: {},
    annotations: {},
    read_only: false,
    scope: "runs:write",
    approval: "auto",
    ...over,
  });
  const msg = { server: "notes", scopes: ["runs:write"], approval: "auto" as const, approved: true };

  it("needs the tool's scope (admin has all) and the right server", () => {
    const github = tool({ name: "github.get_repo", server: "github", read_only: true, scope: "tools:github" });
    expect(checkPermission(github, { ...msg, server: "github" })).toMatch(/^scope: .*tools:github/);
    expect(checkPermission(github, { ...msg, server: "github", scopes: ["admin"] })).toBeNull();
    expect(checkPermission(tool({}), { ...msg, server: "calculator" })).toMatch(/^scope: the message names server calculator/);
  });

  it("needs approval for side effects under auto, for everything under always, for servers that demand it", () => {
    expect(checkPermission(tool({}), { ...msg, approved: false })).toMatch(/^approval: /);
    expect(checkPermission(tool({}), msg)).toBeNull();
    expect(checkPermission(tool({ read_only: true }), { ...msg, approved: false })).toBeNull();
    expect(checkPermission(tool({ read_only: true }), { ...msg, approval: "always", approved: false })).toMatch(/^approval: /);
    expect(checkPermission(tool({ read_only: true, approval: "always" }), { ...msg, approved: false })).toMatch(/^approval: /);
  });

  it("honours never only with tools:unattended", () => {
    expect(effectivePolicy("never", ["runs:write"])).toBe("auto");
    expect(effectivePolicy("never", ["tools:unattended"])).toBe("never");
    expect(effectivePolicy("always", [])).toBe("always");
    expect(checkPermission(tool({}), { ...msg, approval: "never", approved: false, scopes: ["runs:write", "tools:unattended"] })).toBeNull();
  });
});
