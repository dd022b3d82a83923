/** The capability router and the client factory: configuration in, provider choice out. */
import { describe, expect, it } from "vitest";
import { StepError } from "../../src/engine/errors";
import {
  DEFAULT_MODEL_TIMEOUT_MS,
  DEFAULT_MODELS,
  DEFAULT_OPENAI_BASE_URL,
  createModelClient,
  createModelRouter,
  resolveModelConfig,
  selectModelClient,
} from "../../src/engine/model/router";

const noFetch = () => Promise.reject(new Error("no network in this test"));

describe("resolveModelConfig", () => {
  it("uses the defaults when nothing is set, and treats blank values as unset", () => {
    expect(resolveModelConfig({})).toEqual({
      apiKey: null,
      baseURL: DEFAULT_OPENAI_BASE_URL,
      models: DEFAULT_MODELS,
      timeoutMs: DEFAULT_MODEL_TIMEOUT_MS,
    });
    expect(resolveModelConfig({ OPENAI_API_KEY: "  ", MODEL_PLANNING: "", OPENAI_BASE_URL: "" })).toMatchObject({
      apiKey: null,
      baseURL: DEFAULT_OPENAI_BASE_URL,
      models: { planning: DEFAULT_MODELS.planning },
    });
  });

  it("maps each capability to its own configured model", () => {
    const config = resolveModelConfig({
      OPENAI_API_KEY: " sk-live ",
      OPENAI_BASE_URL: "http://localhost:11434/v1",
      MODEL_PLANNING: "plan-m",
      MODEL_GENERATION: "gen-m",
      MODEL_VERIFICATION: "ver-m",
      MODEL_CLASSIFICATION: "cls-m",
      MODEL_TIMEOUT_MS: "2500",
    });
    expect(config).toEqual({
      apiKey: "sk-live",
      baseURL: "http://localhost:11434/v1",
      models: { planning: "plan-m", generation: "gen-m", verification: "ver-m", classification: "cls-m" },
      timeoutMs: 2500,
    });
    const route = createModelRouter(config.models);
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
  ])("rejects %o as a terminal model_config error naming the key", (env, key) => {
    let error: unknown;
    try {
      resolveModelConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StepError);
    expect(error).toMatchObject({ code: "model_config", retryable: false });
    expect((error as StepError).message).toContain(key);
  });
});

describe("createModelClient", () => {
  it("returns null without an API key: the caller uses the offline model", () => {
    expect(createModelClient({}, noFetch)).toBeNull();
    expect(createModelClient({ OPENAI_API_KEY: "" , MODEL_GENERATION: "x" }, noFetch)).toBeNull();
  });

  it("returns the OpenAI client with the configured routing when a key is set", () => {
    const client = createModelClient({ OPENAI_API_KEY: "sk-test", MODEL_GENERATION: "gen-m" }, noFetch);
    expect(client?.provider).toBe("openai");
    expect(client?.modelFor("generation")).toBe("gen-m");
    expect(client?.modelFor("planning")).toBe(DEFAULT_MODELS.planning);
  });

});

describe("selectModelClient", () => {
  const offline = {
    provider: "offline",
    modelFor: () => "offline-1",
    complete: () => Promise.reject(new Error("not used")),
  };

  it("falls back to the offline model without a key", () => {
    expect(selectModelClient({}, noFetch, () => offline)).toBe(offline);
  });

  it("uses OpenAI with a key", () => {
    expect(selectModelClient({ OPENAI_API_KEY: "sk-x" }, noFetch, () => offline).provider).toBe("openai");
  });

  it("turns malformed configuration into a terminal model_config failure of every call", async () => {
    const client = selectModelClient({ OPENAI_API_KEY: "sk-x", MODEL_TIMEOUT_MS: "never" }, noFetch, () => offline);
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
