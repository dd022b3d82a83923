import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, getJson, postJson, startRun, waitFor, waitForStatus } from "../support/api";
import { deliver, dispatchedRequests, expectConsistentLog, ofType, runStub } from "../support/runs";

interface Pending {
  request_id: string;
  tool: string;
  status: string;
  approval: { expires_at: string } | null;
}

async function awaitingApproval(runId: string): Promise<Pending> {
  return waitFor(async () => {
    const state = await getJson<{ tool_requests: Pending[] }>(`/runs/${runId}/state`);
    return state.tool_requests.find((r) => r.status === "awaiting_approval");
  }, "an approval request");
}

describe("approvals over HTTP", () => {
  it("approve: records the decision once, dispatches the call, and completes with its result", async () => {
    const runId = await startRun({ message: "remember: the launch is on Friday" });
    const pending = await awaitingApproval(runId);
    expect(pending.tool).toBe("notes.save");
    expect(await getJson(`/runs/${runId}/workflow`)).toMatchObject({ status: "waiting", waiting: { reason: "approval", request_ids: [pending.request_id] } });

    const body = { request_id: pending.request_id, decision: "approve", reason: "go ahead" };
    const first = await postJson(`/runs/${runId}/approval`, body);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ run_id: runId, request_id: pending.request_id, decision: "approve" });
    const again = await postJson(`/runs/${runId}/approval`, { ...body, decision: "reject" });
    expect(again.status).toBe(409);

    await dispatchedRequests(runId);
    await deliver(runId, pending.request_id, { content: [{ type: "text", text: "saved" }], structuredContent: { id: "n1" } });
    const state = await waitForStatus(runId, ["completed"]);
    expect(state.output).toContain("I saved the note “the launch is on Friday”.");
    const events = await expectConsistentLog(runId, expect);
    expect(ofType(events, "approval.recorded").map((e) => e.data)).toEqual([
      { request_id: pending.request_id, decision: "approve", reason: "go ahead", user_id: "dev" },
    ]);
    expect(ofType(events, "workflow.waiting").map((e) => e.data.reason)).toEqual(["approval", "tool"]);
  });

  it("reject: the call is denied, never dispatched, and the run still answers", async () => {
    const runId = await startRun({ message: "remember: delete everything" });
    const pending = await awaitingApproval(runId);
    expect((await postJson(`/runs/${runId}/approval`, { request_id: pending.request_id, decision: "reject", reason: "no" })).status).toBe(202);
    const state = await waitForStatus(runId, ["completed"]);
    expect(state.output).toContain("I did not use notes.save: rejected by dev: no.");
    const events = await expectConsistentLog(runId, expect);
    expect(ofType(events, "tool.denied")).toHaveLength(1);
    expect(events.at(-1)?.data).toMatchObject({ degraded: false });
    expect((await postJson(`/runs/${runId}/approval`, { request_id: pending.request_id, decision: "approve" })).status).toBe(409);
  });

  it("expired: the deadline denies the call, and a late decision is refused", async () => {
    const runId = await startRun({ message: "remember: this will expire" });
    const pending = await awaitingApproval(runId);
    // APPROVAL_TTL_MS is 3 s in the tests; the alarm at the deadline ends the wait.
    const state = await waitForStatus(runId, ["completed"], {}, 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(pending.approval!.expires_at));
    expect((state.denials as { reason: string }[])[0]?.reason).toMatch(/^approval expired at/);
    expect((await postJson(`/runs/${runId}/approval`, { request_id: pending.request_id, decision: "approve" })).status).toBe(409);
    await expectConsistentLog(runId, expect);
  });

  it("cancel while waiting: the run ends cancelled and nothing more happens to it", async () => {
    const runId = await startRun({ message: "remember: cancel me" });
    const pending = await awaitingApproval(runId);
    const cancelled = await api(`/runs/${runId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(202);
    expect(await cancelled.json()).toEqual({ run_id: runId, status: "cancelled" });
    expect((await api(`/runs/${runId}/cancel`, { method: "POST" })).status).toBe(409);
    expect((await postJson(`/runs/${runId}/approval`, { request_id: pending.request_id, decision: "approve" })).status).toBe(409);
    const workflow = await getJson<{ status: string; next_alarm_at: string | null }>(`/runs/${runId}/workflow`);
    expect(workflow).toMatchObject({ status: "cancelled", next_alarm_at: null });
    const events = await expectConsistentLog(runId, expect);
    expect(events.at(-1)?.type).toBe("run.cancelled");
    const { spans } = await getJson<{ spans: { status: string }[] }>(`/runs/${runId}/spans`);
    expect(spans.every((s) => s.status !== "running")).toBe(true);
  });
});

describe("tool results delivered to the run object", () => {
  it("records one outcome per request: a redelivery is a duplicate, an unknown request is unknown", async () => {
    const runId = await startRun({ message: "What is 9 * 9?" });
    const [request] = await dispatchedRequests(runId);
    const deliveries = await Promise.all(Array.from({ length: 5 }, () => deliver(runId, request!.request_id)));
    expect(deliveries.map((d) => d.status).sort()).toEqual(["duplicate", "duplicate", "duplicate", "duplicate", "recorded"]);
    expect(await runStub(runId).deliverToolResult({ request_id: "tr_01JN0SVCHREQVEST000000000", status: "completed", result: 1, cached: false, duration_ms: 1 })).toEqual({
      status: "unknown",
    });
    expect(await runStub(runId).deliverToolResult({ nonsense: true })).toEqual({ status: "unknown" });
    await waitForStatus(runId, ["completed"]);
    const events = await expectConsistentLog(runId, expect);
    expect(ofType(events, "tool.completed")).toHaveLength(1);
  });

  it("settles a call no executor took by its deadline: the executor runs it for the waiting run, once", async () => {
    const runId = await startRun({ message: "What is 10 / 4?" });
    // This project's executor consumes no Queue: no attempt claims the request before its deadline.
    const [request] = await dispatchedRequests(runId);
    // TOOL_WAIT_MS is 3 s in the tests.
    const state = await waitForStatus(runId, ["completed"], {}, 15_000);
    expect(state.output).toBe("10 / 4 = 2.5.");
    const events = await expectConsistentLog(runId, expect);
    expect(ofType(events, "tool.completed")).toHaveLength(1);
    expect(ofType(events, "tool.failed")).toHaveLength(0);
    // Recorded after the deadline it was dispatched with.
    const deadline = Date.parse((ofType(events, "tool.dispatched")[0]!.data as { deadline: string }).deadline);
    expect(Date.parse(ofType(events, "tool.completed")[0]!.ts)).toBeGreaterThanOrEqual(deadline);
    const record = await env.TOOLS.inspectRequest("dev", runId, request!.request_id);
    expect(record).toMatchObject({ attempts: 1, outcome: { status: "completed" } });
    expect(await deliver(runId, request!.request_id)).toEqual({ status: "duplicate" });
  });

  it("records failures, denials and server errors as outcomes the answer reports", async () => {
    const runId = await startRun({ message: "compute 1 / 0 and github.com/acme/widgets" });
    const requests = await dispatchedRequests(runId, 2);
    const [calc, repo] = [requests.find((r) => r.tool === "calculator.evaluate")!, requests.find((r) => r.tool === "github.get_repo")!];
    const stub = runStub(runId);
    expect(await stub.deliverToolResult({ request_id: calc.request_id, status: "failed", error: { code: "division_by_zero", message: "division by zero" }, retryable: false })).toEqual({
      status: "recorded",
    });
    expect(await stub.deliverToolResult({ request_id: repo.request_id, status: "server_error", server: "github", error: { code: "rate_limited", message: "GitHub rate limit reached" } })).toEqual({
      status: "recorded",
    });
    const state = await waitForStatus(runId, ["completed"]);
    expect(state.output).toContain("I could not get a result from calculator.evaluate: division by zero.");
    expect(state.output).toContain("I could not get a result from github.get_repo: GitHub rate limit reached.");
    expect(state.degraded).toBe(true);
    await expectConsistentLog(runId, expect);
  });
});
