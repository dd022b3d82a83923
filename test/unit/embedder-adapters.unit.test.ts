import { describe, expect, it } from "vitest";
import { createEmbedder } from "../../src/adapters/embedder";
import { createWorkersAiEmbedder } from "../../src/adapters/workers-ai-embedder";
import type { AiEmbeddingRunner } from "../../src/adapters/workers-ai-embedder";
import { StepError } from "../../src/engine/errors";
import type { Embedder } from "../../src/engine/ports";

/** A fake of the `AI` binding's `run` for bge models: `{shape, data}`, one row per text. */
function fakeAi(dimensions: number, behaviour: "ok" | "throw" | "garbage" = "ok"): AiEmbeddingRunner & { calls: { model: string; texts: string[] }[] } {
  const calls: { model: string; texts: string[] }[] = [];
  return {
    calls,
    async run(model, inputs) {
      calls.push({ model, texts: inputs.text });
      if (behaviour === "throw") throw new Error("3040: Capacity temporarily exceeded");
      if (behaviour === "garbage") return { response: "not embeddings" };
      return { shape: [inputs.text.length, dimensions], data: inputs.text.map((t) => Array.from({ length: dimensions }, (_, i) => (t.length + i) % 7)) };
    },
  };
}

describe("Workers AI embedder", () => {
  it("embeds in batches of at most 100 and keeps the order", async () => {
    const ai = fakeAi(4);
    const embedder = createWorkersAiEmbedder(ai, { dimensions: 4 });
    const texts = Array.from({ length: 230 }, (_, i) => "x".repeat(i));
    const vectors = await embedder.embed(texts);
    expect(ai.calls.map((c) => c.texts.length)).toEqual([100, 100, 30]);
    expect(ai.calls[0]?.model).toBe("@cf/baai/bge-base-en-v1.5");
    expect(vectors).toHaveLength(230);
    expect(vectors[229]?.[0]).toBe(229 % 7);
    expect(embedder).toMatchObject({ id: "workers-ai:@cf/baai/bge-base-en-v1.5", dimensions: 4 });
  });

  it("classifies failures: a thrown binding error is retryable, a bad shape is terminal", async () => {
    const failing = createWorkersAiEmbedder(fakeAi(4, "throw"), { dimensions: 4 });
    await expect(failing.embed(["a"])).rejects.toMatchObject({ code: "embedder_unavailable", retryable: true });
    const garbage = createWorkersAiEmbedder(fakeAi(4, "garbage"), { dimensions: 4 });
    await expect(garbage.embed(["a"])).rejects.toMatchObject({ code: "embedder_invalid", retryable: false });
    const wrongDims = createWorkersAiEmbedder(fakeAi(3), { dimensions: 4 });
    await expect(wrongDims.embed(["a"])).rejects.toBeInstanceOf(StepError);
  });
});

describe("createEmbedder", () => {
  it("defaults to the local embedder", () => {
    expect(createEmbedder({}).id).toBe("local-ngram-v1-c3");
    expect(createEmbedder({ EMBEDDER: "local" }).dimensions).toBe(512);
  });

  it("uses Workers AI only when configured, and says what is missing", () => {
    expect(() => createEmbedder({ EMBEDDER: "workers-ai" })).toThrow(/needs an AI binding/);
    const e = createEmbedder({ EMBEDDER: "workers-ai", AI: fakeAi(384), WORKERS_AI_EMBEDDING_MODEL: "@cf/baai/bge-small-en-v1.5", WORKERS_AI_EMBEDDING_DIMENSIONS: "384" });
    expect(e).toMatchObject({ id: "workers-ai:@cf/baai/bge-small-en-v1.5", dimensions: 384 });
  });

  it("plugs in an OpenAI embedder from a provider, and rejects unknown names", () => {
    const openai: Embedder = { id: "openai:text-embedding-3-small", dimensions: 1536, embed: async () => [] };
    expect(() => createEmbedder({ EMBEDDER: "openai" }, {})).toThrow(/no OpenAI embedder/);
    expect(createEmbedder({ EMBEDDER: "openai", OPENAI_API_KEY: "k" }, { openai: () => openai })).toBe(openai);
    expect(() => createEmbedder({ EMBEDDER: "magic" })).toThrow(StepError);
  });
});
