/**
 * The safety variables of the api worker, parsed once (adapters/api-settings.ts and
 * guardrail-settings.ts): defaults, every documented form, and a malformed value that fails closed
 * (the settings carry an error naming the variable) instead of silently dropping a protection.
 */
import { describe, expect, it } from "vitest";
import { parseApiSettings } from "../../src/adapters/api-settings";
import { defaultPolicy } from "../../src/engine/guardrails/policy";

describe("guardrail settings from the environment", () => {
  it("defaults: the shipped policy, moderation on with a model key, 120 runs a minute, 50 active", () => {
    const settings = parseApiSettings({});
    expect(settings.engine.guardrails).toEqual({ policy: defaultPolicy(), error: null, moderation: "block" });
    expect(settings.moderation).toBeNull();
    expect(settings.admission).toEqual({ runsPerMinute: 120, maxActiveRuns: 50 });
    const withKey = parseApiSettings({ OPENAI_API_KEY: "sk-test-x" });
    expect(withKey.moderation).toMatchObject({ provider: "openai", model: "omni-moderation-latest", apiKey: "sk-test-x" });
    expect(parseApiSettings({ OPENAI_API_KEY: "sk-test-x", MODERATION: "off" }).moderation).toBeNull();
  });

  it("reads every variable into the policy", () => {
    const settings = parseApiSettings({
      OUTPUT_LINK_ALLOWLIST: "docs.example.com, https://*.acme.io/path",
      GUARDRAIL_HIDDEN_CHARACTERS: "block",
      GUARDRAIL_SENSITIVE: "card=block, email=redact",
      GUARDRAIL_INJECTION: "chunk=block,tool_result=flag",
      GUARDRAIL_INJECTION_THRESHOLD: "0.6",
      GUARDRAIL_BLOCKED_CATEGORIES: JSON.stringify([{ id: "weapons", terms: ["build a bomb"], reason: "we do not help with weapons" }]),
      GUARDRAIL_OUTPUT_PERSONAL_DATA: "redact",
      MODERATION: "flag",
      RATE_LIMIT_RUNS_PER_MIN: "30",
      MAX_ACTIVE_RUNS: "5",
    });
    const { policy, error, moderation } = settings.engine.guardrails;
    expect(error).toBeNull();
    expect(moderation).toBe("flag");
    expect(policy.output.link_allowlist).toEqual(["docs.example.com", "*.acme.io"]);
    expect(policy.output.personal_data).toBe("redact");
    expect(policy.input.hidden).toBe("block");
    expect(policy.input.sensitive).toMatchObject({ card: "block", email: "redact", api_key: "redact", phone: "flag" });
    expect(policy.injection).toEqual({ threshold: 0.6, sources: { message: "block", chunk: "block", tool_result: "flag" } });
    expect(policy.input.blocked_categories[0]).toMatchObject({ id: "weapons", terms: ["build a bomb"], version: "1" });
    expect(settings.admission).toEqual({ runsPerMinute: 30, maxActiveRuns: 5 });
  });

  it.each([
    ["GUARDRAIL_SENSITIVE", "card=shred"],
    ["GUARDRAIL_INJECTION", "chunk"],
    ["GUARDRAIL_INJECTION_THRESHOLD", "1.5"],
    ["GUARDRAIL_BLOCKED_CATEGORIES", "[{\"id\": \"Bad Id\"}]"],
    ["GUARDRAIL_BLOCKED_CATEGORIES", "[{\"id\": \"x\", \"patterns\": [\"(\"]}]"],
    ["GUARDRAIL_BLOCKED_CATEGORIES", "not json"],
    ["GUARDRAIL_HIDDEN_CHARACTERS", "strip"],
    ["MODERATION", "maybe"],
  ])("a malformed %s (%s) fails closed, naming it", (name, value) => {
    const settings = parseApiSettings({ [name]: value });
    expect(settings.engine.guardrails.error).toContain(name);
    expect(settings.problems.join(" ")).toContain(name);
  });

  it("a malformed limit falls back to its default and is reported, like every tunable", () => {
    const settings = parseApiSettings({ MAX_ACTIVE_RUNS: "-3", RATE_LIMIT_RUNS_PER_MIN: "lots" });
    expect(settings.admission).toEqual({ runsPerMinute: 120, maxActiveRuns: 50 });
    expect(settings.problems.join(" ")).toMatch(/MAX_ACTIVE_RUNS.*RATE_LIMIT_RUNS_PER_MIN|RATE_LIMIT_RUNS_PER_MIN.*MAX_ACTIVE_RUNS/);
  });
});
