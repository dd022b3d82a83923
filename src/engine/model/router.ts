/**
 * The capability router and the model client factory. A run asks for a *capability* (planning,
 * generation, verification, classification), never for a model: this file maps each capability
 * to a model id from configuration, and decides which provider serves the run. With an
 * `OPENAI_API_KEY` the OpenAI adapter serves every capability; without one the factory returns
 * `null` and the caller falls back to the deterministic offline model.
 *
 * Configuration arrives as plain values (Worker vars and secrets are strings), and the `fetch`
 * the adapter uses is handed in: the engine never reaches for the global `fetch` itself.
 */
import { z } from "zod";
import { StepError } from "../errors";
import type { Capability, ModelClient } from "../ports";
import { createOpenAIModelClient } from "./openai";

export const CAPABILITIES = ["planning", "generation", "verification", "classification"] as const satisfies readonly Capability[];

/** The model each capability uses when its `MODEL_*` variable is not set. */
export const DEFAULT_MODELS: Readonly<Record<Capability, string>> = {
  planning: "gpt-4o-mini",
  generation: "gpt-4o-mini",
  verification: "gpt-4o-mini",
  classification: "gpt-4o-mini",
};

export const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";
/** Per model call, covering the whole streamed response, not just the response headers. */
export const DEFAULT_MODEL_TIMEOUT_MS = 60_000;

/** The fetch the adapter calls (a Worker's global `fetch`, a service binding's, a test's). */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The configuration keys this module reads, as they come from `env`. Every value is optional;
 * blank strings count as unset, so `--var OPENAI_API_KEY:` switches the provider off.
 */
export interface ModelEnv {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  MODEL_PLANNING?: string;
  MODEL_GENERATION?: string;
  MODEL_VERIFICATION?: string;
  MODEL_CLASSIFICATION?: string;
  /** Milliseconds, a positive integer (a number is accepted too). */
  MODEL_TIMEOUT_MS?: string | number;
}

/** The resolved, validated model configuration. */
export interface ModelConfig {
  apiKey: string | null;
  baseURL: string;
  models: Record<Capability, string>;
  timeoutMs: number;
}

const blankToUndefined = (value: unknown): unknown =>
  typeof value === "string" && value.trim() === "" ? undefined : typeof value === "string" ? value.trim() : value;

const optionalText = z.preprocess(blankToUndefined, z.string().optional());

const ModelEnvSchema = z.object({
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  MODEL_PLANNING: optionalText,
  MODEL_GENERATION: optionalText,
  MODEL_VERIFICATION: optionalText,
  MODEL_CLASSIFICATION: optionalText,
  MODEL_TIMEOUT_MS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().positive().max(15 * 60_000).optional(),
  ),
});

/**
 * Validates and resolves the model configuration. A malformed value (a base URL that is not
 * http(s), a timeout that is not a positive integer) is a terminal `model_config` error naming the
 * key: a misconfigured deployment should fail loudly, not run on silent defaults.
 */
export function resolveModelConfig(env: ModelEnv): ModelConfig {
  const parsed = ModelEnvSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw StepError.terminal("model_config", `invalid model configuration (${fields})`);
  }
  const values = parsed.data;
  return {
    apiKey: values.OPENAI_API_KEY ?? null,
    baseURL: values.OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL,
    models: {
      planning: values.MODEL_PLANNING ?? DEFAULT_MODELS.planning,
      generation: values.MODEL_GENERATION ?? DEFAULT_MODELS.generation,
      verification: values.MODEL_VERIFICATION ?? DEFAULT_MODELS.verification,
      classification: values.MODEL_CLASSIFICATION ?? DEFAULT_MODELS.classification,
    },
    timeoutMs: values.MODEL_TIMEOUT_MS ?? DEFAULT_MODEL_TIMEOUT_MS,
  };
}

/** The capability → model id mapping, as the `ModelClient.modelFor` of any provider. */
export function createModelRouter(models: Record<Capability, string>): (capability: Capability) => string {
  const table = { ...models };
  return (capability) => table[capability];
}

export interface CreateModelClientOptions {
  /** Epoch milliseconds; used to turn an HTTP-date `retry-after` into a delay. */
  now?: () => number;
}

/**
 * The run's model client: the OpenAI adapter when `OPENAI_API_KEY` is set, else `null` (the caller
 * then uses the offline model). Throws a terminal `model_config` StepError on malformed values.
 */
export function createModelClient(env: ModelEnv, fetch: FetchFn, options: CreateModelClientOptions = {}): ModelClient | null {
  const config = resolveModelConfig(env);
  if (config.apiKey === null) return null;
  return createOpenAIModelClient({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    modelFor: createModelRouter(config.models),
    timeoutMs: config.timeoutMs,
    fetch,
    now: options.now,
  });
}

/**
 * The model a run uses, whatever the configuration: the OpenAI client with a key, `offline()`
 * without one, and with malformed configuration a client whose every call fails with the terminal
 * `model_config` error, so the run ends in a `run.failed` that names the bad key instead of the
 * object failing to start.
 */
export function selectModelClient(
  env: ModelEnv,
  fetch: FetchFn,
  offline: () => ModelClient,
  options: CreateModelClientOptions = {},
): ModelClient {
  try {
    return createModelClient(env, fetch, options) ?? offline();
  } catch (error) {
    if (!(error instanceof StepError)) throw error;
    return misconfiguredModel(error);
  }
}

function misconfiguredModel(error: StepError): ModelClient {
  return {
    provider: "openai",
    modelFor: () => "unconfigured",
    complete: () => Promise.reject(error),
  };
}

