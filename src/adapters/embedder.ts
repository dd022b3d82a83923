/**
 * Which embedder the knowledge index uses, chosen by the `EMBEDDER` variable:
 * `local` (the default: deterministic hashed n-grams, no network), `workers-ai` (needs an `AI`
 * binding) or `openai` (needs `OPENAI_API_KEY`; the embedder lives beside the model adapter in
 * `src/adapters/openai/`). The choice is explicit, never inferred from
 * a key being present: an index is tied to the embedder that built it (mixing vectors is an
 * error), so switching embedders must be a deliberate act.
 */
import { z } from "zod";
import { StepError } from "../engine/errors";
import type { Embedder } from "../engine/ports";
import { DEFAULT_OPENAI_BASE_URL } from "./api-settings";
import { createOpenAIEmbedder } from "./openai/embedder";
import { createLocalEmbedder } from "../engine/retrieval/local-embedder";
import { createWorkersAiEmbedder } from "./workers-ai-embedder";
import type { AiEmbeddingRunner } from "./workers-ai-embedder";

export interface EmbedderEnv {
  EMBEDDER?: string;
  AI?: AiEmbeddingRunner;
  WORKERS_AI_EMBEDDING_MODEL?: string;
  WORKERS_AI_EMBEDDING_DIMENSIONS?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_EMBEDDING_MODEL?: string;
}

/** Embedders that live in other adapters' files, plugged in by name. */
export interface EmbedderProviders {
  openai?: (env: EmbedderEnv) => Embedder;
}

/** The providers `createEmbedder` uses unless a test passes its own. */
export const EMBEDDER_PROVIDERS: EmbedderProviders = {
  openai: (env) => {
    if (!env.OPENAI_API_KEY) throw StepError.terminal("config_invalid", "EMBEDDER=openai needs OPENAI_API_KEY");
    return createOpenAIEmbedder({
      apiKey: env.OPENAI_API_KEY,
      baseURL: env.OPENAI_BASE_URL || DEFAULT_OPENAI_BASE_URL,
      fetch: (input, init) => fetch(input, init),
      model: env.OPENAI_EMBEDDING_MODEL || undefined,
    });
  },
};

const EmbedderConfig = z.object({
  EMBEDDER: z.enum(["local", "workers-ai", "openai"]).default("local"),
  WORKERS_AI_EMBEDDING_MODEL: z.string().min(1).optional(),
  WORKERS_AI_EMBEDDING_DIMENSIONS: z.coerce.number().int().positive().optional(),
});

export function createEmbedder(env: EmbedderEnv, providers: EmbedderProviders = EMBEDDER_PROVIDERS): Embedder {
  const parsed = EmbedderConfig.safeParse({
    EMBEDDER: env.EMBEDDER || undefined,
    WORKERS_AI_EMBEDDING_MODEL: env.WORKERS_AI_EMBEDDING_MODEL || undefined,
    WORKERS_AI_EMBEDDING_DIMENSIONS: env.WORKERS_AI_EMBEDDING_DIMENSIONS || undefined,
  });
  if (!parsed.success) throw StepError.terminal("config_invalid", `embedder configuration: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const config = parsed.data;
  switch (config.EMBEDDER) {
    case "local":
      return createLocalEmbedder();
    case "workers-ai":
      if (env.AI === undefined) throw StepError.terminal("config_invalid", "EMBEDDER=workers-ai needs an AI binding");
      return createWorkersAiEmbedder(env.AI, {
        ...(config.WORKERS_AI_EMBEDDING_MODEL !== undefined ? { model: config.WORKERS_AI_EMBEDDING_MODEL } : {}),
        ...(config.WORKERS_AI_EMBEDDING_DIMENSIONS !== undefined ? { dimensions: config.WORKERS_AI_EMBEDDING_DIMENSIONS } : {}),
      });
    case "openai":
      if (providers.openai === undefined) throw StepError.terminal("config_invalid", "EMBEDDER=openai but no OpenAI embedder is registered");
      return providers.openai(env);
  }
}
