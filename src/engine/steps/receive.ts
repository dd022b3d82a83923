/**
 * `receive`: the run's input is accepted. The worker has already validated its shape; this step is
 * where the input guardrail layer sits, and it records that the message was taken in.
 */
import type { StepContext, StepResult } from "./step";

export async function receive(_ctx: StepContext): Promise<StepResult> {
  return { kind: "done" };
}
