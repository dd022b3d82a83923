/**
 * The api worker's configuration: the variables it reads (README "Configuration"), parsed once per
 * `env` with one zod schema into the settings the rest of the worker receives. Nothing else reads
 * these variables. Two kinds of bad value, two answers:
 * - a tunable (a timeout, a limit) that is not a positive integer falls back to its default and is
 *   reported in `problems` (logged once, shown by /healthz): the engine still runs as documented;
 * - a malformed model configuration (a base URL that is not http(s), a timeout that is not a
 *   positive integer) makes every model call fail with a terminal `model_config` error naming the
 *   key, so each run says what to fix instead of running on a guess; a malformed guardrail variable
 *   (guardrail-settings.ts) does the same at `receive`, with `guardrail_config`.
 */
import { z } from "zod";
import { buildConfig } from "../engine/config";
import type { ConfigOverrides, EngineConfig } from "../engine/config";
import { DEFAULT_MODELS } from "../engine/model/router";
import type { Capability, LogLevel } from "../engine/ports";
import { DEFAULT_HISTORY_TOKENS } from "../engine/threads/history";
import { parseGuardrailSettings } from "./guardrail-settings";
import type { GuardrailEnv } from "./guardrail-settings";

export const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";
/** Per model call, covering the whole streamed response, not just the response headers. */
export const DEFAULT_MODEL_TIMEOUT_MS = 60_000;

export type ModelSettings =
  | { provider: "offline" }
  | { provider: "openai"; apiKey: string; baseURL: string; models: Record<Capability, string>; timeoutMs: number }
  /** Every call fails with a terminal `model_config` error carrying `error`. */
  | { provider: "misconfigured"; error: string };

/** OpenAI's moderation endpoint as an input layer: on whenever the model is OpenAI (see `MODERATION`). */
export type ModerationSettings = { provider: "openai"; apiKey: string; baseURL: string; model: string; timeoutMs: number } | null;

/** Admission per tenant (CONTRACT.md POST /runs): a token bucket on new runs and a cap on runs not yet ended. */
export interface AdmissionSettings {
  runsPerMinute: number;
  maxActiveRuns: number;
}

export const DEFAULT_MODERATION_MODEL = "omni-moderation-latest";

export interface ApiSettings {
  logLevel: LogLevel;
  engine: EngineConfig;
  sse: { heartbeatMs: number; retryMs: number };
  model: ModelSettings;
  /** The secret that signs manifests (`GET /runs/{id}/manifest`); null: manifests are unsigned. */
  manifestKey: string | null;
  threads: {
    /** How many tokens of earlier turns a run in a thread sees (`THREAD_HISTORY_TOKENS`). */
    historyTokens: number;
    /** How often a thread checks on its running run, in case the run's end notice is late (`THREAD_WATCHDOG_MS`). */
    watchdogMs: number;
  };
  moderation: ModerationSettings;
  admission: AdmissionSettings;
  /** Values that were malformed and fell back to their defaults. */
  problems: string[];
}

/** Worker vars and secrets are strings; blank counts as unset, so `--var NAME:` switches a value off. */
const text = z.preprocess((value) => (typeof value === "string" ? value.trim() || undefined : value), z.string().optional());
const positiveInt = z.preprocess(
  (value) => (typeof value === "string" ? value.trim() || undefined : value),
  z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
);

/** The engine's tunables, by the variable that sets each. */
const ENGINE_VARS = {
  STEP_TIMEOUT_MS: "stepTimeoutMs",
  MAX_STEP_ATTEMPTS: "maxAttempts",
  RETRY_BASE_MS: "retryBaseMs",
  RETRY_MAX_MS: "retryMaxMs",
  WATCHDOG_GRACE_MS: "watchdogGraceMs",
  TOOL_WAIT_MS: "toolWaitMs",
  TOOL_RESEND_MS: "toolResendMs",
  APPROVAL_TTL_MS: "approvalTtlMs",
  MAX_TOOL_CALLS: "maxToolCalls",
  MAX_WALL_TIME_MS: "maxWallTimeMs",
  MAX_TOKENS: "maxTokens",
  RETRIEVAL_K: "retrievalK",
} as const satisfies Record<string, keyof ConfigOverrides>;

const ModelVars = z.object({
  OPENAI_API_KEY: text,
  OPENAI_BASE_URL: z.preprocess(
    (value) => (typeof value === "string" ? value.trim() || undefined : value),
    z.url({ protocol: /^https?$/ }).optional(),
  ),
  MODEL_PLANNING: text,
  MODEL_GENERATION: text,
  MODEL_VERIFICATION: text,
  MODEL_CLASSIFICATION: text,
  MODEL_TIMEOUT_MS: z.preprocess(
    (value) => (typeof value === "string" ? value.trim() || undefined : value),
    z.coerce.number().int().positive().max(15 * 60_000).optional(),
  ),
  MODERATION_MODEL: text,
});

/** The variables this file reads, as `env` holds them (strings, or absent). */
export type ApiEnv = Partial<
  Record<
    | keyof typeof ENGINE_VARS
    | keyof z.input<typeof ModelVars>
    | "LOG_LEVEL"
    | "SSE_HEARTBEAT_MS"
    | "SSE_RETRY_MS"
    | "MANIFEST_KEY"
    | "THREAD_HISTORY_TOKENS"
    | "THREAD_WATCHDOG_MS"
    | "RATE_LIMIT_RUNS_PER_MIN"
    | "MAX_ACTIVE_RUNS",
    unknown
  >
> &
  GuardrailEnv;

export const DEFAULT_THREAD_WATCHDOG_MS = 30_000;

const LOG_LEVEL = z.enum(["debug", "info", "warn", "error"]);

function modelSettings(env: ApiEnv): ModelSettings {
  const parsed = ModelVars.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    return { provider: "misconfigured", error: `invalid model configuration (${fields})` };
  }
  const v = parsed.data;
  if (v.OPENAI_API_KEY === undefined) return { provider: "offline" };
  return {
    provider: "openai",
    apiKey: v.OPENAI_API_KEY,
    baseURL: v.OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL,
    models: {
      planning: v.MODEL_PLANNING ?? DEFAULT_MODELS.planning,
      generation: v.MODEL_GENERATION ?? DEFAULT_MODELS.generation,
      verification: v.MODEL_VERIFICATION ?? DEFAULT_MODELS.verification,
      classification: v.MODEL_CLASSIFICATION ?? DEFAULT_MODELS.classification,
    },
    timeoutMs: v.MODEL_TIMEOUT_MS ?? DEFAULT_MODEL_TIMEOUT_MS,
  };
}

/** Parses the api worker's variables. Pure: the same env gives the same settings. */
export function parseApiSettings(env: ApiEnv): ApiSettings {
  const problems: string[] = [];
  const int = (name: string, value: unknown): number | undefined => {
    const parsed = positiveInt.safeParse(value);
    if (parsed.success) return parsed.data;
    problems.push(`${name} must be a positive integer (got ${JSON.stringify(String(value))}); using the default`);
    return undefined;
  };
  const numeric: Partial<Record<(typeof ENGINE_VARS)[keyof typeof ENGINE_VARS], number>> = {};
  for (const [name, key] of Object.entries(ENGINE_VARS) as [keyof typeof ENGINE_VARS, (typeof ENGINE_VARS)[keyof typeof ENGINE_VARS]][]) {
    const value = int(name, env[name]);
    if (value !== undefined) numeric[key] = value;
  }
  const guardrails = parseGuardrailSettings(env);
  if (guardrails.error !== null) problems.push(`${guardrails.error}; every run fails with guardrail_config until it is fixed`);
  const overrides: ConfigOverrides = { ...numeric, guardrails };
  const model = modelSettings(env);
  const level = LOG_LEVEL.safeParse(typeof env.LOG_LEVEL === "string" && env.LOG_LEVEL.trim() !== "" ? env.LOG_LEVEL.trim() : "info");
  if (!level.success) problems.push(`LOG_LEVEL must be one of debug, info, warn, error; using info`);
  return {
    logLevel: level.success ? level.data : "info",
    engine: buildConfig(overrides),
    sse: { heartbeatMs: int("SSE_HEARTBEAT_MS", env.SSE_HEARTBEAT_MS) ?? 15_000, retryMs: int("SSE_RETRY_MS", env.SSE_RETRY_MS) ?? 1_000 },
    model,
    manifestKey: typeof env.MANIFEST_KEY === "string" && env.MANIFEST_KEY.trim() !== "" ? env.MANIFEST_KEY : null,
    threads: {
      historyTokens: int("THREAD_HISTORY_TOKENS", env.THREAD_HISTORY_TOKENS) ?? DEFAULT_HISTORY_TOKENS,
      watchdogMs: int("THREAD_WATCHDOG_MS", env.THREAD_WATCHDOG_MS) ?? DEFAULT_THREAD_WATCHDOG_MS,
    },
    moderation:
      model.provider === "openai" && guardrails.moderation !== "off"
        ? {
            provider: "openai",
            apiKey: model.apiKey,
            baseURL: model.baseURL,
            model: typeof env.MODERATION_MODEL === "string" && env.MODERATION_MODEL.trim() !== "" ? env.MODERATION_MODEL.trim() : DEFAULT_MODERATION_MODEL,
            timeoutMs: model.timeoutMs,
          }
        : null,
    admission: {
      runsPerMinute: int("RATE_LIMIT_RUNS_PER_MIN", env.RATE_LIMIT_RUNS_PER_MIN) ?? 120,
      maxActiveRuns: int("MAX_ACTIVE_RUNS", env.MAX_ACTIVE_RUNS) ?? 50,
    },
    problems,
  };
}

const cache = new WeakMap<object, ApiSettings>();

/** The settings of this `env`, parsed on first use; problems are logged once per isolate. */
export function apiSettings(env: Env): ApiSettings {
  const known = cache.get(env);
  if (known) return known;
  const settings = parseApiSettings(env as unknown as ApiEnv);
  for (const problem of settings.problems) console.warn(JSON.stringify({ level: "warn", msg: "ignoring invalid setting", problem }));
  cache.set(env, settings);
  return settings;
}
