import { describe, expect, it } from "vitest";
import { allEvents, api, getJson, postJson, startRun, types, waitFor, waitForStatus } from "../support/api";
import { calculatorResult, deliver, dispatchedRequests, expectConsistentLog, ofType, runStub } from "../support/runs";

describe("a run, start to finish, in a real run object", () => {
  it("answers a plain message: every step, streamed output, run.completed last", async () => {
    const runId = await startRun({ message: "Hello, who are you?" });
    const state = await waitForStatus(runId, ["completed"]);
    const events = await expectConsistentLog(runId, expect);
    const steps = ofType(events, "workflow.step.started").map((e) => e.data.step);
    expect(steps).toEqual(["receive", "plan", "retrieve", "act", "respond", "verify", "finalize"]);
    expect(events.at(-1)?.type).toBe("run.completed");
    const chunks = ofType(events, "output.chunk").map((e) => e.data.text).join("");
    expect(chunks).toBe(ofType(events, "output.completed")[0]?.data.text);
    expect(state.output).toBe(chunks);
    expect(events.every((e) => e.run_id === runId)).toBe(true);
    const workflow = await getJson<{ status: string; steps: { status: string; attempts: number }[] }>(`/runs/${runId}/workflow`);
    expect(workflow.status).toBe("completed");
    expect(workflow.steps.map((s) => [s.status, s.attempts])).toEqual(Array(7).fill(["completed", 1]));
  });

  it("calls the calculator through the tool port and answers with its result", async () => {
    const runId = await startRun({ message: "What is 12 * (3 + 4)?" });
    const [request] = await dispatchedRequests(runId);
    expect(request).toMatchObject({ tool: "calculator.evaluate", args: { expression: "12 * (3 + 4)" } });
    expect(await getJson(`/runs/${runId}/workflow`)).toMatchObject({ status: "waiting", waiting: { reason: "tool" } });
    expect(await deliver(runId, request!.request_id, calculatorResult(84))).toEqual({ status: "recorded" });
    const state = await waitForStatus(runId, ["completed"]);
    expect(state.output).toBe("12 * (3 + 4) = 84.");
    const events = await expectConsistentLog(runId, expect);
    expect(types(events)).toEqual(expect.arrayContaining(["plan.created", "tool.requested", "workflow.waiting", "tool.completed", "workflow.resumed"]));
  });

  it("denies a tool outside the caller's scopes visibly and still answers", async () => {
    const runId = await startRun({ message: "What about github.com/cloudflare/workers-sdk?" });
    // Dev mode has every scope, so this run dispatches; a scoped caller is covered in the unit tests.
    const [request] = await dispatchedRequests(runId);
    expect(request?.tool).toBe("github.get_repo");
    await runStub(runId).deliverToolResult({ request_id: request!.request_id, status: "denied", reason: "the github server is not reachable" });
    const state = await waitForStatus(runId, ["completed"]);
    expect(state.output).toContain("I did not use github.get_repo");
    await expectConsistentLog(runId, expect);
  });

  it("lists the tenant's runs newest first, page by page", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await startRun({ message: `list me ${i}` }));
    // The index is written in the background, a few milliseconds after each 201.
    await waitFor(async () => {
      const { runs } = await getJson<{ runs: { run_id: string }[] }>("/runs?limit=100");
      return ids.every((id) => runs.some((r) => r.run_id === id)) ? true : undefined;
    }, "the five runs in the index");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: { run_id: string; created_at: string; message_preview: string; status: string }[]; next_cursor: string | null } =
        await getJson(`/runs?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.run_id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    const mine = seen.filter((id) => ids.includes(id));
    expect(mine).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("records feedback on the run, after its end, without touching the live stream's end", async () => {
    const runId = await startRun({ message: "rate me" });
    await waitForStatus(runId, ["completed"]);
    const response = await postJson("/feedback", { run_id: runId, rating: "up", comment: "nice" });
    expect(response.status).toBe(201);
    const { feedback_id } = (await response.json()) as { feedback_id: string };
    const events = await expectConsistentLog(runId, expect);
    expect(events.at(-1)).toMatchObject({ type: "feedback.recorded", data: { feedback_id, rating: "up" } });
    expect(events.at(-2)?.type).toBe("run.completed");
    expect((await getJson<{ feedback: unknown[] }>(`/runs/${runId}/state`)).feedback).toEqual([{ feedback_id, rating: "up" }]);
  });

  it("keeps a trace: a span tree under the run, and the same spans as OTLP/JSON", async () => {
    const runId = await startRun({ message: "trace me" });
    await waitForStatus(runId, ["completed"]);
    const trace = await getJson<{ trace_id: string; status: string; duration_ms: number; spans: { kind: string; children: { kind: string; name: string }[] }[] }>(
      `/runs/${runId}/trace`,
    );
    expect(trace.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.status).toBe("completed");
    expect(trace.spans).toHaveLength(1);
    expect(trace.spans[0]?.kind).toBe("run");
    // The input guardrail runs when the run starts, before its first step.
    expect(trace.spans[0]?.children.map((c) => c.name)).toEqual([
      "guardrail input", "step receive", "step plan", "step retrieve", "step act", "step respond", "step verify", "step finalize",
    ]);
    const { spans } = await getJson<{ spans: { span_id: string; status: string; start: string }[] }>(`/runs/${runId}/spans`);
    expect(spans.every((s) => s.status === "ok")).toBe(true);
    expect([...spans].sort((a, b) => a.start.localeCompare(b.start)).map((s) => s.start)).toEqual(spans.map((s) => s.start));
    const otlp = await getJson<{ resourceSpans: { scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId: string; startTimeUnixNano: string }[] }[] }[] }>(
      `/runs/${runId}/trace?format=otlp`,
    );
    const otlpSpans = otlp.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(otlpSpans).toHaveLength(spans.length);
    expect(otlpSpans.every((s) => s.traceId === trace.trace_id && /^[0-9a-f]{16}$/.test(s.spanId))).toBe(true);
    expect(otlpSpans.filter((s) => s.parentSpanId === "")).toHaveLength(1);
  });

  it("detects a tampered log through the hash chain", async () => {
    const runId = await startRun({ message: "chain me" });
    await waitForStatus(runId, ["completed"]);
    expect((await getJson<{ valid: boolean }>(`/runs/${runId}/verify`)).valid).toBe(true);
    const { runInDurableObject } = await import("cloudflare:test");
    await runInDurableObject(runStub(runId), (_instance, state) => {
      state.storage.sql.exec("UPDATE events SET json = replace(json, 'chain me', 'chain you') WHERE seq = 1");
    });
    expect(await getJson(`/runs/${runId}/verify`)).toMatchObject({ valid: false, first_bad_seq: 1 });
  });

  it("pages large logs with format=json and says when the page reaches the end of an ended run", async () => {
    const runId = await startRun({ message: "page me" });
    await waitForStatus(runId, ["completed"]);
    const all = await allEvents(runId);
    const first = await getJson<{ events: { seq: number }[]; next_after: number; done: boolean }>(`/runs/${runId}/events?format=json&limit=10`);
    expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first).toMatchObject({ next_after: 10, done: false });
    const last = await getJson<{ events: unknown[]; done: boolean }>(`/runs/${runId}/events?format=json&after=${all.length - 3}`);
    expect(last).toMatchObject({ done: true });
    expect(last.events).toHaveLength(3);
    const empty = await api(`/runs/${runId}/events?format=json&after=${all.length + 10}`);
    expect(await empty.json()).toMatchObject({ events: [], done: true });
  });
});
