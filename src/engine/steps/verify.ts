/**
 * `verify`: check the answer against the evidence (retrieved chunks and tool results). In research
 * mode an ungrounded answer is regenerated once with the issues fed back; if it is still
 * ungrounded the run completes degraded. Like every step it reconciles from RunState, so an
 * interrupted regeneration resumes correctly.
 */
import { newEvent } from "../events";
import type { StepContext, StepResult } from "./step";
import { verifyAnswer } from "../verification";
import { toolResultViews } from "./grounding";
import { tokensLeft } from "./model-call";
import { generate, resetOutput } from "./respond";

export async function verify(ctx: StepContext): Promise<StepResult> {
  // At most: finish an interrupted regeneration, verify, regenerate, verify again.
  for (let round = 0; round < 6; round++) {
    const state = ctx.state();
    if (!state.output_completed) {
      if (state.output_streamed) resetOutput(ctx, "retry", "an interrupted regeneration starts over");
      await generate(ctx, state.verification?.issues ?? []);
      continue;
    }
    if (state.verification === null || state.verification.output_attempt !== state.output_attempt) {
      const result = verifyAnswer(
        {
          answer: state.output,
          // In a thread the conversation so far is evidence too: a recalled note is the user's own
          // words, and an earlier answer is what a follow-up builds on.
          message: [...state.history.flatMap((turn) => [turn.message, turn.output]), state.message].join("\n"),
          chunks: state.retrieved_chunks,
          toolResults: toolResultViews(state),
        },
        { requireCitations: state.mode === "research" },
      );
      ctx.emit(newEvent("verification.completed", result));
      continue;
    }
    if (state.verification.passed) break;
    if (state.mode === "research" && state.regenerations === 0 && tokensLeft(ctx)) {
      resetOutput(ctx, "regenerate", "verification found ungrounded claims; regenerating with them as feedback");
      continue;
    }
    break;
  }
  return { kind: "done" };
}
