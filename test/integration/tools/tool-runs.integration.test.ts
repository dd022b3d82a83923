/**
 * Runs that use tools, end to end: POST /runs, the run object's act step puts the request on the
 * real Queue, the executor worker runs it against the real MCP server and delivers the outcome to
 * the real run object, which answers with it. Dev mode: tenant `dev`, scopes `admin`.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ToolRequestMessage } from "../../../src/engine/tool-protocol";
import { callServerTool } from "../../../src/tools/mcp-client";
import { allEvents, getJson, postJson, startRun, waitFor, waitForStatus, type RunEnvelope } from "../../support/api";
import { builtinEndpoint, inspect } from "./helpers";

const RUN_TIMEOUT = 20_000;

function only(events: RunEnvelope[], type: string): RunEnvelope {
  const found = events.filter((event) => event.type === type);
  expect(found, `${type} events`).toHaveLength(1);
  return found[0] as RunEnvelope;
}

async function devNotes(): Promise<{ text: string }[]> {
  const result = await callServerTool(builtinEndpoint("notes", { "x-tenant-id": "dev" }), "list", {}, { timeoutMs: 5_000 });
  return (result.structured as { notes: { text: string }[] }).notes;
}

async function awaitApproval(runId: string): Promise<string> {
  return waitFor(async () => {
    const events = await allEvents(runId);
    const asked = events.find((event) => event.type === "approval.requested");
    return asked ? String(asked.data.request_id) : undefined;
  }, "approval.requested");
}

describe("runs that call tools", () => {
  it("a calculator run goes through the Queue and the executor, and answers with the result", async () => {
    const runId = await startRun({ message: "What is 12 * (3 + 4)?" });
    const state = await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    const events = await allEvents(runId);
    const requested = only(events, "tool.requested");
    const completed = only(events, "tool.completed");
    expect(requested.data).toMatchObject({ tool: "calculator.evaluate", server: "calculator", args: { expression: "12 * (3 + 4)" } });
    expect(completed.data).toMatchObject({
      request_id: requested.data.request_id,
      cached: false,
      result: { structuredContent: { value: 84 } },
    });
    expect(state).toMatchObject({ status: "completed", degraded: false });
    expect(String(only(events, "run.completed").data.output)).toContain("84");

    // The executor's span for the call is in the run's trace.
    const { spans } = await getJson<{ spans: { name: string; kind: string; attributes: Record<string, unknown> }[] }>(`/runs/${runId}/spans`);
    expect(spans.find((span) => span.name === "execute_tool calculator.evaluate")).toMatchObject({
      kind: "tool",
      attributes: { "gen_ai.tool.call.id": requested.data.request_id, "run_engine.tool.outcome": "completed" },
    });
    const record = await inspect({ tenant_id: "dev", run_id: runId, request_id: String(requested.data.request_id) });
    expect(record?.deliveries.map((d) => d.status)).toEqual(["recorded"]);
  });

  it("a redelivered request message leaves the run with one outcome", async () => {
    const runId = await startRun({ message: "What is 2 ^ 10?" });
    await waitForStatus(runId, ["completed"], {}, RUN_TIMEOUT);
    const requested = only(await allEvents(runId), "tool.requested");
    const request_id = String(requested.data.request_id);
    const now = Date.now();
    const again: ToolRequestMessage = {
      v: 1,
      request_id,
      run_id: runId,
      tenant_id: "dev",
      user_id: "dev",
      scopes: ["admin"],
      tool: "calculator.evaluate",
      server: "calculator",
      args: { expression: "2 ^ 10" },
      call_index: 1,
      approval: "auto",
      approved: false,
      requested_at: new Date(now).toISOString(),
      deadline_at: new Date(now + 10_000).toISOString(),
    };
    await env.TOOL_QUEUE.send(again);
    const record = await waitFor(async () => {
      const r = await inspect({ tenant_id: "dev", run_id: runId, request_id });
      return r && r.deliveries.length >= 2 ? r : undefined;
    }, "the second delivery");
    expect(record.deliveries.map((d) => d.status)).toEqual(["recorded", "duplicate"]);
    expect(record.attempts).toBe(1);
    expect((await allEvents(runId)).filter((event) => event.type === "tool.completed")).toHaveLength(1);
  });

  it("saves a note after approval", async () => {
    const text = `buy oat milk ${crypto.randomUUID()}`;
    const runId = await startRun({ message: `remember: ${text}` });
    const requestId = await awaitApproval(runId);
    expect(await devNotes()).not.toContainEqual(expect.objectContaining({ text }));

    const response = await postJson(`/runs/${runId}/approval`, { request_id: requestId, decision: "approve" });
    expect(response.status).toBe(202);
    const state = await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    const completed = only(await allEvents(runId), "tool.completed");
    expect(completed.data).toMatchObject({ request_id: requestId, tool: "notes.save", result: { structuredContent: { text } } });
    expect(state.status).toBe("completed");
    expect((await devNotes()).filter((note) => note.text === text)).toHaveLength(1);
  });

  it("saves nothing after a rejection, and still completes", async () => {
    const text = `never saved ${crypto.randomUUID()}`;
    const runId = await startRun({ message: `remember: ${text}` });
    const requestId = await awaitApproval(runId);
    const response = await postJson(`/runs/${runId}/approval`, { request_id: requestId, decision: "reject", reason: "not now" });
    expect(response.status).toBe(202);
    const state = await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    const events = await allEvents(runId);
    expect(only(events, "tool.denied").data).toMatchObject({ request_id: requestId, tool: "notes.save" });
    expect(events.some((event) => event.type === "tool.completed")).toBe(false);
    expect(state.status).toBe("completed");
    expect(await inspect({ tenant_id: "dev", run_id: runId, request_id: requestId })).toBeNull();
    expect(await devNotes()).not.toContainEqual(expect.objectContaining({ text }));
  });

  it("a tool that hangs past its timeout fails, and the run completes degraded", async () => {
    const runId = await startRun({ message: "What is going on at github.com/slow/repo?" });
    const state = await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    const events = await allEvents(runId);
    expect(only(events, "tool.requested").data).toMatchObject({ tool: "github.get_repo", args: { owner: "slow", repo: "repo" } });
    expect(only(events, "tool.failed").data).toMatchObject({ tool: "github.get_repo", error: { code: "tool_timeout" } });
    expect(state).toMatchObject({ status: "completed", degraded: true });
    expect(only(events, "run.completed").data).toMatchObject({ degraded: true });
  });

  it("GET /tools lists the tools the caller may use", async () => {
    const { tools } = await getJson<{ tools: { name: string; read_only: boolean }[] }>("/tools");
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["calculator.evaluate", "notes.save", "github.get_repo", "remote.echo"]));
  });
});
