/**
 * The Workers AI embedder: text embeddings from a `@cf/baai/bge-*` model through the `AI`
 * binding. It depends only on the binding's `run` method (`AiEmbeddingRunner`), so any `Ai`
 * binding fits and the tests use an in-test fake. The model's answer is parsed, never trusted.
 */
import { z } from "zod";
import { StepError } from "../engine/errors";
import type { Embedder } from "../engine/ports";

/** The part of the `Ai` binding this adapter uses. */
export interface AiEmbeddingRunner {
  run(model: string, inputs: { text: string[] }): Promise<unknown>;
}

export interface WorkersAiEmbedderOptions {
  model: string;
  dimensions: number;
  /** Texts per call (the bge models take at most 100). */
  batchSize: number;
}

export const WORKERS_AI_DEFAULTS: WorkersAiEmbedderOptions = { model: "@cf/baai/bge-base-en-v1.5", dimensions: 768, batchSize: 100 };

const EmbeddingOutput = z.object({ data: z.array(z.array(z.number())) });

export function createWorkersAiEmbedder(ai: AiEmbeddingRunner, options: Partial<WorkersAiEmbedderOptions> = {}): Embedder {
  const { model, dimensions, batchSize } = { ...WORKERS_AI_DEFAULTS, ...options };
  return {
    id: `workers-ai:${model}`,
    dimensions,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const batch = texts.slice(start, start + batchSize);
        let raw: unknown;
        try {
          raw = await ai.run(model, { text: batch });
        } catch (cause) {
          // The binding reports capacity and network faults as thrown errors: worth a retry.
          throw StepError.retryable("embedder_unavailable", `Workers AI embedding failed for ${model}`, undefined, cause);
        }
        const parsed = EmbeddingOutput.safeParse(raw);
        if (!parsed.success || parsed.data.data.length !== batch.length) {
          throw StepError.terminal("embedder_invalid", `Workers AI returned an unexpected embedding shape for ${model}`);
        }
        for (const row of parsed.data.data) {
          if (row.length !== dimensions) {
            throw StepError.terminal("embedder_invalid", `Workers AI returned ${row.length} dimensions, expected ${dimensions} for ${model}`);
          }
          out.push(Float32Array.from(row));
        }
      }
      return out;
    },
  };
}
