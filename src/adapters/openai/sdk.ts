/**
 * The one file that imports the `openai` SDK (STYLE.md 3): it builds the SDK client, opens a
 * streamed chat completion, an embeddings request or a moderation request, and maps whatever the SDK throws to a
 * `StepError`. The model client (model-client.ts) and the embedder (embedder.ts) are written
 * against what this file exports, so an SDK upgrade touches this file only.
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
 */
import OpenAI from "openai";
import { StepError } from "../../engine/errors";
import type { ModelRequest } from "../../engine/ports";
import type { CallDeadline } from "./call-deadline";
import { retryAfterMs } from "./retry-after";
import type { ChunkLike } from "./stream-assembly";

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export const OPENAI_PROVIDER = "openai";

/** One SDK client, configured only from what it is given (never from ambient `process.env`). */
export function sdkClient(options: { apiKey: string; baseURL: string; timeoutMs: number; fetch: FetchFn }): OpenAI {
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

export type SdkClient = OpenAI;

/** A streamed chat completion: its chunks, and a way to drop the connection when abandoned. */
export interface ChatStream extends AsyncIterable<ChunkLike> {
  abort(): void;
}

export async function openChatStream(client: OpenAI, model: string, request: ModelRequest, signal: AbortSignal, timeoutMs: number): Promise<ChatStream> {
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
  const stream = await client.chat.completions.create(params, { signal, timeout: timeoutMs });
  return { [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](), abort: () => stream.controller.abort() };
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


/** One embeddings request, answered as the raw JSON body (the caller validates it). */
export function createEmbeddings(
  client: OpenAI,
  body: { model: string; input: string[]; dimensions?: number },
  signal: AbortSignal,
  timeoutMs: number,
): Promise<unknown> {
  return client.embeddings.create({ ...body, encoding_format: "float" }, { signal, timeout: timeoutMs });
}

/** One moderation request, answered as the raw JSON body (the caller validates it). */
export function createModeration(client: OpenAI, body: { model: string; input: string }, signal: AbortSignal, timeoutMs: number): Promise<unknown> {
  return client.moderations.create(body, { signal, timeout: timeoutMs });
}

// ---------------------------------------------------------------------------------------------
// Error classification

export type Phase = "request" | "stream";

/** Maps whatever the SDK threw to a `StepError` (or the caller's own abort reason). */
export function failure(error: unknown, phase: Phase, call: CallDeadline, now: number): unknown {
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
