/**
 * The OpenAI adapter: the one file that imports the `openai` SDK (STYLE.md 3). It implements the
 * `ModelClient` port over streamed chat completions (text deltas, structured output, tool calls,
 * usage) and the `Embedder` port over the embeddings API, against api.openai.com or any
 * OpenAI-compatible endpoint (`baseURL`).
 *
 * Contracts:
 * - The SDK's own retries are off (`maxRetries: 0`): the workflow's retry policy owns retries, so
 *   every retry is visible as an event.
 * - Every failure leaves as a `StepError`, classified by HTTP status and error fields, never by
 *   message text: 408/409/429/5xx retryable with the provider's `retry-after`; 401/403 terminal
 *   `model_auth`; 429 `insufficient_quota` terminal `model_quota`; other 4xx terminal; a connection
 *   failure, a timeout and a stream that breaks mid-way retryable.
 * - The per-call timeout covers the whole call, streamed body included (the SDK's own timeout stops
 *   at the response headers), and is combined with the caller's `signal`. When the caller's signal
 *   aborts, its `reason` is rethrown when it is an Error, so the caller recognises its own abort.
 * - `onDelta` errors propagate unchanged (the stream is abandoned): the caller may stop a call by
 *   throwing from it.
 */
import OpenAI from "openai";
import { z } from "zod";
import { StepError } from "../errors";
import type { Capability, Embedder, ModelClient, ModelRequest, ModelResponse } from "../ports";
import { callDeadline, type CallDeadline } from "./call-deadline";
import { retryAfterMs } from "./retry-after";
import { StreamAssembly } from "./stream-assembly";

type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export const OPENAI_PROVIDER = "openai";

export interface OpenAIModelClientOptions {
  apiKey: string;
  baseURL: string;
  modelFor: (capability: Capability) => string;
  /** Per call, from request to the last streamed byte. */
  timeoutMs: number;
  fetch: FetchFn;
  now?: (() => number) | undefined;
}

/** One SDK client, configured only from what it is given (never from ambient `process.env`). */
function sdkClient(options: { apiKey: string; baseURL: string; timeoutMs: number; fetch: FetchFn }): OpenAI {
  const fetch = options.fetch;
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: options.timeoutMs,
    logLevel: "off",
    // A bare binding's `fetch` throws "Illegal invocation" when called unbound.
    fetch: (input, init) => fetch(input, init),
  });
}

export function createOpenAIModelClient(options: OpenAIModelClientOptions): ModelClient {
  const client = sdkClient(options);
  const now = options.now ?? Date.now;
  return {
    provider: OPENAI_PROVIDER,
    modelFor: options.modelFor,
    complete: (request, onDelta) => complete(client, options, now, request, onDelta),
  };
}

async function complete(
  client: OpenAI,
  options: OpenAIModelClientOptions,
  now: () => number,
  request: ModelRequest,
  onDelta: ((text: string) => void) | undefined,
): Promise<ModelResponse> {
  const model = options.modelFor(request.capability);
  const call = callDeadline(request.signal, options.timeoutMs);
  let stream: Awaited<ReturnType<typeof openStream>> | undefined;
  let finished = false;
  try {
    try {
      stream = await openStream(client, model, request, call.signal, options.timeoutMs);
    } catch (error) {
      throw failure(error, "request", call, now());
    }
    const assembly = new StreamAssembly();
    const chunks = stream[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<OpenAI.Chat.Completions.ChatCompletionChunk>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw failure(error, "stream", call, now());
      }
      if (next.done) break;
      const added = assembly.push(next.value);
      if (added !== "" && onDelta) onDelta(added);
    }
    // The SDK ends an aborted stream silently, as if it had finished.
    if (call.signal.aborted) throw failure(call.signal.reason, "stream", call, now());
    const done = assembly.finish();
    if (done.finishReason === null) {
      throw StepError.retryable("model_stream_broken", "the model's stream ended before the model finished its answer");
    }
    finished = true;
    return {
      text: done.text,
      toolCalls: done.toolCalls,
      usage: done.usage ?? estimateUsage(request, done.text, done.toolCalls),
      finishReason: done.finishReason,
      model,
      provider: OPENAI_PROVIDER,
    };
  } finally {
    call.dispose();
    if (!finished) stream?.controller.abort();
  }
}

function openStream(client: OpenAI, model: string, request: ModelRequest, signal: AbortSignal, timeoutMs: number) {
  const params: OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming = {
    model,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.maxOutputTokens !== undefined) params.max_completion_tokens = request.maxOutputTokens;
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }
  if (request.responseFormat) {
    params.response_format = {
      type: "json_schema",
      json_schema: {
        name: request.responseFormat.name,
        schema: request.responseFormat.schema,
        strict: isStrictCompatible(request.responseFormat.schema),
      },
    };
  }
  return client.chat.completions.create(params, { signal, timeout: timeoutMs });
}

/**
 * Without a usage chunk (some OpenAI-compatible servers ignore `stream_options`), the token budget
 * still needs a figure: about four characters per token, rounded up.
 */
function estimateUsage(request: ModelRequest, text: string, toolCalls: ModelResponse["toolCalls"]): ModelResponse["usage"] {
  const input = request.messages.reduce((sum, message) => sum + message.content.length, 0);
  const output = text.length + toolCalls.reduce((sum, call) => sum + call.name.length + JSON.stringify(call.arguments).length, 0);
  return { input_tokens: Math.ceil(input / 4), output_tokens: Math.ceil(output / 4) };
}

/**
 * OpenAI's strict structured output accepts only schemas whose every object lists all its
 * properties as required and forbids others. A schema that does not qualify (an open `args`
 * record, say) is sent non-strict: the model is guided by it, and the caller validates with zod.
 */
export function isStrictCompatible(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(isStrictCompatible);
  if (typeof schema !== "object" || schema === null) return true;
  const node = schema as Record<string, unknown>;
  const isObject = node.type === "object" || (Array.isArray(node.type) && node.type.includes("object"));
  if (isObject) {
    if (node.additionalProperties !== false) return false;
    const properties = typeof node.properties === "object" && node.properties !== null ? Object.keys(node.properties) : [];
    const required = Array.isArray(node.required) ? node.required : [];
    if (!properties.every((key) => required.includes(key))) return false;
  }
  return Object.entries(node).every(([key, value]) => key === "enum" || key === "const" || isStrictCompatible(value));
}

// ---------------------------------------------------------------------------------------------
// Error classification

type Phase = "request" | "stream";

/** Maps whatever the SDK threw to a `StepError` (or the caller's own abort reason). */
function failure(error: unknown, phase: Phase, call: CallDeadline, now: number): unknown {
  if (error instanceof StepError) return error;
  if (call.timedOut()) {
    return StepError.retryable("model_timeout", `the model call did not finish within ${call.timeoutMs} ms`, undefined, error);
  }
  if (call.parent.aborted) {
    const reason: unknown = call.parent.reason;
    return reason instanceof Error ? reason : StepError.retryable("model_aborted", "the model call was aborted", undefined, error);
  }
  if (error instanceof OpenAI.APIUserAbortError) {
    return StepError.retryable("model_aborted", "the model call was aborted", undefined, error);
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return StepError.retryable("model_timeout", `the model provider did not respond within ${call.timeoutMs} ms`, undefined, error);
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return StepError.retryable("model_unreachable", "could not connect to the model provider", undefined, error);
  }
  if (error instanceof OpenAI.APIError) {
    if (typeof error.status === "number") return statusFailure(error, error.status, now);
    // An `error` object sent inside the event stream, after a 200.
    return StepError.retryable("model_stream_error", `the model provider reported an error mid-stream${detail(error)}`, undefined, error);
  }
  if (phase === "stream") {
    // The connection dropped or a chunk was cut short: the attempt's output is incomplete.
    return StepError.retryable("model_stream_broken", "the model's stream broke before the model finished its answer", undefined, error);
  }
  return StepError.retryable("model_request_failed", "the model request failed before a response arrived", undefined, error);
}

function statusFailure(error: InstanceType<typeof OpenAI.APIError>, status: number, now: number): StepError {
  const wait = retryAfterMs(error.headers, now);
  if (status === 401 || status === 403) {
    // The provider's message can echo part of the key: say what to fix instead.
    const code = error.code ? ` ${error.code}` : "";
    return StepError.terminal(
      "model_auth",
      `the model provider rejected the credentials (HTTP ${status}${code}); check OPENAI_API_KEY and OPENAI_BASE_URL`,
      error,
    );
  }
  if (status === 429 && error.code === "insufficient_quota") {
    return StepError.terminal("model_quota", "the model provider account has no quota left (HTTP 429 insufficient_quota)", error);
  }
  if (status === 429) return StepError.retryable("model_rate_limited", "the model provider is rate limiting requests (HTTP 429)", wait, error);
  if (status === 408 || status === 409 || status >= 500) {
    return StepError.retryable("model_unavailable", `the model provider failed to answer (HTTP ${status})`, wait, error);
  }
  if (status === 404) return StepError.terminal("model_not_found", `the model or endpoint was not found (HTTP 404)${detail(error)}`, error);
  return StepError.terminal("model_bad_request", `the model provider refused the request (HTTP ${status})${detail(error)}`, error);
}

/** The provider's own explanation, short, for errors where it helps the operator (never auth). */
function detail(error: InstanceType<typeof OpenAI.APIError>): string {
  const body: unknown = error.error;
  const message = typeof body === "object" && body !== null && "message" in body && typeof body.message === "string" ? body.message : null;
  return message ? `: ${message.slice(0, 300)}` : "";
}

// ---------------------------------------------------------------------------------------------
// Embeddings

/** Native vector sizes of OpenAI's embedding models (`dimensions` may shorten the v3 ones). */
export const OPENAI_EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
};

export interface OpenAIEmbedderOptions {
  apiKey: string;
  baseURL: string;
  fetch: FetchFn;
  /** Default `text-embedding-3-small`. */
  model?: string | undefined;
  /**
   * Vector size. When given it is also sent as the API's `dimensions` parameter (supported by
   * the v3 models); when omitted the model's native size is assumed, and an unknown model needs it.
   */
  dimensions?: number | undefined;
  /** Per request. Default 30 s. */
  timeoutMs?: number | undefined;
  /** Texts per request. Default 128 (the API accepts up to 2,048). */
  batchSize?: number | undefined;
  now?: (() => number) | undefined;
}

const EmbeddingsResponse = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

/**
 * The OpenAI `Embedder`: id `openai:<model>`, vectors of exactly `dimensions` floats, in input
 * order. Requests `encoding_format: "float"` (the SDK would default to base64, which not every
 * compatible server speaks). A vector of another size is a terminal `embedding_dimension_mismatch`.
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const model = options.model ?? "text-embedding-3-small";
  const dimensions = options.dimensions ?? OPENAI_EMBEDDING_DIMENSIONS[model];
  if (dimensions === undefined || !Number.isInteger(dimensions) || dimensions <= 0) {
    throw StepError.terminal("model_config", `embedding model ${model} needs a positive integer dimension`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const batchSize = Math.max(1, Math.min(2048, options.batchSize ?? 128));
  const now = options.now ?? Date.now;
  const client = sdkClient({ apiKey: options.apiKey, baseURL: options.baseURL, timeoutMs, fetch: options.fetch });

  async function embedBatch(input: string[]): Promise<Float32Array[]> {
    let raw: unknown;
    const call = callDeadline(new AbortController().signal, timeoutMs);
    try {
      raw = await client.embeddings.create(
        { model, input, encoding_format: "float", ...(options.dimensions !== undefined ? { dimensions } : {}) },
        { signal: call.signal, timeout: timeoutMs },
      );
    } catch (error) {
      throw failure(error, "request", call, now());
    } finally {
      call.dispose();
    }
    const parsed = EmbeddingsResponse.safeParse(raw);
    if (!parsed.success || parsed.data.data.length !== input.length) {
      throw StepError.retryable("model_invalid_output", "the embeddings response does not hold one vector per input");
    }
    const vectors: (Float32Array | undefined)[] = Array.from({ length: input.length }, () => undefined);
    for (const item of parsed.data.data) {
      if (item.index >= input.length) {
        throw StepError.retryable("model_invalid_output", "the embeddings response has an index out of range");
      }
      if (item.embedding.length !== dimensions) {
        throw StepError.terminal(
          "embedding_dimension_mismatch",
          `embedding model ${model} returned ${item.embedding.length} dimensions, expected ${dimensions}`,
        );
      }
      vectors[item.index] = Float32Array.from(item.embedding);
    }
    const complete = vectors.filter((vector): vector is Float32Array => vector !== undefined);
    if (complete.length !== input.length) {
      throw StepError.retryable("model_invalid_output", "the embeddings response repeats an index");
    }
    return complete;
  }

  return {
    id: `openai:${model}`,
    dimensions,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        out.push(...(await embedBatch(texts.slice(start, start + batchSize))));
      }
      return out;
    },
  };
}
