/**
 * One model call inside a step, made visible: `node.started`, `model.started`, a `model` span (named
 * and attributed by the GenAI conventions: `chat <model>`, usage and finish reason on it too),
 * `model.completed` with usage and duration, `node.completed`, and the token budget charged.
 */
import { newEvent } from "../events";
import { modelResponseAttributes, modelSpan } from "../span-attributes";
import type { Capability, ModelRequest, ModelResponse } from "../ports";
import type { StepContext } from "./step";

/** How a streamed call hands over its text: each delta, then the whole response (before `model.completed`). */
export interface DeltaSink {
  push(text: string): void;
  end(response: ModelResponse): void;
}

export async function callModel(
  ctx: StepContext,
  capability: Capability,
  request: Omit<ModelRequest, "capability" | "signal">,
  sink?: DeltaSink,
): Promise<ModelResponse> {
  const node = `model.${capability}`;
  const model = ctx.model.modelFor(capability);
  const provider = ctx.model.provider;
  const started = ctx.now();
  ctx.emit(
    newEvent("node.started", { node, step: ctx.step }),
    newEvent("model.started", { capability, model, provider }),
  );
  const { name, attributes } = modelSpan(capability, model, provider);
  const response = await ctx.span(
    "model",
    name,
    attributes,
    () => ctx.model.complete({ ...request, capability, signal: ctx.signal }, sink && ((text) => sink.push(text))),
    modelResponseAttributes,
  );
  // The stream's tail goes out before the call is reported complete: every chunk of a call precedes its model.completed.
  sink?.end(response);
  const duration = ctx.now() - started;
  ctx.emit(
    newEvent("model.completed", {
      capability,
      model: response.model,
      provider: response.provider,
      usage: response.usage,
      duration_ms: duration,
      finish_reason: response.finishReason,
      // What the model said, when no output events carry it: a replay serves it back verbatim.
      ...(capability === "generation" ? {} : { output: response.text, ...(response.toolCalls.length > 0 ? { tool_calls: response.toolCalls } : {}) }),
    }),
    newEvent("node.completed", { node, step: ctx.step, duration_ms: duration }),
  );
  const { tokens, exceeded } = ctx.state().budget;
  if (tokens.used > tokens.limit && !exceeded.includes("tokens")) {
    ctx.emit(newEvent("budget.exceeded", { budget: "tokens", limit: tokens.limit, used: tokens.used }));
  }
  return response;
}

/** True when the run may still spend tokens on optional calls (a regeneration). */
export function tokensLeft(ctx: StepContext): boolean {
  const { tokens } = ctx.state().budget;
  return tokens.used < tokens.limit;
}
