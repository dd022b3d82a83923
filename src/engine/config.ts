/**
 * The engine's tunables, with production defaults. The run object builds this from environment
 * variables (see the README's configuration table); tests shorten the timeouts the same way.
 */
import type { StepName } from "./events";
import { defaultPolicy } from "./guardrails/policy";
import type { GuardrailPolicy } from "./guardrails/policy";

export interface StepPolicy {
  /** Attempts in all, including the first. */
  maxAttempts: number;
  /** The step's own deadline; the watchdog alarm fires a grace period after it. */
  timeoutMs: number;
}

/** What the guardrail layers do (README "Safety"), parsed once from the environment. */
export interface GuardrailSettings {
  policy: GuardrailPolicy;
  /**
   * A malformed guardrail variable: every run fails at `receive` with a terminal
   * `guardrail_config` error naming it, rather than running with protections the operator did not choose.
   */
  error: string | null;
  /** The moderation layer, when a moderator is configured: refuse a flagged message, only report it, or skip it. */
  moderation: "block" | "flag" | "off";
}

export function defaultGuardrails(): GuardrailSettings {
  return { policy: defaultPolicy(), error: null, moderation: "block" };
}

export interface EngineConfig {
  steps: Record<StepName, StepPolicy>;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long after a step's deadline the watchdog alarm declares the attempt dead. */
  watchdogGraceMs: number;
  /** How long a run waits for a dispatched tool call's result. */
  toolWaitMs: number;
  /**
   * While it waits, the run re-sends the call after this long, then twice as long each time (up to
   * 30 s), until the outcome arrives: a message lost on the way is re-sent, and the executor
   * dedupes on the request id.
   */
  toolResendMs: number;
  /** How long an approval request stays open. */
  approvalTtlMs: number;
  /** Top-k for the retrieve step. */
  retrievalK: number;
  defaults: { maxToolCalls: number; maxWallTimeMs: number; maxTokens: number };
  guardrails: GuardrailSettings;
}

const STEP_DEFAULTS: Record<StepName, StepPolicy> = {
  receive: { maxAttempts: 3, timeoutMs: 10_000 },
  plan: { maxAttempts: 3, timeoutMs: 60_000 },
  retrieve: { maxAttempts: 3, timeoutMs: 30_000 },
  act: { maxAttempts: 3, timeoutMs: 30_000 },
  respond: { maxAttempts: 4, timeoutMs: 120_000 },
  verify: { maxAttempts: 3, timeoutMs: 120_000 },
  finalize: { maxAttempts: 5, timeoutMs: 10_000 },
};

export const DEFAULT_CONFIG: EngineConfig = {
  steps: STEP_DEFAULTS,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  watchdogGraceMs: 5_000,
  toolWaitMs: 60_000,
  toolResendMs: 2_000,
  approvalTtlMs: 15 * 60_000,
  retrievalK: 5,
  defaults: { maxToolCalls: 4, maxWallTimeMs: 30 * 60_000, maxTokens: 100_000 },
  guardrails: defaultGuardrails(),
};

export interface ConfigOverrides {
  stepTimeoutMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  watchdogGraceMs?: number;
  toolWaitMs?: number;
  toolResendMs?: number;
  approvalTtlMs?: number;
  retrievalK?: number;
  maxToolCalls?: number;
  maxWallTimeMs?: number;
  maxTokens?: number;
  guardrails?: GuardrailSettings;
}

/** Applies overrides; a step timeout override applies to every step. */
export function buildConfig(overrides: ConfigOverrides): EngineConfig {
  const steps = Object.fromEntries(
    Object.entries(STEP_DEFAULTS).map(([name, policy]) => [
      name,
      {
        maxAttempts: overrides.maxAttempts ?? policy.maxAttempts,
        timeoutMs: overrides.stepTimeoutMs ?? policy.timeoutMs,
      },
    ]),
  ) as Record<StepName, StepPolicy>;
  return {
    steps,
    retryBaseMs: overrides.retryBaseMs ?? DEFAULT_CONFIG.retryBaseMs,
    retryMaxMs: overrides.retryMaxMs ?? DEFAULT_CONFIG.retryMaxMs,
    watchdogGraceMs: overrides.watchdogGraceMs ?? DEFAULT_CONFIG.watchdogGraceMs,
    toolWaitMs: overrides.toolWaitMs ?? DEFAULT_CONFIG.toolWaitMs,
    toolResendMs: overrides.toolResendMs ?? DEFAULT_CONFIG.toolResendMs,
    approvalTtlMs: overrides.approvalTtlMs ?? DEFAULT_CONFIG.approvalTtlMs,
    retrievalK: overrides.retrievalK ?? DEFAULT_CONFIG.retrievalK,
    defaults: {
      maxToolCalls: overrides.maxToolCalls ?? DEFAULT_CONFIG.defaults.maxToolCalls,
      maxWallTimeMs: overrides.maxWallTimeMs ?? DEFAULT_CONFIG.defaults.maxWallTimeMs,
      maxTokens: overrides.maxTokens ?? DEFAULT_CONFIG.defaults.maxTokens,
    },
    guardrails: overrides.guardrails ?? defaultGuardrails(),
  };
}
