/**
 * `verify`: check the answer against the evidence (retrieved chunks and tool results). In research
 * mode an ungrounded answer is regenerated once with the issues fed back; if it is still
 * ungrounded the run completes degraded. Like every step it reconciles from RunState, so an
 * interrupted regeneration resumes correctly.
 */
import { newEvent } from "../events";
import { guardSpanAttributes, triggeredEvent } from "../guardrail-events";
import { checkAnswer } from "../guardrails/index";
import { generationMessages } from "../model/prompts";
import type { RunState } from "../state";
import type { StepContext, StepResult } from "./step";
import { verifyAnswer } from "../verification";
import type { VerificationResult } from "../verification";
import { groundingOf, toolResultViews } from "./grounding";
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
      const checked = await checkShape(ctx, state, result);
      ctx.emit(newEvent("verification.completed", checked));
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

/**
 * The whole-answer guardrail beside the claim check (a `guardrail` span): the answer's shape for its
 * mode and the residue of an obeyed injection (the system prompt repeated, a secret, chat-template
 * markers, function-call JSON). Each finding is a `guardrail.triggered {layer: "output", action:
 * "flag"}` and an issue of the verification, so research mode regenerates with it as feedback.
 */
async function checkShape(ctx: StepContext, state: RunState, result: VerificationResult): Promise<VerificationResult> {
  return ctx.span("guardrail", "guardrail answer", guardSpanAttributes("output"), async (spanId) => {
    const system = generationMessages(groundingOf(state)).filter((m) => m.role === "system").map((m) => m.content);
    const check = checkAnswer(state.output, {
      mode: state.mode,
      chunkIds: state.retrieved_chunks.map((chunk) => chunk.id),
      protectedTexts: system,
      shingleWords: ctx.config.guardrails.policy.output.leak_shingle_words,
    });
    if (check.verdicts.length > 0) ctx.emit(...check.verdicts.map((verdict) => triggeredEvent(verdict, spanId)));
    // The claim check already reports citations of chunks that were not retrieved, and missing ones.
    const extra = check.issues.filter((_, i) => !/^output\.shape\.(?:unknown_citation|no_citation)$/.test(check.verdicts[i]?.rule ?? ""));
    const issues = [...result.issues, ...extra];
    return { ...result, passed: issues.length === 0, issues };
  });
}
