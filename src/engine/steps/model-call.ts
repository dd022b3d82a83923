/**
 * One model call inside a step, made visible: `node.started`, `model.started`, a `model` span (named
 * and attributed by the GenAI conventions: `chat <model>`, usage and finish reason on it too),
 * `model.completed` with usage and duration, `node.completed`, and the token budget charged.
 */
import { newEvent } from "../events";
import { modelResponseAttributes, modelSpan } from "../span-attributes";
import type { Capability, ModelRequest, ModelResponse } from "../ports";
import type { StepContext } from "./step";

export async function callModel(
  ctx: StepContext,
  capability: Capability,
  request: Omit<ModelRequest, "capability" | "signal">,
  onDelta?: (text: string) => void,
): Promise<ModelResponse> {
  const node = `model.${capability}`;
  const model = ctx.model.modelFor(capability);
  const provider = ctx.model.provider;
  ctx.emit(
    newEvent("node.started", { node, step: ctx.step }),
    newEvent("model.started", { capability, model, provider }),
  );
  const started = ctx.now();
  const { name, attributes } = modelSpan(capability, model, provider);
  const response = await ctx.span(
    "model",
    name,
    attributes,
    () => ctx.model.complete({ ...request, capability, signal: ctx.signal }, onDelta),
    modelResponseAttributes,
  );
  const duration = ctx.now() - started;
  ctx.emit(
    newEvent("model.completed", {
      capability,
      model: response.model,
      provider: response.provider,
      usage: response.usage,
      duration_ms: duration,
      finish_reason: response.finishReason,
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
