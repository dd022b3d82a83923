/** The result cache: read-only tools only, per tenant, keyed by tool and canonical arguments. */
import { describe, expect, inject, it } from "vitest";
import { newTenant, run } from "./helpers";

describe("executor result cache", () => {
  it("answers the second identical read-only call from the cache, whatever the key order", async () => {
    const tenant_id = newTenant();
    const scopes = ["runs:write", "tools:github"];
    const first = await run({ tool: "github.list_issues", args: { owner: "octo", repo: "engine", state: "all" }, tenant_id, scopes });
    const second = await run({ tool: "github.list_issues", args: { state: "all", repo: "engine", owner: "octo" }, tenant_id, scopes });
    expect(first.outcome).toMatchObject({ status: "completed", cached: false });
    expect(second.outcome).toMatchObject({ status: "completed", cached: true, span: { attributes: { "tool.cached": true } } });
    if (first.outcome.status !== "completed" || second.outcome.status !== "completed") throw new Error("not completed");
    expect(second.outcome.result).toEqual(first.outcome.result);
  });

  it("keys by arguments and by tenant", async () => {
    const tenant_id = newTenant();
    const expression = `${Math.floor(Math.random() * 1e9)} + 1`;
    await run({ tool: "calculator.evaluate", args: { expression }, tenant_id });
    const otherArgs = await run({ tool: "calculator.evaluate", args: { expression: `${expression} + 1` }, tenant_id });
    const otherTenant = await run({ tool: "calculator.evaluate", args: { expression }, tenant_id: newTenant() });
    const same = await run({ tool: "calculator.evaluate", args: { expression }, tenant_id });
    expect([otherArgs, otherTenant, same].map(({ outcome }) => outcome.status === "completed" && outcome.cached)).toEqual([false, false, true]);
  });

  it("never caches a side-effecting tool, and a side effect drops the server's cached reads", async () => {
    const tenant_id = newTenant();
    const save = { tool: "notes.save", args: { text: "same note" }, tenant_id, approved: true };
    const saves = [await run(save), await run(save)];
    expect(saves.map(({ outcome }) => outcome.status === "completed" && outcome.cached)).toEqual([false, false]);

    const listed = await run({ tool: "notes.list", args: {}, tenant_id });
    expect((await run({ tool: "notes.list", args: {}, tenant_id })).outcome).toMatchObject({ cached: true });
    await run({ ...save, args: { text: "third note" } });
    const after = await run({ tool: "notes.list", args: {}, tenant_id });
    expect(listed.outcome).toMatchObject({ result: { structuredContent: { notes: [{ text: "same note" }, { text: "same note" }] } } });
    expect(after.outcome).toMatchObject({ cached: false, result: { structuredContent: { notes: [{ text: "third note" }, {}, {}] } } });
  });

  it("a side-effecting call drops its server's cached reads even when it fails", async () => {
    const tenant_id = newTenant();
    const scopes = ["runs:write", "tools:remote"];
    const echo = { tool: "remote.echo", args: { text: "cached?" }, tenant_id, scopes };
    await run(echo);
    expect((await run(echo)).outcome).toMatchObject({ cached: true });
    const key = crypto.randomUUID();
    await fetch(`${inject("remoteMcpBase")}/fail-next?match=${key}&n=1`, { method: "POST" });
    const bump = await run({ tool: "remote.bump", args: { key }, tenant_id, scopes, approved: true });
    expect(bump.outcome.status).toBe("server_error");
    expect((await run(echo)).outcome).toMatchObject({ status: "completed", cached: false });
  });
});
