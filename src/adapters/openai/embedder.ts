/**
 * The `Embedder` port over OpenAI's embeddings API (or a compatible endpoint).
 */
import { z } from "zod";
import { StepError } from "../../engine/errors";
import type { Embedder } from "../../engine/ports";
import { callDeadline } from "./call-deadline";
import { createEmbeddings, failure, sdkClient } from "./sdk";
import type { FetchFn } from "./sdk";

/** Native vector sizes of OpenAI's embedding models (`dimensions` may shorten the v3 ones). */
export const OPENAI_EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
};

export interface OpenAIEmbedderOptions {
  apiKey: string;
  baseURL: string;
  fetch: FetchFn;
  /** Default `text-embedding-3-small`. */
  model?: string | undefined;
  /**
   * Vector size. When given it is also sent as the API's `dimensions` parameter (supported by
   * the v3 models); when omitted the model's native size is assumed, and an unknown model needs it.
   */
  dimensions?: number | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
  /** Texts per request. Default 128 (the API accepts up to 2,048). */
  batchSize?: number | undefined;
  now?: (() => number) | undefined;
}

const EmbeddingsResponse = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

/**
 * The OpenAI `Embedder`: id `openai:<model>`, vectors of exactly `dimensions` floats, in input
 * order. Requests `encoding_format: "float"` (the SDK would default to base64, which not every
 * compatible server speaks). A vector of another size is a terminal `embedding_dimension_mismatch`.
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const model = options.model ?? "text-embedding-3-small";
  const dimensions = options.dimensions ?? OPENAI_EMBEDDING_DIMENSIONS[model];
  if (dimensions === undefined || !Number.isInteger(dimensions) || dimensions <= 0) {
    throw StepError.terminal("model_config", `embedding model ${model} needs a positive integer dimension`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const batchSize = Math.max(1, Math.min(2048, options.batchSize ?? 128));
  const now = options.now ?? Date.now;
  const client = sdkClient({ apiKey: options.apiKey, baseURL: options.baseURL, timeoutMs, fetch: options.fetch });

  async function embedBatch(input: string[]): Promise<Float32Array[]> {
    let raw: unknown;
    const call = callDeadline(new AbortController().signal, timeoutMs);
    try {
      raw = await createEmbeddings(
        client,
        { model, input, ...(options.dimensions !== undefined ? { dimensions } : {}) },
        call.signal,
        timeoutMs,
      );
    } catch (error) {
      throw failure(error, "request", call, now());
    } finally {
      call.dispose();
    }
    const parsed = EmbeddingsResponse.safeParse(raw);
    if (!parsed.success || parsed.data.data.length !== input.length) {
      throw StepError.retryable("model_invalid_output", "the embeddings response does not hold one vector per input");
    }
    const vectors: (Float32Array | undefined)[] = Array.from({ length: input.length }, () => undefined);
    for (const item of parsed.data.data) {
      if (item.index >= input.length) {
        throw StepError.retryable("model_invalid_output", "the embeddings response has an index out of range");
      }
      if (item.embedding.length !== dimensions) {
        throw StepError.terminal(
          "embedding_dimension_mismatch",
          `embedding model ${model} returned ${item.embedding.length} dimensions, expected ${dimensions}`,
        );
      }
      vectors[item.index] = Float32Array.from(item.embedding);
    }
    const complete = vectors.filter((vector): vector is Float32Array => vector !== undefined);
    if (complete.length !== input.length) {
      throw StepError.retryable("model_invalid_output", "the embeddings response repeats an index");
    }
    return complete;
  }

  return {
    id: `openai:${model}`,
    dimensions,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        out.push(...(await embedBatch(texts.slice(start, start + batchSize))));
      }
      return out;
    },
  };
}
