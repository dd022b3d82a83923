/**
 * Drives the engine's runtime in memory with a pinned clock: the MemoryRunStore twin, seeded ids,
 * a scheduler that records the alarm, and effects that record what would leave the run. Alarms run
 * when the test lets time pass, so deadlines, backoffs and budgets are exact.
 */
import { buildConfig } from "../../src/engine/config";
import type { ConfigOverrides } from "../../src/engine/config";
import { parseEvent } from "../../src/engine/events";
import type { RunEvent } from "../../src/engine/events";
import { createIds, seededRandom } from "../../src/engine/ids";
import { OfflineModel } from "../../src/engine/model/offline";
import type { Clock, Logger, ModelClient, Moderator, Probe, Retriever, ToolCatalog } from "../../src/engine/ports";
import type { RunEndedNotice } from "../../src/engine/run-ended";
import type { StartInput } from "../../src/engine/commands/start";
import type { FeedbackRow, RunIndexRow } from "../../src/engine/journal";
import { NO_PROBE } from "../../src/engine/runtime/deps";
import { RunRuntime } from "../../src/engine/runtime/run-runtime";
import type { ToolOutcome, ToolRequestMessage } from "../../src/engine/tool-protocol";
import { MemoryRunStore } from "../../src/engine/memory-run-store";
import { builtinCatalog } from "./builtin-catalog";

export class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  /** Time passes only when the test says so; a sleeper simply goes on. */
  async sleep(): Promise<void> {}
}

const silent: Logger = { log: () => {}, child: () => silent };

export const emptyRetriever: Retriever = { count: async () => 0, search: async () => [] };

export interface HarnessOptions {
  model?: ModelClient;
  moderator?: Moderator;
  retriever?: Retriever;
  catalog?: ToolCatalog;
  config?: ConfigOverrides;
  seed?: number;
  start?: number;
  probe?: Probe;
  failDispatch?: () => boolean;
  /** The executor's answer when a call's deadline passes (default: it cannot say). */
  settleTool?: (message: ToolRequestMessage) => ToolOutcome | null;
}

export const T0 = Date.parse("2026-11-24T10:00:00.000Z");

export class Harness {
  readonly clock: ClockLike;
  readonly store: MemoryRunStore;
  readonly runtime: RunRuntime;
  alarmAt: number | null = null;
  /** Alarm writes (arm and clear), as the object's storage would count them. */
  alarmWrites = 0;
  readonly dispatched: ToolRequestMessage[] = [];
  readonly index: RunIndexRow[] = [];
  readonly feedback: FeedbackRow[] = [];
  readonly ended: RunEndedNotice[] = [];
  /** The requests whose settlement the run asked for, in order. */
  readonly settlements: string[] = [];
  published = 0;
  /** Work handed to `background`, awaited by `settle`. */
  private readonly pending: Promise<unknown>[] = [];

  constructor(options: HarnessOptions = {}) {
    const clock = new ManualClock(options.start ?? T0);
    this.clock = clock;
    this.store = new MemoryRunStore(clock);
    const random = seededRandom(options.seed ?? 42);
    this.runtime = new RunRuntime({
      store: this.store,
      clock,
      ids: createIds(() => clock.now(), random),
      logger: silent,
      model: options.model ?? new OfflineModel(),
      moderator: options.moderator ?? null,
      retriever: options.retriever ?? emptyRetriever,
      catalog: options.catalog ?? builtinCatalog,
      effects: {
        dispatchTool: async (message) => {
          if (options.failDispatch?.()) throw new Error("queue unavailable");
          this.dispatched.push(message);
        },
        upsertIndex: async (row) => {
          this.index.push(row);
        },
        insertFeedback: async (row) => {
          this.feedback.push(row);
        },
        runEnded: async (notice) => {
          this.ended.push(notice);
          // The final index row travels with the notice (the tenant writes it with its others).
          this.index.push(notice.index);
        },
        settleTool: async (request) => {
          this.settlements.push(request.request_id);
          return options.settleTool?.(request) ?? null;
        },
      },
      scheduler: {
        arm: async (at) => {
          this.alarmAt = at;
          this.alarmWrites++;
        },
        clear: async () => {
          this.alarmAt = null;
          this.alarmWrites++;
        },
      },
      publish: (events) => {
        this.published += events.length;
      },
      background: (task) => {
        this.pending.push(task);
      },
      probe: options.probe ?? NO_PROBE,
      config: buildConfig({ retryBaseMs: 100, retryMaxMs: 1000, ...options.config }),
    });
  }

  /** The start command alone: what it commits and arms, before any background work runs. */
  begin(input: Partial<StartInput> & { message: string }) {
    return this.runtime.run("start", {
      run_id: "run_01JTESTRVN0000000000000000",
      tenant_id: "acme",
      user_id: "ann",
      scopes: ["runs:write", "runs:read"],
      context: {},
      mode: "chat",
      options: {},
      fingerprint: "f",
      ...input,
    });
  }

  /** Starts the run and lets it go as far as it can now. */
  async start(input: Partial<StartInput> & { message: string }) {
    const result = await this.begin(input);
    await this.settle();
    return result;
  }

  /** The object dies with its background work undone (a drive about to begin, a flush): only storage and the alarm remain. */
  dropBackground(): void {
    this.pending.splice(0);
  }

  /** Runs every alarm due by `limit` (default: now, or within a few ms: an "immediately" armed alarm). */
  async settle(limit = this.clock.now() + 5): Promise<void> {
    await Promise.all(this.pending.splice(0));
    for (let i = 0; i < 100 && this.alarmAt !== null && this.alarmAt <= limit; i++) {
      this.clock.t = Math.max(this.clock.t, this.alarmAt);
      this.alarmAt = null;
      await this.runtime.wake();
    }
  }

  /** Lets exactly `ms` pass, running alarms as they come due. */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    await this.settle(until);
    this.clock.t = Math.max(this.clock.t, until);
  }

  events(): RunEvent[] {
    return this.store.eventsAfter(0, 1_000_000).map((row) => parseEvent(JSON.parse(row.json)));
  }

  rawLog(): string[] {
    return this.store.eventsAfter(0, 1_000_000).map((row) => row.json);
  }

  types(): string[] {
    return this.events().map((e) => e.type);
  }

  status(): string | undefined {
    return this.store.state()?.status;
  }
}

interface ClockLike extends Clock {
  t: number;
}
