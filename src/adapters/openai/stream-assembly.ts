/**
 * Folds the chunks of a streamed chat completion into one response: text deltas in order, tool
 * calls assembled from their fragments (a call's name arrives once, its JSON arguments in pieces,
 * keyed by the call's `index`), the finish reason and the usage chunk. Pure and SDK-free: the
 * chunk type below is the structural subset of `chat.completion.chunk` this needs, so the SDK
 * stays inside `openai.ts`.
 */
import { z } from "zod";
import { StepError } from "../../engine/errors";

export interface ToolCallDeltaLike {
  index: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface ChunkLike {
  model?: string | null;
  choices: ReadonlyArray<{
    index?: number;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: ReadonlyArray<ToolCallDeltaLike> | null;
    } | null;
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number | null; completion_tokens?: number | null } | null;
}

export interface AssembledResponse {
  text: string;
  toolCalls: { name: string; arguments: Record<string, unknown> }[];
  /** `null` when the provider sent no usage chunk. */
  usage: { input_tokens: number; output_tokens: number } | null;
  /** `null` when the stream ended without saying why: it did not finish. */
  finishReason: string | null;
  model: string | null;
}

const ToolArguments = z.record(z.string(), z.unknown());

export class StreamAssembly {
  #text = "";
  #calls = new Map<number, { id: string; name: string; args: string }>();
  #finishReason: string | null = null;
  #usage: AssembledResponse["usage"] = null;
  #model: string | null = null;

  /** Folds one chunk in; returns the text it adds (possibly empty), for `onDelta`. */
  push(chunk: ChunkLike): string {
    if (chunk.model) this.#model = chunk.model;
    if (chunk.usage) {
      this.#usage = {
        input_tokens: Math.max(0, Math.trunc(chunk.usage.prompt_tokens ?? 0)),
        output_tokens: Math.max(0, Math.trunc(chunk.usage.completion_tokens ?? 0)),
      };
    }
    let added = "";
    for (const choice of chunk.choices) {
      // Requests ask for one choice (n = 1); anything else is ignored rather than interleaved.
      if ((choice.index ?? 0) !== 0) continue;
      const delta = choice.delta;
      if (delta?.content) added += delta.content;
      // A refusal is what the model says instead of an answer: the user should see it.
      if (delta?.refusal) added += delta.refusal;
      for (const call of delta?.tool_calls ?? []) this.#pushToolCall(call);
      if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    }
    this.#text += added;
    return added;
  }

  #pushToolCall(delta: ToolCallDeltaLike): void {
    const current = this.#calls.get(delta.index) ?? { id: "", name: "", args: "" };
    if (delta.id) current.id = delta.id;
    if (delta.function?.name) current.name += delta.function.name;
    if (delta.function?.arguments) current.args += delta.function.arguments;
    this.#calls.set(delta.index, current);
  }

  /**
   * The whole response. Tool-call arguments must be a JSON object; anything else (truncated or
   * malformed JSON) is a retryable `model_invalid_output`, since another attempt may well succeed.
   */
  finish(): AssembledResponse {
    const toolCalls = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => {
        if (call.name === "") throw StepError.retryable("model_invalid_output", "the model sent a tool call without a name");
        return { name: call.name, arguments: parseArguments(call.name, call.args) };
      });
    return {
      text: this.#text,
      toolCalls,
      usage: this.#usage,
      finishReason: this.#finishReason,
      model: this.#model,
    };
  }
}

function parseArguments(name: string, raw: string): Record<string, unknown> {
  if (raw.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw StepError.retryable("model_invalid_output", `the model's arguments for ${name} are not valid JSON`, undefined, cause);
  }
  const parsed = ToolArguments.safeParse(value);
  if (!parsed.success) {
    throw StepError.retryable("model_invalid_output", `the model's arguments for ${name} are not a JSON object`);
  }
  return parsed.data;
}
