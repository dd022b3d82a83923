/**
 * Replay against the recorded world, in plain Node: runs recorded with the engine's harness replay
 * to the same log event for event, whatever came from outside (tool outcomes, approvals, a cancel,
 * feedback, a provider's failure, a crash); a change to the engine shows as `replay.diverged` at the
 * first event it changes.
 */
import { describe, expect, it } from "vitest";
import { StepError } from "../../src/engine/errors";
import type { RunEvent } from "../../src/engine/events";
import { parseEvent } from "../../src/engine/events";
import { OfflineModel } from "../../src/engine/model/offline";
import type { ModelClient, ModelRequest, ModelResponse, Retriever } from "../../src/engine/ports";
import { replayInMemory } from "../../src/engine/replay/in-memory";
import { ArrayRecording } from "../../src/engine/replay/recording";
import { Harness } from "../support/engine-harness";

const face = (line: string) => {
  const { type, data } = JSON.parse(line) as RunEvent;
  return { type, data };
};

async function expectIdenticalReplay(h: Harness) {
  const recorded = h.rawLog();
  const recording = new ArrayRecording(recorded.map((line) => parseEvent(JSON.parse(line))));
  const replay = await replayInMemory(recording);
  expect(replay.diverged).toBeNull();
  expect(replay.identical).toBe(true);
  expect(replay.log.map(face)).toEqual(recorded.map(face));
  return replay;
}

const outcome = (requestId: string, value: number) => ({
  request_id: requestId,
  status: "completed" as const,
  result: { structuredContent: { value } },
  cached: false,
  duration_ms: 3,
});

/** A provider's model (not the offline one): fails its first generation call, then answers like the offline model. */
class ProviderModel implements ModelClient {
  readonly provider = "acme-ai";
  private failures = 1;
  private readonly inner = new OfflineModel();
  modelFor() {
    return "acme-1";
  }
  async complete(request: ModelRequest, onDelta?: (t: string) => void): Promise<ModelResponse> {
    if (request.capability === "planning") {
      const plan = { steps: ["answer the greeting"], needs_retrieval: false, tool_intents: [] };
      return { text: JSON.stringify(plan), toolCalls: [], usage: { input_tokens: 40, output_tokens: 12 }, finishReason: "stop", model: "acme-1", provider: this.provider };
    }
    if (request.capability === "generation" && this.failures-- > 0) {
      onDelta?.("Half an answer that breaks off\n");
      throw StepError.retryable("model_unavailable", "HTTP 503 from the provider", 1_500);
    }
    return { ...(await this.inner.complete(request, onDelta)), model: "acme-1", provider: this.provider };
  }
}

/** A provider's model whose answer leaks an API key: the output validator redacts it on the stream. */
class LeakyModel implements ModelClient {
  readonly provider = "acme-ai";
  modelFor() {
    return "acme-1";
  }
  async complete(request: ModelRequest, onDelta?: (t: string) => void): Promise<ModelResponse> {
    const usage = { input_tokens: 40, output_tokens: 12 };
    if (request.capability === "planning") {
      const plan = { steps: ["answer"], needs_retrieval: false, tool_intents: [] };
      return { text: JSON.stringify(plan), toolCalls: [], usage, finishReason: "stop", model: "acme-1", provider: this.provider };
    }
    const parts = ["Sure. The key is sk-proj-", "AbCdEfGhIjKlMnOpQrStUvWx12", " and that is all."];
    for (const part of parts) onDelta?.(part);
    return { text: parts.join(""), toolCalls: [], usage, finishReason: "stop", model: "acme-1", provider: this.provider };
  }
}

const retriever: Retriever = {
  count: async () => 3,
  search: async () => [{ id: "ck_1", text: "Ports: the engine listens on 8787 in dev.", score: 0.9, metadata: { title: "Ports" } }],
};

describe("replay", () => {
  it("reproduces a plain run and a tool run", async () => {
    const plain = new Harness();
    await plain.start({ message: "Hello, who are you?" });
    await expectIdenticalReplay(plain);

    const tool = new Harness();
    await tool.start({ message: "What is 12 * (3 + 4)?" });
    await tool.runtime.run("deliver", outcome(tool.dispatched[0]!.request_id, 84));
    await tool.settle();
    expect(tool.status()).toBe("completed");
    await expectIdenticalReplay(tool);
  });

  it("reproduces approvals (approved and rejected), a retrieval, feedback after the end", async () => {
    const approved = new Harness();
    await approved.start({ message: "remember: the door code is 4711" });
    const requestId = approved.store.state()!.tool_requests[0]!.request_id;
    await approved.runtime.run("approve", { request_id: requestId, decision: "approve", reason: "ok", user_id: "bob" });
    await approved.settle();
    await approved.runtime.run("deliver", { request_id: requestId, status: "completed", result: { saved: true }, cached: false, duration_ms: 2 });
    await approved.settle();
    await approved.runtime.run("feedback", { feedback_id: "fb_1", user_id: "ann", rating: "up", comment: null });
    expect(approved.types().slice(-2)).toEqual(["run.completed", "feedback.recorded"]);
    await expectIdenticalReplay(approved);

    const rejected = new Harness();
    await rejected.start({ message: "remember: nothing" });
    await rejected.runtime.run("approve", { request_id: rejected.store.state()!.tool_requests[0]!.request_id, decision: "reject", reason: "no", user_id: "bob" });
    await rejected.settle();
    await expectIdenticalReplay(rejected);

    const research = new Harness({ retriever });
    await research.start({ message: "Which port does the engine use?", mode: "research" });
    expect(research.types()).toContain("retrieval.completed");
    await expectIdenticalReplay(research);
  });

  it("reproduces a cancel, a call that never answered, and an expired approval", async () => {
    const cancelled = new Harness();
    await cancelled.start({ message: "What is 5 * 5?" });
    await cancelled.runtime.run("cancel", { user_id: "ann" });
    await expectIdenticalReplay(cancelled);

    const unanswered = new Harness({ config: { toolWaitMs: 5_000, toolResendMs: 1_000 } });
    await unanswered.start({ message: "What is 1 + 1?" });
    await unanswered.advance(5_000);
    expect(unanswered.types()).toContain("tool.failed");
    await expectIdenticalReplay(unanswered);

    const expired = new Harness({ config: { approvalTtlMs: 10_000 } });
    await expired.start({ message: "remember: later" });
    await expired.advance(10_000);
    expect(expired.status()).toBe("completed");
    await expectIdenticalReplay(expired);
  });

  it("reproduces a provider's failure, its backoff and retry, at no model cost", async () => {
    const h = new Harness({ model: new ProviderModel() });
    await h.start({ message: "Hello" });
    await h.advance(5_000);
    expect(h.status()).toBe("completed");
    expect(h.types()).toContain("workflow.step.retry_scheduled");
    const replay = await expectIdenticalReplay(h);
    expect(replay.log.some((line) => line.includes('"provider":"acme-ai"'))).toBe(true);
  });

  it("reproduces a run whose object crashed mid-answer and retried", async () => {
    let h: Harness | null = null;
    let crashed = false;
    h = new Harness({
      probe: {
        hit: (point) => {
          if (!crashed && point.at === "output.chunk" && point.index === 0) {
            crashed = true;
            h!.runtime.crash("test: the object dies after the first chunk");
          }
        },
      },
    });
    await h.start({ message: "Hello, who are you?" });
    await h.settle();
    expect(h.status()).toBe("completed");
    expect(h.events().some((e) => e.type === "workflow.step.failed" && e.data.error.code === "interrupted")).toBe(true);
    expect(h.types()).toContain("output.reset");
    await expectIdenticalReplay(h);
  });

  it("reproduces the output validator's redaction of an answer it never stored", async () => {
    const h = new Harness({ model: new LeakyModel() });
    await h.start({ message: "Hello" });
    await h.settle();
    expect(h.status()).toBe("completed");
    const types = h.types();
    expect(types.indexOf("guardrail.triggered")).toBe(types.indexOf("output.chunk") - 1);
    expect(h.rawLog().join("\n")).not.toContain("AbCdEfGhIjKlMnOpQrStUvWx12");
    const replay = await expectIdenticalReplay(h);
    expect(replay.log.some((line) => line.includes('"layer":"output"'))).toBe(true);
  });

  it("reports replay.diverged at the first event a changed engine writes differently", async () => {
    const h = new Harness();
    await h.start({ message: "Hello, who are you?" });
    const recorded = h.rawLog();
    const recording = new ArrayRecording(recorded.map((line) => parseEvent(JSON.parse(line))));
    const changed = new OfflineModel();
    const original = changed.complete.bind(changed);
    changed.complete = async (request, onDelta) => {
      // The changed engine says one word more, at the start of its answer.
      let first = true;
      const response = await original(request, (text) => {
        onDelta?.(first ? `Changed: ${text}` : text);
        first = false;
      });
      return { ...response, text: `Changed: ${response.text}` };
    };
    const replay = await replayInMemory(recording, { offline: changed });
    const firstChunk = recorded.map(face).findIndex((e) => e.type === "output.chunk") + 1;
    expect(replay.identical).toBe(false);
    expect(replay.diverged?.seq).toBe(firstChunk);
    expect(replay.diverged?.expected).toEqual(face(recorded[firstChunk - 1]!));
    expect(replay.diverged?.actual).toMatchObject({ type: "output.chunk" });
    const tail = replay.log.slice(-2).map(face);
    expect(tail.map((e) => e.type)).toEqual(["replay.diverged", "run.failed"]);
    expect(tail[1]!.data).toMatchObject({ error: { code: "replay_diverged" } });
  });
});
