/**
 * `receive`: the run's input is accepted. The rule-based input layers already ran when the run
 * started (commands/start.ts: the message is stored gated, a refused one never gets here); this
 * step adds what needs the outside world: the moderation service, when one is configured. A message
 * it flags is refused (policy `block`: the run completes with the refusal, `refused: true`) or
 * reported (`flag`). A malformed guardrail configuration fails the run here, naming the variable.
 */
import { StepError } from "../errors";
import { newEvent } from "../events";
import { guardSpanAttributes, triggeredEvent } from "../guardrail-events";
import type { StepContext, StepResult } from "./step";

export const MODERATION_REFUSAL =
  "I can't help with this message: the moderation check flagged it as content this service does not process.";

export async function receive(ctx: StepContext): Promise<StepResult> {
  const settings = ctx.config.guardrails;
  if (settings.error !== null) throw StepError.terminal("guardrail_config", settings.error);
  const state = ctx.state();
  // An attempt that already refused (and died before the step completed) finishes as it decided.
  if (state.guardrail.status === "blocked" && state.output_completed) {
    return { kind: "finish", output: state.output, degraded: false, refused: true };
  }
  const moderator = ctx.moderator;
  if (moderator === null || settings.moderation === "off") return { kind: "done" };

  const block = settings.moderation === "block";
  const flagged = await ctx.span("guardrail", "guardrail moderation", guardSpanAttributes("input", { provider: moderator.provider }), async (spanId) => {
    const result = await moderator.moderate({ text: state.message, signal: ctx.signal });
    if (!result.flagged) return false;
    const categories = result.categories.length > 0 ? result.categories.join(", ") : "unspecified";
    ctx.emit(
      triggeredEvent(
        {
          layer: "input",
          rule: `input.moderation.${result.categories[0] ?? "flagged"}`,
          rule_version: result.model,
          action: block ? "block" : "flag",
          reason: `the ${result.provider} moderation check flagged the message (${categories}; score ${result.score.toFixed(2)})`,
        },
        spanId,
      ),
    );
    return true;
  });
  if (!flagged || !block) return { kind: "done" };
  ctx.emit(
    newEvent("output.chunk", { text: MODERATION_REFUSAL, attempt: ctx.state().output_attempt }),
    newEvent("output.completed", { text: MODERATION_REFUSAL }),
  );
  return { kind: "finish", output: MODERATION_REFUSAL, degraded: false, refused: true };
}
