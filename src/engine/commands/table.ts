/**
 * Every command a run accepts, by name: the zod schema its input is parsed with at the object's
 * trust boundary, and its decide function. `RunRuntime.run(name, input)` is the one way in.
 */
import type { z } from "zod";
import { ToolOutcome } from "../tool-protocol";
import { ForkInput, ImportInput, decideFork, decideImport } from "./adopt";
import { ApprovalInput, decideApproval } from "./approve";
import { CancelInput, decideCancel } from "./cancel";
import type { DecideContext, Decision, RunView } from "./decision";
import { decideDelivery } from "./deliver";
import { EnqueueInput, decideEnqueue } from "./enqueue";
import { FeedbackInput, decideFeedback } from "./feedback";
import { StartInput, decideStart } from "./start";

export const COMMANDS = {
  start: { input: StartInput, decide: decideStart },
  enqueue: { input: EnqueueInput, decide: decideEnqueue },
  approve: { input: ApprovalInput, decide: decideApproval },
  cancel: { input: CancelInput, decide: decideCancel },
  deliver: { input: ToolOutcome, decide: decideDelivery },
  feedback: { input: FeedbackInput, decide: decideFeedback },
  import: { input: ImportInput, decide: decideImport },
  fork: { input: ForkInput, decide: decideFork },
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandInput<N extends CommandName> = z.input<(typeof COMMANDS)[N]["input"]>;
export type CommandReply<N extends CommandName> = ReturnType<(typeof COMMANDS)[N]["decide"]>["reply"];

/** Parses `input` for command `name` and decides it (throws a ZodError on malformed input). */
export function decide<N extends CommandName>(name: N, view: RunView, input: unknown, ctx: DecideContext): Decision<CommandReply<N>> {
  const command = COMMANDS[name] as unknown as {
    input: z.ZodType;
    decide: (view: RunView, input: unknown, ctx: DecideContext) => Decision<CommandReply<N>>;
  };
  return command.decide(view, command.input.parse(input), ctx);
}
