/**
 * Whole runs with the OpenAI adapter as the model: the run object, its alarm-driven workflow and
 * the real `openai` SDK streaming from the fake OpenAI-compatible server (project `openai` in
 * vitest.config.ts sets OPENAI_API_KEY and OPENAI_BASE_URL). The fake's behaviour for one run is
 * chosen by a `[[fake:<scenario>@<key>/<target>]]` marker in the run's message; `/answer` limits
 * it to the generation call, so the plan step is unaffected.
 */
import { describe, expect, inject, it } from "vitest";
import { allEvents, startRun, types, waitForStatus, type RunEnvelope } from "../support/api";

const ANSWER = "Here is the answer from the fake model.";

function ofType(events: RunEnvelope[], type: string): RunEnvelope[] {
  return events.filter((event) => event.type === type);
}

async function finishedRun(message: string, statuses = ["completed", "failed"]) {
  const runId = await startRun({ message });
  const state = await waitForStatus(runId, statuses, {}, 20_000);
  return { runId, state, events: await allEvents(runId) };
}

/** The output chunks that count: those of the last output attempt. */
function finalChunks(events: RunEnvelope[]): string {
  const chunks = ofType(events, "output.chunk");
  const last = Math.max(...chunks.map((chunk) => Number(chunk.data.attempt)));
  return chunks
    .filter((chunk) => chunk.data.attempt === last)
    .map((chunk) => String(chunk.data.text))
    .join("");
}

async function requestsFor(spec: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${inject("fakeOpenAIUrl")}/__log/${encodeURIComponent(spec)}`);
  const body: { requests: Record<string, unknown>[] } = await response.json();
  return body.requests;
}

describe("a run whose model is OpenAI", () => {
  it("plans and answers through the model, streaming output.chunk, with usage on model.completed", async () => {
    const { state, events } = await finishedRun("Tell me something. [[fake:text@e2e-happy]]");
    expect(state.status).toBe("completed");

    const started = ofType(events, "model.started").map((e) => e.data);
    expect(started).toEqual([
      { capability: "planning", model: "fake-planner", provider: "openai" },
      { capability: "generation", model: "fake-writer", provider: "openai" },
    ]);
    const completed = ofType(events, "model.completed").map((e) => e.data);
    expect(completed).toHaveLength(2);
    for (const data of completed) {
      expect(data).toMatchObject({ provider: "openai", finish_reason: "stop" });
      expect((data.usage as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    }
    // The fake counts one completion token per streamed delta: four for the answer.
    expect(completed[1]).toMatchObject({ capability: "generation", model: "fake-writer", usage: { output_tokens: 4 } });
    expect(ofType(events, "plan.created")[0]?.data).toMatchObject({ source: "model", steps: ["answer the question"] });

    expect(ofType(events, "output.chunk").length).toBeGreaterThan(0);
    expect(finalChunks(events)).toBe(ANSWER);
    expect(ofType(events, "output.completed").map((e) => e.data.text)).toEqual([ANSWER]);
    expect(ofType(events, "run.completed")[0]?.data).toMatchObject({ output: ANSWER });
    expect(state.output).toBe(ANSWER);

    // The SDK really streamed, asking for usage; the plan was asked for as structured output.
    const [planRequest, answerRequest] = await requestsFor("text@e2e-happy");
    expect(planRequest).toMatchObject({ model: "fake-planner", stream: true, response_format: { type: "json_schema" } });
    expect(answerRequest).toMatchObject({ model: "fake-writer", stream: true, stream_options: { include_usage: true } });
  });

  it("a 429 is retried after the provider's retry-after, as workflow.step.retry_scheduled", async () => {
    const { state, events } = await finishedRun("Slow down. [[fake:rate_limit_once@e2e-429/answer]]");
    expect(state.status).toBe("completed");
    expect(ofType(events, "workflow.step.failed").map((e) => e.data)).toEqual([
      {
        step: "respond",
        attempt: 1,
        error: { code: "model_rate_limited", message: "the model provider is rate limiting requests (HTTP 429)" },
        retryable: true,
      },
    ]);
    const [scheduled] = ofType(events, "workflow.step.retry_scheduled");
    expect(scheduled?.data).toMatchObject({ step: "respond", attempt: 2 });
    // The fake said retry-after: 2 s; the engine caps a provider's hint at 4 × RETRY_MAX_MS
    // (1.6 s here), far above its own backoff for a second attempt (at most 40 ms).
    expect(scheduled?.data.backoff_ms).toBeGreaterThanOrEqual(1_600);
    expect(scheduled?.data.backoff_ms).toBeLessThanOrEqual(2_000);
    expect(ofType(events, "output.completed").map((e) => e.data.text)).toEqual([ANSWER]);
    expect(state.output).toBe(ANSWER);
  });

  it("a stream broken mid-answer is retried with output.reset and no duplicated output", async () => {
    const { state, events } = await finishedRun("Break it. [[fake:broken_stream_once@e2e-broken/answer]]");
    expect(state.status).toBe("completed");
    const order = types(events);

    const failed = ofType(events, "workflow.step.failed");
    expect(failed.map((e) => [e.data.step, (e.data.error as { code: string }).code, e.data.retryable])).toEqual([
      ["respond", "model_stream_broken", true],
    ]);
    // The first attempt showed part of the answer before the stream broke...
    const firstChunks = ofType(events, "output.chunk").filter((e) => e.data.attempt === 1);
    expect(firstChunks.length).toBeGreaterThan(0);
    expect(ANSWER.startsWith(firstChunks.map((e) => String(e.data.text)).join(""))).toBe(true);
    expect(order.indexOf("output.chunk")).toBeLessThan(order.indexOf("workflow.step.failed"));
    // ...so the retry first says those chunks no longer count, then streams the whole answer once.
    const resets = ofType(events, "output.reset");
    expect(resets).toHaveLength(1);
    expect(resets[0]?.data).toMatchObject({ attempt: 2 });
    expect(order.indexOf("output.reset")).toBeGreaterThan(order.indexOf("workflow.step.retry_scheduled"));
    expect(finalChunks(events)).toBe(ANSWER);
    expect(ofType(events, "output.completed").map((e) => e.data.text)).toEqual([ANSWER]);
    expect(state.output).toBe(ANSWER);
  });

  it("a call that times out is retried", async () => {
    const { state, events } = await finishedRun("Take your time. [[fake:slow_headers_once@e2e-timeout/answer]]");
    expect(state.status).toBe("completed");
    expect(ofType(events, "workflow.step.failed").map((e) => (e.data.error as { code: string }).code)).toEqual(["model_timeout"]);
    expect(state.output).toBe(ANSWER);
  });

  it("a rejected API key ends the run at once in a clear run.failed", async () => {
    const { state, events } = await finishedRun("Who am I? [[fake:bad_key@e2e-auth]]");
    expect(state.status).toBe("failed");
    const [failure] = ofType(events, "run.failed");
    expect(failure?.data.error).toMatchObject({ code: "model_auth" });
    expect(String((failure?.data.error as { message: string }).message)).toContain("OPENAI_API_KEY");
    expect(ofType(events, "workflow.step.failed").map((e) => [e.data.step, e.data.retryable])).toEqual([["plan", false]]);
    expect(ofType(events, "workflow.step.retry_scheduled")).toEqual([]);
    expect(ofType(events, "output.chunk")).toEqual([]);
    expect(await requestsFor("bad_key@e2e-auth")).toHaveLength(1);
  });
});
