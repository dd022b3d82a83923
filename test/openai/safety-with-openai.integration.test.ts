/**
 * Safety layers that need the OpenAI adapter (OPENAI_API_KEY is set in this project): moderation
 * as an input layer, and the approval of a tool call whose arguments a model wrote. The real
 * `openai` SDK talks to the fake OpenAI-compatible server (test/node/fake-openai.ts), which flags a
 * text holding `[[moderation:<category>]]` and, under `plan_note_bidi`, plans a note whose text
 * hides a bidi override. Whole runs through the api worker, and the moderation adapter on its own
 * for the failures it must classify.
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

describe("a plan whose tool arguments hide characters", () => {
  it("reaches the approver with bidi and zero-width warnings and the arguments escaped", async () => {
    const runId = await startRun({ message: "Save a note about the invoice. [[fake:plan_note_bidi@bidi-args/plan]]" });
    await waitForStatus(runId, ["waiting"], {}, 20_000);
    const approval = ofType(await allEvents(runId), "approval.requested")[0]!.data as {
      args: { text: string };
      args_escaped: string;
      warnings: { code: string; message: string }[];
    };
    expect(approval.args.text).toBe("pay ann\u202Eexe.gnp\u202C to\u200bday");
    expect(approval.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(["bidi_characters", "hidden_characters"]));
    expect(approval.warnings.find((w) => w.code === "bidi_characters")?.message).toContain("args.text");
    expect(approval.args_escaped).toContain("\\u202E");
    expect(approval.args_escaped).not.toMatch(/[\u202A-\u202E\u200B]/);
  });
});
