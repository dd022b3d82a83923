/**
 * The OpenAI `Embedder` against the fake server: the real SDK's embeddings call, batching, order
 * by `index` (the fake answers in reverse on purpose), dimension checks and error classification.
 */
import { fakeRequestsFor, stepError } from "../support/model-fixtures";
import { describe, expect, inject, it } from "vitest";
import { StepError } from "../../src/engine/errors";
import { createOpenAIEmbedder, type OpenAIEmbedderOptions } from "../../src/adapters/openai/embedder";

const origin = inject("fakeOpenAIUrl");

function embedder(spec: string, options: Partial<OpenAIEmbedderOptions> = {}) {
  return createOpenAIEmbedder({
    apiKey: "sk-test-embed",
    baseURL: `${origin}/s/${encodeURIComponent(spec)}/v1`,
    fetch: (input, init) => fetch(input, init),
    ...options,
  });
}

const requestsFor = fakeRequestsFor;


describe("OpenAI embedder", () => {
  it("names itself by model and knows the model's native dimension", () => {
    const small = embedder("text@id");
    expect(small.id).toBe("openai:text-embedding-3-small");
    expect(small.dimensions).toBe(1536);
    expect(embedder("text@id", { model: "text-embedding-3-large" }).dimensions).toBe(3072);
  });

  it("embeds in batches and returns one vector per text, in input order", async () => {
    const texts = ["alpha", "beta", "gamma"];
    const vectors = await embedder("text@batch", { dimensions: 8, batchSize: 2 }).embed(texts);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector.length).toBe(8);
    }
    // Each text embedded alone gives the same vector as in the batch: order was kept.
    const single = embedder("text@single", { dimensions: 8 });
    for (const [index, text] of texts.entries()) {
      const [alone] = await single.embed([text]);
      expect(Array.from(alone ?? [])).toEqual(Array.from(vectors[index] ?? []));
    }
    expect(Array.from(vectors[0] ?? [])).not.toEqual(Array.from(vectors[1] ?? []));

    const sent = await requestsFor("text@batch");
    expect(sent.map((body) => body.input)).toEqual([["alpha", "beta"], ["gamma"]]);
    expect(sent[0]).toMatchObject({ model: "text-embedding-3-small", encoding_format: "float", dimensions: 8 });
  });

  it("does not send `dimensions` unless configured", async () => {
    const vectors = await embedder("text@native").embed(["one"]);
    expect(vectors[0]?.length).toBe(1536);
    const [sent] = await requestsFor("text@native");
    expect(sent).not.toHaveProperty("dimensions");
  });

  it("makes no request for no texts", async () => {
    expect(await embedder("text@empty").embed([])).toEqual([]);
    expect(await requestsFor("text@empty")).toEqual([]);
  });

  it("a vector of the wrong size is a terminal embedding_dimension_mismatch", async () => {
    const error = await stepError(embedder("wrong_dimensions@w", { dimensions: 16 }).embed(["x"]));
    expect(error).toMatchObject({ code: "embedding_dimension_mismatch", retryable: false });
  });

  it("classifies provider errors like the chat adapter", async () => {
    const limited = await stepError(embedder("rate_limit@e").embed(["x"]));
    expect(limited).toMatchObject({ code: "model_rate_limited", retryable: true, retryAfterMs: 2_000 });
    const auth = await stepError(embedder("text@e", { apiKey: "sk-nope" }).embed(["x"]));
    expect(auth).toMatchObject({ code: "model_auth", retryable: false });
  });

  it("an unknown model without a dimension is a configuration error", () => {
    expect(() => embedder("text@x", { model: "my-embedder" })).toThrow(StepError);
    expect(embedder("text@x", { model: "my-embedder", dimensions: 384 }).id).toBe("openai:my-embedder");
  });
});
