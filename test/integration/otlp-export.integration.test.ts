/**
 * `GET /runs/{run_id}/trace?format=otlp` of real runs, checked against the official
 * opentelemetry-proto definitions (test/support/otlp-proto.ts): a run with a tool call the executor
 * reported, a run waiting for approval (in progress), a cancelled run. The same spans as `/spans`,
 * under the trace id of `/trace`.
 */
import { describe, expect, it } from "vitest";
import { getJson, postJson, startRun, waitFor, waitForStatus } from "../support/api";
import { otlpProblems } from "../support/otlp-proto";
import { dispatchedRequests, runStub } from "../support/runs";

interface OtlpDoc {
  resourceSpans: {
    resource: { attributes: { key: string; value: Record<string, unknown> }[] };
    scopeSpans: { spans: { traceId: string; spanId: string; name: string; kind: number; status: { code: number; message?: string }; attributes: { key: string; value: Record<string, unknown> }[] }[] }[];
  }[];
}

async function exported(runId: string) {
  const otlp = await getJson<OtlpDoc>(`/runs/${runId}/trace?format=otlp`);
  const { spans } = await getJson<{ spans: { span_id: string; name: string }[] }>(`/runs/${runId}/spans`);
  const { trace_id } = await getJson<{ trace_id: string }>(`/runs/${runId}/trace`);
  expect(otlpProblems(otlp as never), "valid against opentelemetry-proto").toEqual([]);
  const otlpSpans = otlp.resourceSpans[0]!.scopeSpans[0]!.spans;
  expect(otlpSpans.map((s) => s.name)).toEqual(spans.map((s) => s.name));
  expect(otlpSpans.every((s) => s.traceId === trace_id)).toBe(true);
  return Object.assign(otlpSpans, { document: otlp });
}

/** Ways to get OTLP/JSON wrong that a receiver would reject or misread: the check must see each one. */
const BREAKAGES: [string, (span: Record<string, unknown>) => void][] = [
  ["an enum as its name", (span) => void (span.kind = "SPAN_KIND_INTERNAL")],
  ["a time as a number", (span) => void (span.startTimeUnixNano = Number(span.startTimeUnixNano))],
  ["a time in milliseconds", (span) => void (span.endTimeUnixNano = String(Number(span.endTimeUnixNano) / 1e6))],
  ["a misspelt field", (span) => void (span.parent_span_id = span.parentSpanId)],
  ["a short span id", (span) => void (span.spanId = String(span.spanId).slice(2))],
  ["a base64 trace id", (span) => void (span.traceId = btoa(String(span.traceId)))],
  ["a status code outside the enum", (span) => void (span.status = { code: 7 })],
  ["an int attribute as a number", (span) => void ((span.attributes as { value: unknown }[]).push({ key: "x", value: { intValue: 3 } } as never))],
  ["a value type the proto lacks", (span) => void ((span.attributes as { value: unknown }[]).push({ key: "x", value: { textValue: "a" } } as never))],
];

const attr = (span: { attributes: { key: string; value: Record<string, unknown> }[] }, key: string) =>
  span.attributes.find((a) => a.key === key)?.value;

describe("the OTLP export of a real run", () => {
  it("is an ExportTraceServiceRequest by the proto, with GenAI model and tool spans", async () => {
    const runId = await startRun({ message: "What is 6 * 7?" });
    const [request] = await dispatchedRequests(runId);
    const now = Date.now();
    await runStub(runId).deliverToolResult({
      request_id: request!.request_id,
      status: "completed",
      result: { content: [{ type: "text", text: "42" }] },
      cached: false,
      duration_ms: 3,
      span: {
        name: "tool calculator.evaluate",
        start: new Date(now - 3).toISOString(),
        end: new Date(now).toISOString(),
        status: "ok",
        attributes: { "tool.request_id": request!.request_id, "tool.name": "calculator.evaluate", "tool.outcome": "completed", "tool.attempt": 1 },
      },
    });
    await waitForStatus(runId, ["completed"]);
    const spans = await exported(runId);
    const tool = spans.find((s) => s.name === "execute_tool calculator.evaluate")!;
    expect(tool.kind).toBe(1);
    expect(attr(tool, "gen_ai.tool.call.id")).toEqual({ stringValue: request!.request_id });
    const model = spans.find((s) => attr(s, "gen_ai.operation.name")?.stringValue === "chat")!;
    expect(model.name).toMatch(/^chat /);
    expect(model.kind).toBe(3);
    expect(attr(model, "gen_ai.usage.output_tokens")).toEqual({ intValue: expect.stringMatching(/^\d+$/) });
    expect(attr(model, "gen_ai.response.finish_reasons")).toEqual({ arrayValue: { values: [{ stringValue: "stop" }] } });
    expect(spans.every((s) => s.status.code === 0)).toBe(true);

    for (const [what, breakIt] of BREAKAGES) {
      const copy = structuredClone(spans.document);
      breakIt(copy.resourceSpans[0]!.scopeSpans[0]!.spans.find((s) => s.name === tool.name) as unknown as Record<string, unknown>);
      expect(otlpProblems(copy as never), what).not.toEqual([]);
    }
  });

  it("exports a run in progress with its open spans marked, and a cancelled run without errors", async () => {
    const runId = await startRun({ message: "remember: export me while I wait" });
    await waitFor(async () => {
      const wf = await getJson<{ status: string }>(`/runs/${runId}/workflow`);
      return wf.status === "waiting" ? wf : undefined;
    }, "the approval wait");
    const open = await exported(runId);
    expect(open.filter((s) => attr(s, "run_engine.span.in_progress")?.boolValue === true).map((s) => s.name).sort()).toEqual(["run", "step act", "wait approval"]);

    expect((await postJson(`/runs/${runId}/cancel`, {})).status).toBe(202);
    const cancelled = await exported(runId);
    expect(cancelled.some((s) => attr(s, "run_engine.span.in_progress") !== undefined)).toBe(false);
    expect(cancelled.every((s) => s.status.code === 0)).toBe(true);
    expect(attr(cancelled.find((s) => s.name === "run")!, "run_engine.cancelled")).toEqual({ boolValue: true });
  });
});
