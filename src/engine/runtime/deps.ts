/**
 * What the runtime is built from: the run's store plus every port it reaches the world through.
 * The run object assembles these from bindings; unit tests assemble them from in-memory twins.
 */
import type { EngineConfig } from "../config";
import type { Clock, Ids, Logger, ModelClient, Moderator, Probe, Retriever, ToolCatalog } from "../ports";
import type { RunEndedNotice } from "../run-ended";
import type { ToolOutcome, ToolRequestMessage } from "../tool-protocol";
import type { AppendedEvent, FeedbackRow, RunIndexRow, RunStore } from "../journal";

/** The outbox's effects, performed once the commit that holds them is durable. */
export interface EffectPort {
  dispatchTool(message: ToolRequestMessage): Promise<void>;
  upsertIndex(row: RunIndexRow): Promise<void>;
  insertFeedback(row: FeedbackRow): Promise<void>;
  /** The run ended: release what counts it (at least once; receivers are idempotent on the run id). */
  runEnded(notice: RunEndedNotice): Promise<void>;
  /**
   * A dispatched call's deadline passed with no outcome, and the run asks the executor to settle it
   * now (the call's message, as dispatched). The executor answers the outcome it recorded, waits a
   * little for an attempt under way, runs a call no attempt ran (the run is waiting for it right
   * now), or fences one it cannot run (`tool_not_run`: it never will); null when it cannot say.
   */
  settleTool(message: ToolRequestMessage): Promise<ToolOutcome | null>;
}

/**
 * The run's one alarm. The run object writes the run's waiting commits with the change, in one
 * transaction, so arming or clearing it is also a flush.
 */
export interface Scheduler {
  arm(at: number): Promise<void>;
  clear(): Promise<void>;
}

export interface RuntimeDeps {
  store: RunStore;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  model: ModelClient;
  /** The moderation layer on the message, when one is configured (OpenAI's moderation endpoint). */
  moderator?: Moderator | null;
  retriever: Retriever;
  catalog: ToolCatalog;
  effects: EffectPort;
  scheduler: Scheduler;
  /** Hands appended events to live subscribers; called only after they are committed. */
  publish(events: AppendedEvent[]): void;
  /** Lets work finish after the current call has answered (the object's `waitUntil`). */
  background(task: Promise<unknown>): void;
  probe: Probe;
  config: EngineConfig;
}

export const NO_PROBE: Probe = { hit: () => {} };
