/**
 * `finalize`: the run ends with its answer. It is degraded when something it relied on failed
 * (a tool, a budget) or, in research mode, when the answer stayed ungrounded after regenerating.
 */
import type { StepContext, StepResult } from "./step";

export async function finalize(ctx: StepContext): Promise<StepResult> {
  const state = ctx.state();
  const ungrounded = state.mode === "research" && state.verification !== null && !state.verification.passed;
  return { kind: "finish", output: state.output, degraded: state.degraded || ungrounded };
}
