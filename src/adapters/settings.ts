/**
 * Reads the engine's settings from environment variables (strings), with the defaults of
 * `DEFAULT_CONFIG`. A value that is not a positive integer is ignored with a warning rather than
 * taking the engine down.
 */
import { buildConfig } from "../engine/config";
import type { ConfigOverrides, EngineConfig } from "../engine/config";

export interface Settings {
  engine: EngineConfig;
  heartbeatMs: number;
  retryMs: number;
  logLevel: string;
}

const OVERRIDES: Record<keyof ConfigOverrides, keyof Env> = {
  stepTimeoutMs: "STEP_TIMEOUT_MS",
  maxAttempts: "MAX_STEP_ATTEMPTS",
  retryBaseMs: "RETRY_BASE_MS",
  retryMaxMs: "RETRY_MAX_MS",
  watchdogGraceMs: "WATCHDOG_GRACE_MS",
  toolWaitMs: "TOOL_WAIT_MS",
  approvalTtlMs: "APPROVAL_TTL_MS",
  maxToolCalls: "MAX_TOOL_CALLS",
  maxWallTimeMs: "MAX_WALL_TIME_MS",
  maxTokens: "MAX_TOKENS",
  retrievalK: "RETRIEVAL_K",
};

export function positiveInt(raw: unknown, name: string): number | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  const value = Number(raw);
  if (Number.isInteger(value) && value > 0) return value;
  console.warn(JSON.stringify({ level: "warn", msg: "ignoring invalid setting", setting: name, value: String(raw) }));
  return undefined;
}

const cache = new WeakMap<object, Settings>();

export function readSettings(env: Env): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const overrides: ConfigOverrides = {};
  for (const [key, name] of Object.entries(OVERRIDES) as [keyof ConfigOverrides, keyof Env][]) {
    const value = positiveInt(env[name], name);
    if (value !== undefined) overrides[key] = value;
  }
  const settings = {
    engine: buildConfig(overrides),
    heartbeatMs: positiveInt(env.SSE_HEARTBEAT_MS, "SSE_HEARTBEAT_MS") ?? 15_000,
    retryMs: positiveInt(env.SSE_RETRY_MS, "SSE_RETRY_MS") ?? 1_000,
    logLevel: env.LOG_LEVEL ?? "info",
  };
  cache.set(env, settings);
  return settings;
}
