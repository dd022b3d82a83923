/**
 * The run's spans as an OpenTelemetry back end reads them: GenAI semantic conventions on model and
 * tool spans, errors with a type and a message, a cancelled run that is not an error, a run in
 * progress whose open spans are exported as open, a span for every tool call (rejected, denied,
 * expired included), and no fact under two names. Runs are real runs of the engine, in memory.
 */
import { describe, expect, it } from "vitest";
import { StepError } from "../../src/engine/errors";
import { OfflineModel } from "../../src/engine/model/offline";
import type { ModelClient, ModelRequest, ModelResponse } from "../../src/engine/ports";
import { OtlpTraceExport, toOtlp } from "../../src/engine/otlp";
import type { OtlpSpan } from "../../src/engine/otlp";
import type { Span } from "../../src/engine/trace";
import { Harness, T0 } from "../support/engine-harness";

/** The attribute keys of the semantic conventions this engine writes; the rest must be `run_engine.*`. */
const CONVENTION_KEYS = new Set([
  "gen_ai.operation.name",
  "gen_ai.provider.name",
  "gen_ai.request.model",
  "gen_ai.response.model",
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.output_tokens",
  "gen_ai.response.finish_reasons",
  "gen_ai.tool.name",
  "gen_ai.tool.call.id",
  "gen_ai.tool.type",
  "gen_ai.data_source.id",
  "gen_ai.request.top_k",
  "gen_ai.conversation.id",
  "error.type",
  "error.message",
]);

class FailingModel implements ModelClient {
  readonly provider = "openai";
  constructor(private readonly error: Error) {}
  modelFor(): string {
    return "gpt-4o-mini";
  }
  async complete(_request: ModelRequest): Promise<ModelResponse> {
    throw this.error;
  }
}

const otlpSpans = (h: Harness, now = new Date(h.clock.now()).toISOString()): OtlpSpan[] => {
  const exported = OtlpTraceExport.parse(toOtlp("run_01JTESTRVN0000000000000000", "acme", h.store.spans(), now));
  return exported.resourceSpans[0]!.scopeSpans[0]!.spans;
};
const attrs = (span: OtlpSpan) => Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
const byKind = (h: Harness, kind: Span["kind"]) => h.store.spans().filter((s) => s.kind === kind);

function expectOneNamePerFact(spans: readonly Span[]): void {
  for (const span of spans) {
    for (const key of Object.keys(span.attributes)) {
      expect(CONVENTION_KEYS.has(key) || key.startsWith("run_engine."), `${span.name}: ${key}`).toBe(true);
    }
  }
}

describe("spans by the OpenTelemetry GenAI semantic conventions", () => {
  it("names a model call `chat <model>` and puts usage and finish reason on its span", async () => {
    const h = new Harness();
    await h.start({ message: "Hello, who are you?" });
    const completed = h.events().find((e) => e.type === "model.completed")!.data as {
      model: string;
      usage: { input_tokens: number; output_tokens: number };
      finish_reason: string;
    };
    const [model] = byKind(h, "model");
    expect(model).toMatchObject({
      name: `chat ${completed.model}`,
      status: "ok",
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "offline",
        "gen_ai.request.model": completed.model,
        "gen_ai.response.model": completed.model,
        "gen_ai.usage.input_tokens": completed.usage.input_tokens,
        "gen_ai.usage.output_tokens": completed.usage.output_tokens,
        "gen_ai.response.finish_reasons": [completed.finish_reason],
        "run_engine.model.capability": "generation",
      },
    });
    const exported = otlpSpans(h).find((s) => s.name === model!.name)!;
    expect(exported.kind).toBe(3);
    expect(attrs(exported)["gen_ai.usage.input_tokens"]).toBe(String(completed.usage.input_tokens));
    expectOneNamePerFact(h.store.spans());
  });

  it("gives a failed model call error.type and a status message, and the failed run too", async () => {
    const h = new Harness({ model: new FailingModel(StepError.terminal("model_auth", "the provider refused the API key")) });
    await h.start({ message: "Hello" });
    expect(h.status()).toBe("failed");
    const [model] = byKind(h, "model");
    expect(model).toMatchObject({
      name: "chat gpt-4o-mini",
      status: "error",
      attributes: { "error.type": "model_auth", "error.message": "the provider refused the API key", "gen_ai.provider.name": "openai" },
    });
    const spans = otlpSpans(h);
    const run = spans.find((s) => s.name === "run")!;
    expect(run.status).toEqual({ code: 2, message: "the provider refused the API key" });
    expect(attrs(run)["error.type"]).toBe("model_auth");
    // The message is the status message, not an attribute as well.
    expect(spans.every((s) => s.attributes.every((a) => a.key !== "error.message"))).toBe(true);
    expect(spans.filter((s) => s.status.code === 2).every((s) => typeof s.status.message === "string")).toBe(true);
  });

  it("names a tool call `execute_tool <tool>` (INTERNAL), from the executor's span, with no attribute twice", async () => {
    const h = new Harness();
    await h.start({ message: "What is 12 * (3 + 4)?" });
    const requestId = h.dispatched[0]!.request_id;
    await h.runtime.run("deliver", {
      request_id: requestId,
      status: "failed",
      error: { code: "tool_timeout", message: "calculator.evaluate did not answer within 5000 ms" },
      retryable: false,
      span: {
        name: "tool calculator.evaluate",
        start: new Date(T0).toISOString(),
        end: new Date(T0 + 7).toISOString(),
        status: "error",
        attributes: {
          "tool.request_id": requestId,
          "tool.name": "calculator.evaluate",
          "tool.server": "calculator",
          "tool.attempt": 1,
          "tool.outcome": "failed",
          "error.code": "tool_timeout",
          tenant_id: "acme",
          run_id: "run_01JTESTRVN0000000000000000",
          "tool.shard": 3,
        },
      },
    });
    await h.settle();
    const [tool] = byKind(h, "tool");
    expect(tool).toEqual({
      span_id: expect.any(String),
      parent_span_id: expect.any(String),
      name: "execute_tool calculator.evaluate",
      kind: "tool",
      start: new Date(T0).toISOString(),
      end: new Date(T0 + 7).toISOString(),
      duration_ms: 7,
      status: "error",
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "calculator.evaluate",
        "gen_ai.tool.call.id": requestId,
        "gen_ai.tool.type": "extension",
        "run_engine.tool.server": "calculator",
        "run_engine.tool.attempt": 1,
        "run_engine.tool.outcome": "failed",
        "run_engine.tool.executor.tool.shard": 3,
        "error.type": "tool_timeout",
        "error.message": "calculator.evaluate did not answer within 5000 ms",
      },
    });
    expect(otlpSpans(h).find((s) => s.name === tool!.name)?.kind).toBe(1);
    expect(h.events().find((e) => e.type === "tool.failed")?.span_id).toBe(tool!.span_id);
    expectOneNamePerFact(h.store.spans());
  });

  it("gives a rejected, a denied and an expired tool call each its span, in error", async () => {
    const rejected = new Harness();
    await rejected.start({ message: "remember: nothing" });
    const requestId = rejected.store.state()!.tool_requests[0]!.request_id;
    await rejected.runtime.run("approve", { request_id: requestId, decision: "reject", reason: "no", user_id: "bob" });
    await rejected.settle();
    expect(byKind(rejected, "tool")).toEqual([
      expect.objectContaining({
        name: "execute_tool notes.save",
        status: "error",
        duration_ms: 0,
        attributes: expect.objectContaining({ "gen_ai.tool.call.id": requestId, "error.type": "rejected", "error.message": "rejected by bob: no" }),
      }),
    ]);
    const wait = rejected.store.spans().find((s) => s.kind === "wait")!;
    expect(byKind(rejected, "tool")[0]!.parent_span_id).toBe(wait.span_id);

    const denied = new Harness();
    await denied.start({ message: "about github.com/acme/shop", scopes: ["runs:write"] });
    expect(byKind(denied, "tool")).toEqual([
      expect.objectContaining({
        name: "execute_tool github.get_repo",
        status: "error",
        attributes: expect.objectContaining({ "error.type": "missing_scope", "error.message": "the caller lacks the scope tools:github" }),
      }),
    ]);

    const expired = new Harness({ config: { approvalTtlMs: 10_000 } });
    await expired.start({ message: "remember: later" });
    await expired.advance(10_000);
    expect(byKind(expired, "tool")).toEqual([
      expect.objectContaining({ name: "execute_tool notes.save", status: "error", attributes: expect.objectContaining({ "error.type": "approval_expired" }) }),
    ]);
    for (const h of [rejected, denied, expired]) {
      const denial = h.events().find((e) => e.type === "tool.denied")!;
      expect(denial.span_id).toBe(byKind(h, "tool")[0]!.span_id);
      expectOneNamePerFact(h.store.spans());
    }
  });

  it("does not make a cancelled run an error", async () => {
    const h = new Harness();
    await h.start({ message: "What is 5 * 5?" });
    await h.runtime.run("cancel", { user_id: "ann" });
    const closedByCancel = h.store.spans().filter((s) => s.attributes["run_engine.cancelled"] === true);
    expect(closedByCancel.map((s) => s.kind).sort()).toEqual(["run", "step", "wait"]);
    expect(h.store.spans().every((s) => s.status === "ok")).toBe(true);
    const spans = otlpSpans(h);
    expect(spans.every((s) => s.status.code === 0)).toBe(true);
    expect(attrs(spans.find((s) => s.name === "run")!)["run_engine.cancelled"]).toBe(true);
  });

  it("exports a run in progress with its open spans marked in progress, ending at the export", async () => {
    const h = new Harness();
    await h.start({ message: "remember: the door code is 4711" });
    expect(h.status()).toBe("waiting");
    const open = h.store.spans().filter((s) => s.end === null);
    expect(open.map((s) => s.kind).sort()).toEqual(["run", "step", "wait"]);
    const exportedAt = new Date(T0 + 1234).toISOString();
    const spans = otlpSpans(h, exportedAt);
    for (const span of spans) {
      const isOpen = open.some((s) => s.name === span.name);
      expect(attrs(span)["run_engine.span.in_progress"], span.name).toBe(isOpen ? true : undefined);
      if (isOpen) {
        expect(span.endTimeUnixNano).toBe(String(BigInt(T0 + 1234) * 1_000_000n));
        expect(span.status.code).toBe(0);
      }
    }
    const completed = new Harness();
    await completed.start({ message: "Hello" });
    expect(otlpSpans(completed).some((s) => attrs(s)["run_engine.span.in_progress"] !== undefined)).toBe(false);
  });

  it("keeps every attribute key unique in the export, ids in hex, times in nanoseconds", async () => {
    const h = new Harness({ model: new OfflineModel() });
    await h.start({ message: "What is 1 + 2?" });
    await h.runtime.run("deliver", { request_id: h.dispatched[0]!.request_id, status: "completed", result: 3, cached: false, duration_ms: 1 });
    await h.settle();
    const spans = otlpSpans(h);
    expect(spans.length).toBe(h.store.spans().length);
    for (const span of spans) {
      const keys = span.attributes.map((a) => a.key);
      expect(new Set(keys).size, span.name).toBe(keys.length);
      expect(attrs(span)["run_engine.run_id"]).toBe("run_01JTESTRVN0000000000000000");
    }
    const stored = h.store.spans();
    expect(spans.map((s) => s.startTimeUnixNano)).toEqual(stored.map((s) => String(BigInt(Date.parse(s.start)) * 1_000_000n)));
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
    expect(spans.filter((s) => s.parentSpanId === "").map((s) => s.name)).toEqual(["run"]);
  });
});
