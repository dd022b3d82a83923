/**
 * Durable tool effects, executor side, with real runs (POST /runs, approval), the real Queue, the
 * executor worker and its ledger, and the real notes store. A dead executor is played by leaving
 * its ledger exactly as a process killed at that instant leaves it (TEST_CALL_LEDGER is the
 * executor's own CallLedger namespace): a claim whose attempt vanished, or an outcome recorded and
 * never delivered. Each approved note must be saved exactly once and end in one `tool.completed`.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { runObjectName } from "../../../src/engine/ids";
import type { ToolOutcome, ToolRequestMessage } from "../../../src/engine/tool-protocol";
import type { CallLedger, LedgerRecord, RequestIds } from "../../../src/tools/ledger";
import { callServerTool } from "../../../src/tools/mcp-client";
import { REQUEST_ID_META } from "../../../src/tools/protocol-meta";
import { allEvents, getJson, postJson, startRun, waitFor, waitForStatus, type RunEnvelope } from "../../support/api";
import { builtinEndpoint } from "./helpers";

const RUN_TIMEOUT = 20_000;

type WorkflowView = { waiting: { reason: string } | null };

/** The ledger's record of a request (the RPC stub's type for it loses the outcome's `unknown` result). */
async function inspectLedger(ledger: DurableObjectStub<CallLedger>, requestId: string): Promise<LedgerRecord | null> {
  return (await ledger.inspect(requestId)) as unknown as LedgerRecord | null;
}
const notes = builtinEndpoint("notes", { "x-tenant-id": "dev" });

async function notesWith(text: string): Promise<{ id: string; text: string }[]> {
  const listed = await callServerTool(notes, "list", {}, { timeoutMs: 5_000 });
  return (listed.structured as { notes: { id: string; text: string }[] }).notes.filter((note) => note.text === text);
}

/** What the executor's first attempt does before it calls notes.save: the same call, same request id. */
async function saveAsTheFirstAttempt(requestId: string, text: string): Promise<ToolOutcome> {
  const saved = await callServerTool(notes, "save", { text }, { timeoutMs: 5_000, meta: { [REQUEST_ID_META]: requestId } });
  expect(saved.isError).toBe(false);
  return {
    request_id: requestId,
    status: "completed",
    result: { content: [{ type: "text", text: saved.text }], structuredContent: saved.structured ?? undefined },
    cached: false,
    duration_ms: 3,
  };
}

/** A note run waiting for its approval: the run, its request, and that request's ledger. */
async function noteRunAwaitingApproval(text: string) {
  const runId = await startRun({ message: `remember: ${text}` });
  const requested = await waitFor(async () => (await allEvents(runId)).find((event) => event.type === "approval.requested"), "approval.requested");
  const requestId = String(requested.data.request_id);
  const ids: RequestIds = { request_id: requestId, tenant_id: "dev", run_id: runId, tool: "notes.save" };
  const ledger = env.TEST_CALL_LEDGER.getByName(runObjectName("dev", runId));
  const approve = async () => expect((await postJson(`/runs/${runId}/approval`, { request_id: requestId, decision: "approve" })).status).toBe(202);
  return { runId, requestId, ids, ledger, approve };
}

function only(events: RunEnvelope[], type: string): RunEnvelope {
  const found = events.filter((event) => event.type === type);
  expect(found, `${type} events`).toHaveLength(1);
  return found[0] as RunEnvelope;
}

/** The message the run sent for the request, as it re-sends it: same request id, args and call_index, a later deadline. */
function resent(runId: string, requestId: string, text: string): ToolRequestMessage {
  const now = Date.now();
  return {
    v: 1,
    request_id: requestId,
    run_id: runId,
    tenant_id: "dev",
    user_id: "dev",
    scopes: ["admin"],
    tool: "notes.save",
    server: "notes",
    args: { text },
    call_index: 1,
    approval: "auto",
    approved: true,
    requested_at: new Date(now).toISOString(),
    deadline_at: new Date(now + 10_000).toISOString(),
  };
}

describe("an outcome whose delivery was lost", () => {
  it("is delivered by the ledger itself, and the run records it once", async () => {
    const text = `lost delivery ${crypto.randomUUID()}`;
    const { runId, requestId, ids, ledger, approve } = await noteRunAwaitingApproval(text);
    // The first attempt claims the request for a minute (so the run's own message waits behind
    // it), saves the note, records the outcome, and dies before delivering it.
    expect(await ledger.claim(ids, Date.now(), 60_000)).toMatchObject({ kind: "claimed", attempt: 1 });
    await approve();
    // The run dispatches the request; the executor finds it held and puts the message back for later.
    await waitFor(async () => ((await getJson<WorkflowView>(`/runs/${runId}/workflow`)).waiting?.reason === "tool" ? true : undefined), "the dispatch");
    await new Promise((resolve) => setTimeout(resolve, 750));
    await ledger.finish(ids, await saveAsTheFirstAttempt(requestId, text), Date.now());

    const state = await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    const events = await allEvents(runId);
    expect(only(events, "tool.completed").data).toMatchObject({ request_id: requestId, result: { structuredContent: { text } } });
    expect(events.some((event) => event.type === "tool.failed")).toBe(false);
    expect(state).toMatchObject({ status: "completed", degraded: false });
    const record = await inspectLedger(ledger, requestId);
    expect(record?.deliveries.map(({ status, via }) => ({ status, via }))).toEqual([{ status: "recorded", via: "ledger" }]);
    expect(record).toMatchObject({ attempts: 1, next_delivery_at: null, acknowledged_at: expect.any(Number) });
    expect(await notesWith(text)).toHaveLength(1);
  });

  it("is tried again, with backoff, when a delivery gets no answer (the run object crashed while it waited)", async () => {
    const text = `unanswered ${crypto.randomUUID()}`;
    const { runId, requestId, ids, ledger, approve } = await noteRunAwaitingApproval(text);
    await ledger.claim(ids, Date.now(), 60_000);
    await approve();
    await waitFor(async () => ((await getJson<WorkflowView>(`/runs/${runId}/workflow`)).waiting?.reason === "tool" ? true : undefined), "the dispatch");
    await ledger.finish(ids, await saveAsTheFirstAttempt(requestId, text), Date.now());
    // The run object stops taking calls, and crashes 0.9 s later: the ledger's first delivery
    // (due 0.5 s after the outcome) waits behind it and fails with it. (workerd logs the crash.)
    const runObject = env.RUN_OBJECT.getByName(runObjectName("dev", runId));
    const crashed = runInDurableObject(runObject, (_instance, state) =>
      state.blockConcurrencyWhile(async () => {
        // A timer inside a blocked object does not always fire in the test runtime; I/O does.
        await fetch(`${inject("githubApiBase")}/__delay?ms=900`);
        state.abort("the run object crashed (a test)");
      }),
    ).catch((error: unknown) => String(error));

    expect(await crashed).toContain("the run object crashed");
    const state = await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    expect(only(await allEvents(runId), "tool.completed").data).toMatchObject({ request_id: requestId, result: { structuredContent: { text } } });
    expect(state).toMatchObject({ status: "completed", degraded: false });
    const record = await inspectLedger(ledger, requestId);
    expect(record).toMatchObject({ failed_deliveries: 1, next_delivery_at: null });
    expect(record?.deliveries.map(({ status, via }) => ({ status, via }))).toEqual([{ status: "recorded", via: "ledger" }]);
    expect(await notesWith(text)).toHaveLength(1);
  });
});

describe("a re-sent request", () => {
  it("after its outcome was delivered: redelivered from the ledger, no second call, one note", async () => {
    const text = `re-sent after completion ${crypto.randomUUID()}`;
    const { runId, requestId, ledger, approve } = await noteRunAwaitingApproval(text);
    await approve();
    await waitForStatus(runId, ["completed"], {}, RUN_TIMEOUT);

    await env.TOOL_QUEUE.send(resent(runId, requestId, text));
    const record = await waitFor(async () => {
      const r = await inspectLedger(ledger, requestId);
      return r && r.deliveries.length >= 2 ? r : undefined;
    }, "the redelivery");
    expect(record.deliveries.map((d) => d.status)).toEqual(["recorded", "duplicate"]);
    expect(record.attempts).toBe(1);
    expect(only(await allEvents(runId), "tool.completed").data).toMatchObject({ request_id: requestId });
    expect(await notesWith(text)).toHaveLength(1);
  });

  it("after the first attempt died mid-call, having saved the note: the repeat returns that note, one note", async () => {
    const text = `died after the save ${crypto.randomUUID()}`;
    const { runId, requestId, ids, ledger, approve } = await noteRunAwaitingApproval(text);
    // The first attempt claims the request, saves the note, and dies before recording anything:
    // its lease runs out with no outcome.
    await ledger.claim(ids, Date.now(), 300);
    const first = await saveAsTheFirstAttempt(requestId, text);
    await approve();

    const state = await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    const completed = only(await allEvents(runId), "tool.completed");
    const note = (first.status === "completed" ? first.result : null) as { structuredContent: { id: string } };
    expect(completed.data).toMatchObject({ request_id: requestId, result: { structuredContent: { id: note.structuredContent.id, text } } });
    expect(state).toMatchObject({ status: "completed", degraded: false });
    expect(await notesWith(text)).toHaveLength(1);
    expect(await inspectLedger(ledger, requestId)).toMatchObject({ attempts: 2, outcome: { status: "completed" } });
  });

  it("after the first attempt died mid-call before saving: the repeat saves it, one note", async () => {
    const text = `died before the save ${crypto.randomUUID()}`;
    const { runId, requestId, ids, ledger, approve } = await noteRunAwaitingApproval(text);
    await ledger.claim(ids, Date.now(), 300);
    await approve();

    await waitForStatus(runId, ["completed", "failed"], {}, RUN_TIMEOUT);
    expect(only(await allEvents(runId), "tool.completed").data).toMatchObject({ request_id: requestId, result: { structuredContent: { text } } });
    expect(await notesWith(text)).toHaveLength(1);
    expect(await inspectLedger(ledger, requestId)).toMatchObject({ attempts: 2 });
  });
});
