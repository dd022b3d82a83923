/**
 * The `ModelClient` port over OpenAI's streamed chat completions (text deltas, structured output,
 * tool calls, usage), against api.openai.com or any OpenAI-compatible endpoint. `onDelta` errors
 * propagate unchanged (the stream is abandoned): the caller may stop a call by throwing from it.
 */
import { StepError } from "../../engine/errors";
import type { Capability, ModelClient, ModelRequest, ModelResponse } from "../../engine/ports";
import { callDeadline } from "./call-deadline";
import { OPENAI_PROVIDER, failure, openChatStream, sdkClient } from "./sdk";
import type { ChatStream, FetchFn, SdkClient } from "./sdk";
import { StreamAssembly } from "./stream-assembly";
import type { ChunkLike } from "./stream-assembly";

export interface OpenAIModelClientOptions {
  apiKey: string;
  baseURL: string;
  modelFor: (capability: Capability) => string;
  /** Per call, from request to the last streamed byte. */
  timeoutMs: number;
  fetch: FetchFn;
  now?: (() => number) | undefined;
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
  client: SdkClient,
  options: OpenAIModelClientOptions,
  now: () => number,
  request: ModelRequest,
  onDelta: ((text: string) => void) | undefined,
): Promise<ModelResponse> {
  const model = options.modelFor(request.capability);
  const call = callDeadline(request.signal, options.timeoutMs);
  let stream: ChatStream | undefined;
  let finished = false;
  try {
    try {
      stream = await openChatStream(client, model, request, call.signal, options.timeoutMs);
    } catch (error) {
      throw failure(error, "request", call, now());
    }
    const assembly = new StreamAssembly();
    const chunks = stream[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<ChunkLike>;
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
    if (!finished) stream?.abort();
  }
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
