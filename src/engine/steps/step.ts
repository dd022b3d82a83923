/**
 * What a step is and what it may do while it runs. A step reads RunState, appends events (each
 * committed before anyone sees it, so a crash loses nothing already said), opens child spans and
 * reaches the ports; it returns whether the workflow moves on, waits, or finishes. The runtime
 * provides the context (runtime/step-context.ts); steps never import the runtime.
 */
import type { EngineConfig } from "../config";
import type { NewEvent, StepName } from "../events";
import type { Commit } from "../journal";
import type { Logger, ModelClient, Moderator, ProbePoint, Retriever, ToolCatalog } from "../ports";
import type { RunState } from "../state";
import type { SpanKind } from "../trace";
import type { PendingWait } from "../waits";

export type StepResult =
  | { kind: "done" }
  | ({ kind: "wait" } & PendingWait)
  /** `refused`: a guardrail refused the request and `output` is the refusal. */
  | { kind: "finish"; output: string; degraded: boolean; refused?: boolean };

export interface StepContext {
  readonly step: StepName;
  readonly attempt: number;
  /** This attempt's span: events the step emits are tagged with it unless they name another. */
  readonly spanId: string;
  /** Aborted when the attempt's deadline passes or the run is cancelled. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly config: EngineConfig;
  readonly model: ModelClient;
  /** The moderation layer, when one is configured; null otherwise. */
  readonly moderator: Moderator | null;
  readonly retriever: Retriever;
  readonly catalog: ToolCatalog;
  /**
   * The time the next committed events carry. It is read once and kept until that commit, so that a
   * deadline or a duration put into an event's data is computed from event timestamps (a replay on
   * the recorded clock then recomputes it exactly). Read it after any await, not before.
   */
  now(): number;
  nowIso(): string;
  /** The clock as it is now, for pacing only (never written into an event). */
  liveNow(): number;
  newRequestId(): string;
  newSpanId(): string;
  state(): RunState;
  /** True while this execution still owns the run (same epoch, still running). */
  owns(): boolean;
  emit(...events: NewEvent[]): void;
  /** Commits events (tagged with this step's span unless they name one) and outbox effects atomically. */
  commit(commit: Commit): void;
  /**
   * Runs `fn` inside a child span of this step, closed as ok (with the attributes `finish` reads from
   * the result) or as error (with `error.type` and `error.message`), with its duration.
   */
  span<T>(
    kind: SpanKind,
    name: string,
    attributes: Record<string, unknown>,
    fn: (spanId: string) => Promise<T>,
    finish?: (value: T) => Record<string, unknown>,
  ): Promise<T>;
  probe(point: ProbePoint): void | Promise<void>;
}

export type StepFunction = (ctx: StepContext) => Promise<StepResult>;
