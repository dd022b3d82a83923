/**
 * OpenAI's moderation endpoint as an input layer (OPENAI_API_KEY is set in this project): the real
 * `openai` SDK against the fake OpenAI-compatible server (test/node/fake-openai.ts), which flags a
 * text holding `[[moderation:<category>]]`. Whole runs through the api worker, and the adapter on
 * its own for the failures it must classify.
 */
import { describe, expect, inject, it } from "vitest";
import { createOpenAIModerator } from "../../src/adapters/openai/moderator";
import { StepError } from "../../src/engine/errors";
import { allEvents, startRun, waitForStatus, type RunEnvelope } from "../support/api";

const ofType = (events: RunEnvelope[], type: string) => events.filter((e) => e.type === type);

async function moderationRequests(spec: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${inject("fakeOpenAIUrl")}/__log/${encodeURIComponent(`moderation:${spec}`)}`);
  return ((await response.json()) as { requests: Record<string, unknown>[] }).requests;
}

async function chatRequests(spec: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${inject("fakeOpenAIUrl")}/__log/${encodeURIComponent(spec)}`);
  return ((await response.json()) as { requests: Record<string, unknown>[] }).requests;
}

describe("moderation in a run whose model is OpenAI", () => {
  it("refuses a message the moderation endpoint flags, before any model call", async () => {
    const message = "Describe it in detail [[moderation:violence]] [[fake:text@mod-flag]]";
    const runId = await startRun({ message });
    const state = await waitForStatus(runId, ["completed", "failed"], {}, 20_000);
    const events = await allEvents(runId);
    expect(state.status).toBe("completed");
    expect(ofType(events, "run.completed")[0]?.data).toMatchObject({ refused: true });
    expect(ofType(events, "guardrail.triggered")[0]?.data).toMatchObject({
      layer: "input",
      rule: "input.moderation.violence@omni-moderation-latest",
      action: "block",
    });
    expect(ofType(events, "model.started")).toEqual([]);
    expect(await chatRequests("text@mod-flag")).toEqual([]);
    const [request] = await moderationRequests("text@mod-flag");
    expect(request).toMatchObject({ model: "omni-moderation-latest", input: message });
  });

  it("lets a clean message through to planning and answering", async () => {
    const runId = await startRun({ message: "Tell me about the weather. [[fake:text@mod-clean]]" });
    const state = await waitForStatus(runId, ["completed", "failed"], {}, 20_000);
    expect(state.status).toBe("completed");
    expect(ofType(await allEvents(runId), "guardrail.triggered")).toEqual([]);
    expect(await moderationRequests("text@mod-clean")).toHaveLength(1);
    expect(await chatRequests("text@mod-clean")).toHaveLength(2);
  });

  it("retries a moderation call that failed with a 500, as a receive step retry", async () => {
    const runId = await startRun({ message: "Hello. [[fake:server_error_once@mod-500/moderation]]" });
    const state = await waitForStatus(runId, ["completed", "failed"], {}, 20_000);
    const events = await allEvents(runId);
    expect(state.status).toBe("completed");
    expect(ofType(events, "workflow.step.failed").map((e) => [e.data.step, (e.data.error as { code: string }).code, e.data.retryable])).toEqual([
      ["receive", "model_unavailable", true],
    ]);
    expect(await moderationRequests("server_error_once@mod-500/moderation")).toHaveLength(2);
  });
});

describe("the moderation adapter", () => {
  const base = (spec: string) => `${inject("fakeOpenAIUrl")}/s/${encodeURIComponent(spec)}/v1`;
  const signal = new AbortController().signal;

  it("reads the categories and the highest score of a flagged result", async () => {
    const moderator = createOpenAIModerator({ apiKey: "sk-test-mod", baseURL: base("text"), model: "omni-moderation-latest", timeoutMs: 3000, fetch });
    const result = await moderator.moderate({ text: "x [[moderation:self-harm/intent]] [[moderation:violence]]", signal });
    expect(result).toEqual({ flagged: true, categories: ["self-harm/intent", "violence"], score: 0.97, model: "omni-moderation-latest", provider: "openai" });
    expect((await moderator.moderate({ text: "a kind word", signal })).flagged).toBe(false);
  });

  it("classifies a rejected key as terminal and a rate limit as retryable", async () => {
    const bad = createOpenAIModerator({ apiKey: "not-a-test-key", baseURL: base("text"), model: "m", timeoutMs: 3000, fetch });
    const auth = await bad.moderate({ text: "hi", signal }).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(StepError);
    expect(auth).toMatchObject({ code: "model_auth", retryable: false });
    const limited = createOpenAIModerator({ apiKey: "sk-test-mod", baseURL: base("rate_limit/moderation"), model: "m", timeoutMs: 3000, fetch });
    expect(await limited.moderate({ text: "hi", signal }).catch((e: unknown) => e)).toMatchObject({ code: "model_rate_limited", retryable: true });
  });
});
