/**
 * The shape every way into a run shares (DESIGN.md "Every way into a run is a decision, then an
 * apply"): a command is a pure function `decide(view, input, ctx) → Decision` over the run's
 * current state. The decision holds the reply, the commit to write in one transaction, and what the
 * runtime must do once it is durable; `RunRuntime.apply` does exactly that, for every command.
 */
import type { EngineConfig } from "../config";
import type { Commit } from "../journal";
import type { Ids } from "../ports";
import type { RunState } from "../state";
import type { Span } from "../trace";
import type { Instant } from "../transitions";
import type { WorkflowState } from "../workflow";

/** What a command may read: the run as its journal holds it right now. */
export interface RunView {
  state: RunState | null;
  workflow: WorkflowState | null;
  meta(key: string): string | null;
  span(spanId: string): Span | null;
  openSpans(): Span[];
}

/** What a command may use besides the run: the time, the settings, fresh ids. */
export interface DecideContext {
  now: Instant;
  config: EngineConfig;
  ids: Ids;
}

/** What the runtime does after a decision's commit is durable. */
export type RuntimeEffect =
  /** A new run: drive its workflow now (the alarm armed at once stays as the durable backstop). */
  | { kind: "drive" }
  /** The run left a wait: drive it again soon. */
  | { kind: "resume" }
  /** Stop a step executing in this instance (its writes are already fenced off by the epoch). */
  | { kind: "abort"; reason: string }
  /** Perform the due outbox effects, now or `delayMs` later in the background. */
  | { kind: "flush"; delayMs?: number }
  /** Arm the alarm for whatever is due next (or clear it). */
  | { kind: "rearm" };

export interface Decision<Reply> {
  reply: Reply;
  commit?: Commit;
  effects?: RuntimeEffect[];
}

/** Why a command was refused: the run does not exist (for this tenant), or its state forbids it. */
export type CommandRefusal = { outcome: "not_found" } | { outcome: "conflict"; reason: string };

export const notFound: Decision<CommandRefusal> = { reply: { outcome: "not_found" } };

export function conflict(reason: string): Decision<CommandRefusal> {
  return { reply: { outcome: "conflict", reason } };
}
