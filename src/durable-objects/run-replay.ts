/**
 * A replay run in its object: the staged recording (staged-log.ts) is the recorded world, the
 * engine's replay driver runs the runtime against it (engine/replay/), and the object's journal
 * stamps events with the recorded clock. The recording's index is kept in the run's meta, so an
 * object that restarts mid-replay picks the replay up again; the alarm is only its backstop.
 */
import { copiedEvent } from "../engine/commands/adopt";
import { OfflineModel } from "../engine/model/offline";
import { pendingWait } from "../engine/waits";
import type { RunStore } from "../engine/journal";
import type { Clock } from "../engine/ports";
import type { ReplayDriver } from "../engine/replay/driver";
import { RecordingIndex, indexRecording } from "../engine/replay/recording";
import { recordedStart, replayParts, replayStartInput } from "../engine/replay/setup";
import type { RuntimeDeps } from "../engine/runtime/deps";
import { RunRuntime } from "../engine/runtime/run-runtime";
import { openSpan } from "../engine/trace";
import type { AdoptFailure } from "./run-adoption";
import { copyStaged } from "./run-adoption";
import type { SseHub } from "./sse-hub";
import type { StagedLog } from "./staged-log";

export interface ReplayContext {
  store: RunStore & { commit: RunStore["commit"] };
  staged: StagedLog;
  /** The live run's deps: the replay keeps their logger, offline model, run index and background. */
  live: RuntimeDeps;
  publish: Pick<SseHub, "publish">;
}

/** How long after a replay's last progress the alarm checks on it (a replay never waits on a clock). */
const BACKSTOP_MS = 10_000;

export class ReplaySession {
  private running: Promise<unknown> | null = null;

  private constructor(
    readonly runtime: RunRuntime,
    readonly driver: ReplayDriver,
    readonly clock: Clock,
  ) {}

  private static build(context: ReplayContext, index: RecordingIndex): ReplaySession {
    const { live } = context;
    const { deps, driver } = replayParts({
      log: context.staged,
      index,
      store: context.store,
      config: live.config,
      // The engine's own offline model replays for real (a change to it shows); other models are served from the log.
      offline: new OfflineModel(),
      ids: live.ids,
      logger: live.logger,
      effects: live.effects,
      scheduler: {
        arm: () => live.scheduler.arm(Date.now() + BACKSTOP_MS),
        clear: () => live.scheduler.clear(),
      },
      background: live.background,
      publish: (events) => context.publish.publish(events),
      probe: live.probe,
    });
    const runtime = new RunRuntime(deps);
    driver.attach(runtime);
    return new ReplaySession(runtime, driver, deps.clock);
  }

  /** The replay this run's meta says it is, if any (after a restart). */
  static resume(context: ReplayContext): ReplaySession | null {
    const saved = context.store.meta("replay_index");
    if (saved === null) return null;
    return ReplaySession.build(context, RecordingIndex.parse(JSON.parse(saved)));
  }

  /** Starts replaying the staged recording as run `runId`. */
  static async begin(context: ReplayContext, runId: string): Promise<ReplaySession | AdoptFailure> {
    const { staged, store } = context;
    const index = indexRecording(staged);
    let started;
    try {
      started = recordedStart(staged);
    } catch {
      return { outcome: "invalid", reason: "the recorded log does not begin with run.started" };
    }
    store.commit({ meta: { replay_index: JSON.stringify(index), replay_of: started.run_id } });
    const session = ReplaySession.build(context, index);
    if (index.forked_at !== null) {
      // A fork's first events are its source's: they are taken as recorded, and the replay begins after them.
      const tenant = started.data.tenant_id;
      const copied = copyStaged(staged, index.forked_at, runId, tenant, (page) => {
        const appended = store.commit({ run_id: runId, events: page.map((event) => copiedEvent(event, tenant)) });
        context.publish.publish(appended);
      });
      const state = store.state();
      if (copied === null || state === null) return { outcome: "invalid", reason: "the recorded fork does not begin with run.started" };
      const wait = copied.waiting?.reason === "approval" ? pendingWait(state) : null;
      const now = new Date(session.clock.now()).toISOString();
      store.commit({
        workflow: { ...copied, run_id: runId, ...(wait !== null && copied.waiting !== null ? { waiting: { ...copied.waiting, deadline: new Date(wait.deadline).toISOString() } } : {}) },
        spans: [openSpan({ span_id: copied.run_span_id, parent_span_id: null, name: "run", kind: "run", attributes: { run_id: runId, replay_of: started.run_id } }, now)],
      });
    } else {
      await session.runtime.run("start", replayStartInput(runId, started, staged));
    }
    return session;
  }

  /** Drives the replay to its end; concurrent callers (the alarm, a restart) join the drive under way. */
  drive(): Promise<unknown> {
    this.running ??= this.driver.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
