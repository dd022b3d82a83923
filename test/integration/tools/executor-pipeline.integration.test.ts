/**
 * The executor's per-request pipeline, through the real Queue: messages forged as a run would send
 * them, outcomes read back from the executor's ledger (persisted before delivery).
 */
import { describe, expect, it } from "vitest";
import { newRunId, newTenant, run } from "./helpers";

describe("executor pipeline", () => {
  it("runs a calculator call and records a span for it", async () => {
    const { msg, outcome } = await run({ tool: "calculator.evaluate", args: { expression: "12 * (3 + 4)" } });
    expect(outcome).toMatchObject({
      request_id: msg.request_id,
      status: "completed",
      cached: false,
      result: { content: [{ type: "text", text: "12 * (3 + 4) = 84" }], structuredContent: { expression: "12 * (3 + 4)", value: 84 } },
      span: {
        name: "tool calculator.evaluate",
        status: "ok",
        attributes: { "tool.request_id": msg.request_id, "tool.server": "calculator", "tool.outcome": "completed" },
      },
    });
    if (outcome.status !== "completed" || !outcome.span) throw new Error("unexpected outcome");
    expect(Date.parse(outcome.span.end)).toBeGreaterThanOrEqual(Date.parse(outcome.span.start));
  });

  it("ends a tool's own error in failed, with the tool's code", async () => {
    const { outcome } = await run({ tool: "calculator.evaluate", args: { expression: "1/0" } });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "division_by_zero", message: "division by zero" }, retryable: false });
  });

  it("denies an unknown tool", async () => {
    const { outcome } = await run({ tool: "calculator.sqrt", args: { x: 2 } });
    expect(outcome).toMatchObject({ status: "denied", reason: "unknown tool: calculator.sqrt is not registered" });
    const { outcome: noServer } = await run({ tool: "nowhere.thing", args: {} });
    expect(noServer.status).toBe("denied");
  });

  it("denies arguments that violate the tool's JSON schema before calling it", async () => {
    const { outcome } = await run({ tool: "calculator.evaluate", args: { expr: "1+1" } });
    expect(outcome.status).toBe("denied");
    if (outcome.status === "denied") expect(outcome.reason).toMatch(/^schema: .*expression/);
  });

  it("denies a server the user has no scope for, and allows it with the scope", async () => {
    const args = { owner: "octo", repo: "engine" };
    const { outcome } = await run({ tool: "github.get_repo", args });
    expect(outcome).toMatchObject({ status: "denied", reason: expect.stringMatching(/^scope: .*tools:github/) });
    const { outcome: allowed } = await run({ tool: "github.get_repo", args, scopes: ["runs:write", "tools:github"] });
    expect(allowed).toMatchObject({ status: "completed", result: { structuredContent: { full_name: "octo/engine" } } });
  });

  it("denies a side-effecting call without approval, and runs it with approval", async () => {
    const tenant_id = newTenant();
    const { outcome } = await run({ tool: "notes.save", args: { text: "x" }, tenant_id });
    expect(outcome).toMatchObject({ status: "denied", reason: expect.stringMatching(/^approval: /) });
    const { outcome: approved } = await run({ tool: "notes.save", args: { text: "x" }, tenant_id, approved: true });
    expect(approved.status).toBe("completed");
  });

  it("honours approval policy never only for a key with tools:unattended", async () => {
    const tenant_id = newTenant();
    const base = { tool: "notes.save", args: { text: "unattended" }, tenant_id, approval: "never" as const };
    expect((await run(base)).outcome.status).toBe("denied");
    expect((await run({ ...base, scopes: ["runs:write", "tools:unattended"] })).outcome.status).toBe("completed");
    const always = await run({ tool: "calculator.evaluate", args: { expression: "1+1" }, approval: "always" });
    expect(always.outcome).toMatchObject({ status: "denied", reason: expect.stringMatching(/^approval: /) });
  });

  it("denies a tool outside the tenant's allowlist", async () => {
    const { outcome } = await run({ tool: "notes.list", args: {}, tenant_id: "restricted" });
    expect(outcome).toMatchObject({ status: "denied", reason: expect.stringMatching(/^firewall: .*allowlist/) });
    const { outcome: allowed } = await run({ tool: "calculator.evaluate", args: { expression: "2^10" }, tenant_id: "restricted" });
    expect(allowed).toMatchObject({ status: "completed", result: { structuredContent: { value: 1024 } } });
  });

  it("runs arguments of exactly MAX_ARGS_BYTES (2048) and denies one byte more", async () => {
    // The schema allows extra members; the firewall counts them. `{"expression":"1+1","padding":""}` is 33 bytes.
    const { outcome: atLimit } = await run({ tool: "calculator.evaluate", args: { expression: "1+1", padding: "x".repeat(2048 - 33) } });
    expect(atLimit.status).toBe("completed");
    const { outcome } = await run({ tool: "calculator.evaluate", args: { expression: "1+1", padding: "x".repeat(2049 - 33) } });
    expect(outcome).toMatchObject({ status: "denied", reason: "firewall: arguments of 2049 bytes exceed the limit of 2048 bytes" });
  });

  it("enforces the per-run call limit by call_index and by the run's own count", async () => {
    const { outcome } = await run({ tool: "calculator.evaluate", args: { expression: "1" }, call_index: 6 });
    expect(outcome).toMatchObject({ status: "denied", reason: "firewall: call 6 exceeds the limit of 5 tool calls per run" });

    // A run whose messages all claim to be call 1: the executor counts them itself.
    const run_id = newRunId();
    const statuses: string[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await run({ tool: "calculator.evaluate", args: { expression: `${i}` }, run_id })).outcome.status);
    }
    expect(statuses).toEqual(["completed", "completed", "completed", "completed", "completed", "denied"]);
  });

  it("does not start a call past the run's deadline", async () => {
    const { outcome } = await run({ tool: "calculator.evaluate", args: { expression: "1" }, deadline_at: new Date(Date.now() - 1).toISOString() });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "deadline_exceeded" }, retryable: false });
  });

  it("ends a malformed message that still names its request in failed", async () => {
    const { msg, outcome } = await run({ tool: "calculator.evaluate", args: { expression: "1" }, call_index: 0 });
    expect(msg.call_index).toBe(0);
    expect(outcome).toMatchObject({ status: "failed", error: { code: "invalid_message" }, retryable: false });
  });
});
