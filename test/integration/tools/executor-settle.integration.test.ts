/**
 * Settling a call at its run's deadline (src/tools/settle-request.ts), against the real executor,
 * its ledger and its servers: the run asks over the TOOLS binding, with the message it dispatched,
 * and gets the outcome that stands, the outcome of a run of the call now, or a fence that keeps the
 * call from ever running. The messages are forged as a run would send them (their runs do not
 * exist: a delivery to them answers `unknown`, which is all these tests need).
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { runObjectName } from "../../../src/engine/ids";
import type { ToolOutcome, ToolRequestMessage } from "../../../src/engine/tool-protocol";
import { callServerTool } from "../../../src/tools/mcp-client";
import { REQUEST_ID_META } from "../../../src/tools/protocol-meta";
import { builtinEndpoint, inspect, outcomeOf, toolMessage } from "./helpers";

const REMOTE = ["runs:write", "tools:remote"];
const failNext = async (marker: string, n: number) => {
  await fetch(`${inject("remoteMcpBase")}/fail-next?match=${marker}&n=${n}`, { method: "POST" });
};
const settle = async (msg: ToolRequestMessage) => (await env.TOOLS.settleRequest(msg)) as ToolOutcome | null;
const ledgerOf = (msg: ToolRequestMessage) => env.TEST_CALL_LEDGER.getByName(runObjectName(msg.tenant_id, msg.run_id));
const idsOf = (msg: ToolRequestMessage) => ({ request_id: msg.request_id, tenant_id: msg.tenant_id, run_id: msg.run_id, tool: msg.tool });
/** A message whose deadline has just passed: what a run asks about. */
const overdue = (input: Parameters<typeof toolMessage>[0]) => toolMessage({ deadline_at: new Date(Date.now() - 1).toISOString(), ...input });

async function notesWith(tenant: string, text: string): Promise<unknown[]> {
  const listed = await callServerTool(builtinEndpoint("notes", { "x-tenant-id": tenant }), "list", {}, { timeoutMs: 5_000 });
  return (listed.structured as { notes: { text: string }[] }).notes.filter((note) => note.text === text);
}

describe("settling a call at its run's deadline", () => {
  it("runs a call no attempt took, for the run waiting for it, once", async () => {
    const msg = overdue({ tool: "calculator.evaluate", args: { expression: "6 * 7" } });
    expect(await settle(msg)).toMatchObject({ request_id: msg.request_id, status: "completed", result: { structuredContent: { value: 42 } } });
    // Asked again, or the lost message arriving after all: the same outcome, no second call.
    expect(await settle(msg)).toMatchObject({ status: "completed" });
    await env.TOOL_QUEUE.send(msg);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await inspect(msg)).toMatchObject({ attempts: 1, outcome: { status: "completed" } });
  });

  it("answers an outcome that was recorded but never delivered, without calling again", async () => {
    const msg = toolMessage({ tool: "calculator.evaluate", args: { expression: "1 + 1" } });
    await env.TOOL_QUEUE.send(msg);
    await outcomeOf(msg);
    expect(await settle(msg)).toMatchObject({ status: "completed", result: { structuredContent: { value: 2 } } });
    expect((await inspect(msg))?.attempts).toBe(1);
  });

  it("repeats a note whose attempt died mid-call only through the server's dedupe: one note", async () => {
    const tenant = `settle-${crypto.randomUUID().slice(0, 8)}`;
    const text = `settled ${crypto.randomUUID()}`;
    const msg = overdue({ tool: "notes.save", args: { text }, tenant_id: tenant, approved: true });
    await ledgerOf(msg).claim(idsOf(msg), Date.now(), 1);
    await callServerTool(builtinEndpoint("notes", { "x-tenant-id": tenant }), "save", { text }, { timeoutMs: 5_000, meta: { [REQUEST_ID_META]: msg.request_id } });
    expect(await settle(msg)).toMatchObject({ status: "completed", result: { structuredContent: { text } } });
    expect(await notesWith(tenant, text)).toHaveLength(1);
  });

  it("does not repeat a side effect that cannot be deduplicated: its outcome stays unknown", async () => {
    const msg = overdue({ tool: "remote.bump", args: { key: crypto.randomUUID() }, scopes: REMOTE, approved: true });
    await ledgerOf(msg).claim(idsOf(msg), Date.now(), 1);
    expect(await settle(msg)).toMatchObject({ status: "failed", error: { code: "tool_outcome_unknown" }, retryable: false });
  });

  it("waits for an attempt under way and answers its outcome", async () => {
    const msg = overdue({ tool: "calculator.evaluate", args: { expression: "2 * 21" } });
    await ledgerOf(msg).claim(idsOf(msg), Date.now(), 5_000);
    const settling = settle(msg);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ledgerOf(msg).finish(idsOf(msg), { request_id: msg.request_id, status: "completed", result: 42, cached: false, duration_ms: 1 }, Date.now());
    expect(await settling).toMatchObject({ status: "completed", result: 42 });
  });

  it("fences a call whose server is down: tool_not_run, and no later attempt runs it", async () => {
    const text = crypto.randomUUID();
    await failNext(text, 1);
    const msg = overdue({ tool: "remote.echo", args: { text }, scopes: REMOTE });
    const fenced = await settle(msg);
    expect(fenced).toMatchObject({ status: "failed", error: { code: "tool_not_run" }, retryable: false });
    expect((fenced as { error: { message: string } }).error.message).toContain("503");
    // The server is back; the message arrives: the fence stands.
    await env.TOOL_QUEUE.send({ ...msg, deadline_at: new Date(Date.now() + 20_000).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await inspect(msg)).toMatchObject({ outcome: { error: { code: "tool_not_run" } } });
  });
});
