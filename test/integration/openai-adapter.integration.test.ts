/**
 * The OpenAI adapter against a fake OpenAI-compatible server (test/node/fake-openai.ts): the real
 * SDK sends real requests and parses real server-sent events, in the Workers runtime. Each test
 * picks the server's behaviour with a scenario spec in the base URL; a unique `@key` keeps its
 * request log apart.
 */
import { fakeRequestsFor, groundingFor, stepError } from "../support/model-fixtures";
import { describe, expect, inject, it } from "vitest";
import { createOpenAIModelClient } from "../../src/adapters/openai/model-client";
import { parseApiSettings } from "../../src/adapters/api-settings";
import { createModelClient } from "../../src/adapters/model";
import { OfflineModel } from "../../src/engine/model/offline";
import type { Grounding, ModelClient, ModelRequest } from "../../src/engine/ports";

const origin = inject("fakeOpenAIUrl");

function client(spec: string, options: { apiKey?: string; timeoutMs?: number; baseURL?: string } = {}): ModelClient {
  return createOpenAIModelClient({
    apiKey: options.apiKey ?? "sk-test-adapter",
    baseURL: options.baseURL ?? `${origin}/s/${encodeURIComponent(spec)}/v1`,
    modelFor: (capability) => `fake-${capability}`,
    timeoutMs: options.timeoutMs ?? 5_000,
    fetch: (input, init) => fetch(input, init),
  });
}

const grounding: Grounding = groundingFor("What is the answer?");

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    capability: "generation",
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "What is the answer?" },
    ],
    signal: new AbortController().signal,
    grounding,
    ...overrides,
  };
}

const PROMPT_CHARS = "You are terse.".length + "What is the answer?".length;

const requestsFor = fakeRequestsFor;


describe("streaming text", () => {
  it("calls onDelta for every delta, then returns the text, usage and finish reason", async () => {
    const deltas: string[] = [];
    const response = await client("text@stream").complete(request({ maxOutputTokens: 200 }), (text) => deltas.push(text));

    expect(deltas).toEqual(["Here is ", "the answer ", "from the ", "fake model."]);
    expect(response).toEqual({
      text: "Here is the answer from the fake model.",
      toolCalls: [],
      usage: { input_tokens: PROMPT_CHARS, output_tokens: 4 },
      finishReason: "stop",
      model: "fake-generation",
      provider: "openai",
    });
    const [sent] = await requestsFor("text@stream");
    expect(sent).toMatchObject({
      model: "fake-generation",
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 200,
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "What is the answer?" },
      ],
    });
    expect(sent).not.toHaveProperty("tools");
    expect(sent).not.toHaveProperty("response_format");
  });

  it("routes each capability to its own model id", async () => {
    await client("text@capability").complete(request({ capability: "verification" }));
    const [sent] = await requestsFor("text@capability");
    expect(sent?.model).toBe("fake-verification");
  });

  it("estimates usage when the provider sends no usage chunk", async () => {
    const response = await client("no_usage@estimate").complete(request());
    expect(response.usage).toEqual({
      input_tokens: Math.ceil(PROMPT_CHARS / 4),
      output_tokens: Math.ceil("Here is the answer from the fake model.".length / 4),
    });
  });

  it("reports a length finish reason as is", async () => {
    const response = await client("length@finish").complete(request());
    expect(response.finishReason).toBe("length");
  });
});

describe("structured output and tool calls", () => {
  it("sends a json_schema response format and returns the JSON text (non-strict for an open schema)", async () => {
    const schema = {
      type: "object",
      properties: { steps: { type: "array", items: { type: "string" } }, args: { type: "object", additionalProperties: {} } },
      required: ["steps", "args"],
      additionalProperties: false,
    };
    const response = await client("text@plan").complete(
      request({ capability: "planning", responseFormat: { name: "plan", schema } }),
    );
    expect(JSON.parse(response.text)).toEqual({ steps: ["answer the question"], needs_retrieval: false, tool_intents: [] });
    const [sent] = await requestsFor("text@plan");
    expect(sent?.response_format).toEqual({ type: "json_schema", json_schema: { name: "plan", schema, strict: false } });
  });

  it("asks for strict output when the schema allows it", async () => {
    const schema = {
      type: "object",
      properties: { passed: { type: "boolean" }, issues: { type: "array", items: { type: "string" } } },
      required: ["passed", "issues"],
      additionalProperties: false,
    };
    const response = await client("text@strict").complete(
      request({ capability: "verification", responseFormat: { name: "verdict", schema } }),
    );
    expect(JSON.parse(response.text)).toEqual({ passed: true, issues: [] });
    const [sent] = await requestsFor("text@strict");
    expect(sent?.response_format).toMatchObject({ json_schema: { strict: true } });
  });

  it("assembles streamed tool-call fragments into whole calls", async () => {
    const tools = [
      {
        name: "calculator__evaluate",
        description: "Evaluate an arithmetic expression",
        parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
      },
      {
        name: "github__get_repo",
        description: "Describe a repository",
        parameters: { type: "object", properties: { owner: { type: "string" }, repo: { type: "string" } } },
      },
    ];
    const deltas: string[] = [];
    const response = await client("tool_calls@two").complete(request({ capability: "planning", tools }), (t) => deltas.push(t));
    expect(response.toolCalls).toEqual([
      { name: "calculator__evaluate", arguments: { expression: "fake-expression" } },
      { name: "github__get_repo", arguments: { owner: "fake-owner", repo: "fake-repo" } },
    ]);
    expect(response.finishReason).toBe("tool_calls");
    expect(response.text).toBe("");
    expect(deltas).toEqual([]);
    const [sent] = await requestsFor("tool_calls@two");
    expect(sent?.tools).toEqual(tools.map((tool) => ({ type: "function", function: tool })));
  });

  it("fails retryably when the model's tool arguments are not JSON", async () => {
    const tools = [{ name: "calculator__evaluate", description: "", parameters: { type: "object", properties: {} } }];
    const error = await stepError(client("bad_tool_args@x").complete(request({ tools })));
    expect(error).toMatchObject({ code: "model_invalid_output", retryable: true });
  });
});

describe("provider errors", () => {
  it("429: retryable with retry-after in seconds", async () => {
    const error = await stepError(client("rate_limit@s").complete(request()));
    expect(error).toMatchObject({ code: "model_rate_limited", retryable: true, retryAfterMs: 2_000 });
  });

  it("429: retry-after-ms wins over retry-after", async () => {
    const error = await stepError(client("rate_limit_ms@ms").complete(request()));
    expect(error).toMatchObject({ code: "model_rate_limited", retryable: true, retryAfterMs: 1_500 });
  });

  it("429: retry-after as an HTTP date", async () => {
    const error = await stepError(client("rate_limit_date@d").complete(request()));
    expect(error.code).toBe("model_rate_limited");
    // The date has whole-second precision and was made 30 s ahead of the fake's clock.
    expect(error.retryAfterMs).toBeGreaterThan(28_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it("429 insufficient_quota: terminal (waiting does not help)", async () => {
    const error = await stepError(client("quota@q").complete(request()));
    expect(error).toMatchObject({ code: "model_quota", retryable: false });
  });

  it("500 and 503: retryable, with the provider's retry-after when it sends one", async () => {
    const e500 = await stepError(client("server_error@a").complete(request()));
    expect(e500).toMatchObject({ code: "model_unavailable", retryable: true, retryAfterMs: 1_000 });
    const e503 = await stepError(client("unavailable@a").complete(request()));
    expect(e503).toMatchObject({ code: "model_unavailable", retryable: true, retryAfterMs: undefined });
  });

  it("401 bad key: terminal model_auth with a clear message that does not echo the key", async () => {
    const error = await stepError(client("text@badkey", { apiKey: "sk-wrong" }).complete(request()));
    expect(error).toMatchObject({ code: "model_auth", retryable: false });
    expect(error.message).toContain("OPENAI_API_KEY");
    expect(error.message).toContain("401");
    expect(error.message).not.toContain("sk-");
  });

  it("403: terminal model_auth", async () => {
    const error = await stepError(client("forbidden@f").complete(request()));
    expect(error).toMatchObject({ code: "model_auth", retryable: false });
  });

  it("400: terminal, with the provider's explanation", async () => {
    const error = await stepError(client("bad_request@b").complete(request()));
    expect(error).toMatchObject({ code: "model_bad_request", retryable: false });
    expect(error.message).toContain("Invalid schema for response_format");
  });

  it("404: terminal model_not_found", async () => {
    const error = await stepError(client("not_found@n").complete(request()));
    expect(error).toMatchObject({ code: "model_not_found", retryable: false });
  });

  it("an unreachable endpoint: retryable model_unreachable", async () => {
    const error = await stepError(client("unused", { baseURL: "http://127.0.0.1:1/v1" }).complete(request()));
    expect(error).toMatchObject({ code: "model_unreachable", retryable: true });
  });

  it("a _once scenario fails the first call only", async () => {
    const rateLimited = client("rate_limit_once@once");
    const first = await stepError(rateLimited.complete(request()));
    expect(first.code).toBe("model_rate_limited");
    const second = await rateLimited.complete(request());
    expect(second.text).toBe("Here is the answer from the fake model.");
  });
});

describe("broken streams and timeouts", () => {
  it("a connection dropped mid-stream is retryable model_stream_broken, after the deltas that did arrive", async () => {
    const deltas: string[] = [];
    const error = await stepError(client("broken_stream@drop").complete(request(), (t) => deltas.push(t)));
    expect(error).toMatchObject({ code: "model_stream_broken", retryable: true });
    expect(deltas).toEqual(["Here is ", "the answer "]);
  });

  it("a stream that ends cleanly without a finish reason is broken too", async () => {
    const error = await stepError(client("truncated@t").complete(request()));
    expect(error).toMatchObject({ code: "model_stream_broken", retryable: true });
  });

  it("a chunk cut short (invalid JSON) is broken", async () => {
    const error = await stepError(client("garbled@g").complete(request()));
    expect(error).toMatchObject({ code: "model_stream_broken", retryable: true });
  });

  it("an error event inside the stream is retryable model_stream_error", async () => {
    const error = await stepError(client("stream_error@e").complete(request()));
    expect(error).toMatchObject({ code: "model_stream_error", retryable: true });
  });

  it("times out waiting for the response headers", async () => {
    const started = Date.now();
    const error = await stepError(client("slow_headers@h", { timeoutMs: 300 }).complete(request()));
    expect(error).toMatchObject({ code: "model_timeout", retryable: true });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("times out when the stream stalls after it started (the timeout covers the whole body)", async () => {
    const deltas: string[] = [];
    const started = Date.now();
    const error = await stepError(client("slow_stream@s", { timeoutMs: 400 }).complete(request(), (t) => deltas.push(t)));
    expect(error).toMatchObject({ code: "model_timeout", retryable: true });
    expect(deltas).toEqual(["Here is "]);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("rethrows the caller's abort reason when the caller aborts mid-stream", async () => {
    const controller = new AbortController();
    const superseded = new Error("a newer attempt took over");
    const pending = client("slow_stream@abort").complete(request({ signal: controller.signal }), () => {
      controller.abort(superseded);
    });
    await expect(pending).rejects.toBe(superseded);
  });

  it("an already-aborted signal rejects with its reason and sends nothing", async () => {
    const controller = new AbortController();
    const cancelled = new Error("the run was cancelled");
    controller.abort(cancelled);
    await expect(client("text@pre-aborted").complete(request({ signal: controller.signal }))).rejects.toBe(cancelled);
    expect(await requestsFor("text@pre-aborted")).toEqual([]);
  });

  it("rethrows an error thrown by onDelta unchanged", async () => {
    const stop = new Error("stop streaming");
    const pending = client("text@ondelta").complete(request(), () => {
      throw stop;
    });
    await expect(pending).rejects.toBe(stop);
  });
});

describe("createModelClient", () => {
  it("sends requests through the fetch it was given, to OPENAI_BASE_URL", async () => {
    const seen: string[] = [];
    const settings = parseApiSettings({ OPENAI_API_KEY: "sk-test-router", OPENAI_BASE_URL: `${origin}/s/text@router/v1`, MODEL_GENERATION: "gen-m" });
    const routed = createModelClient(
      settings.model,
      (input, init) => {
        seen.push(input instanceof Request ? input.url : String(input));
        return fetch(input, init);
      },
      () => new OfflineModel(),
    );
    expect(routed.provider).toBe("openai");
    const response = await routed.complete({
      capability: "generation",
      messages: [{ role: "user", content: "hi" }],
      signal: new AbortController().signal,
      grounding: { message: "hi", mode: "chat", tools: [], knowledge_chunks: 0, chunks: [], tool_results: [], feedback: [] },
    });
    expect(response?.model).toBe("gen-m");
    expect(seen).toEqual([`${origin}/s/text@router/v1/chat/completions`]);
  });
});
