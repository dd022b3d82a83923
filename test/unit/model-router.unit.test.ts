/** Model settings and the client factory: configuration in, provider choice out. */
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL_TIMEOUT_MS, DEFAULT_OPENAI_BASE_URL, parseApiSettings } from "../../src/adapters/api-settings";
import { createModelClient } from "../../src/adapters/model";
import { StepError } from "../../src/engine/errors";
import { DEFAULT_MODELS, createModelRouter } from "../../src/engine/model/router";

const noFetch = () => Promise.reject(new Error("no network in this test"));
const model = (env: Record<string, string>) => parseApiSettings(env).model;

describe("model settings", () => {
  it("are offline when no key is set, treating blank values as unset", () => {
    expect(model({})).toEqual({ provider: "offline" });
    expect(model({ OPENAI_API_KEY: "  ", MODEL_PLANNING: "", OPENAI_BASE_URL: "" })).toEqual({ provider: "offline" });
  });

  it("use the defaults with just a key", () => {
    expect(model({ OPENAI_API_KEY: "sk-x" })).toEqual({
      provider: "openai",
      apiKey: "sk-x",
      baseURL: DEFAULT_OPENAI_BASE_URL,
      models: DEFAULT_MODELS,
      timeoutMs: DEFAULT_MODEL_TIMEOUT_MS,
    });
  });

  it("map each capability to its own configured model", () => {
    const settings = model({
      OPENAI_API_KEY: " sk-live ",
      OPENAI_BASE_URL: "http://localhost:11434/v1",
      MODEL_PLANNING: "plan-m",
      MODEL_GENERATION: "gen-m",
      MODEL_VERIFICATION: "ver-m",
      MODEL_CLASSIFICATION: "cls-m",
      MODEL_TIMEOUT_MS: "2500",
    });
    expect(settings).toEqual({
      provider: "openai",
      apiKey: "sk-live",
      baseURL: "http://localhost:11434/v1",
      models: { planning: "plan-m", generation: "gen-m", verification: "ver-m", classification: "cls-m" },
      timeoutMs: 2500,
    });
    if (settings.provider !== "openai") throw new Error("unreachable");
    const route = createModelRouter(settings.models);
    expect([route("planning"), route("generation"), route("verification"), route("classification")]).toEqual([
      "plan-m",
      "gen-m",
      "ver-m",
      "cls-m",
    ]);
  });

  it.each([
    [{ MODEL_TIMEOUT_MS: "soon" }, "MODEL_TIMEOUT_MS"],
    [{ MODEL_TIMEOUT_MS: "-5" }, "MODEL_TIMEOUT_MS"],
    [{ MODEL_TIMEOUT_MS: "1.5" }, "MODEL_TIMEOUT_MS"],
    [{ OPENAI_BASE_URL: "ftp://example.com" }, "OPENAI_BASE_URL"],
    [{ OPENAI_BASE_URL: "not a url" }, "OPENAI_BASE_URL"],
  ])("call %o misconfigured, naming the key", (env, key) => {
    const settings = model({ OPENAI_API_KEY: "sk-x", ...env });
    expect(settings.provider).toBe("misconfigured");
    expect(settings.provider === "misconfigured" && settings.error).toContain(key);
  });
});

describe("engine settings", () => {
  it("fall back to the default for a malformed value and say so", () => {
    const settings = parseApiSettings({ TOOL_WAIT_MS: "soon", RETRY_BASE_MS: "250", LOG_LEVEL: "loud" });
    expect(settings.engine.toolWaitMs).toBe(60_000);
    expect(settings.engine.retryBaseMs).toBe(250);
    expect(settings.logLevel).toBe("info");
    expect(settings.problems).toEqual([expect.stringContaining("TOOL_WAIT_MS"), expect.stringContaining("LOG_LEVEL")]);
  });
});

describe("createModelClient", () => {
  const offline = {
    provider: "offline",
    modelFor: () => "offline-1",
    complete: () => Promise.reject(new Error("not used")),
  };

  it("falls back to the offline model without a key", () => {
    expect(createModelClient(model({}), noFetch, () => offline)).toBe(offline);
  });

  it("uses OpenAI with a key, routed by capability", () => {
    const client = createModelClient(model({ OPENAI_API_KEY: "sk-x", MODEL_GENERATION: "gen-m" }), noFetch, () => offline);
    expect(client.provider).toBe("openai");
    expect(client.modelFor("generation")).toBe("gen-m");
    expect(client.modelFor("planning")).toBe(DEFAULT_MODELS.planning);
  });

  it("turns malformed configuration into a terminal model_config failure of every call", async () => {
    const client = createModelClient(model({ OPENAI_API_KEY: "sk-x", MODEL_TIMEOUT_MS: "never" }), noFetch, () => offline);
    expect(client.provider).toBe("openai");
    const error = await client
      .complete({
        capability: "planning",
        messages: [],
        signal: new AbortController().signal,
        grounding: { message: "", mode: "chat", tools: [], knowledge_chunks: 0, chunks: [], tool_results: [], feedback: [] },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect(error).toMatchObject({ code: "model_config", retryable: false });
    expect((error as StepError).message).toContain("MODEL_TIMEOUT_MS");
  });
});
