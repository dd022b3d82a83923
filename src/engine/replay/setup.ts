/**
 * Assembles a replay: the recorded world's ports, the driver that feeds in what came from outside
 * and compares what is written, and the start command that opens the run the way the recorded one
 * was opened. The run object uses it over its SQLite store; `npm run replay` over the in-memory one.
 */
import type { EngineConfig } from "../config";
import type { RecordedScreen } from "../guardrail-events";
import type { RunEvent } from "../events";
import type { RunStore } from "../journal";
import type { Ids, Logger, ModelClient, Probe } from "../ports";
import type { EffectPort, RuntimeDeps, Scheduler } from "../runtime/deps";
import { ReplayDriver } from "./driver";
import type { RecordedLog, RecordingIndex } from "./recording";
import { ReplayWorld } from "./world";

/** The settings the recorded run ran with, as far as its log shows them, over `config`. */
export function recordedConfig(config: EngineConfig, index: RecordingIndex, started: Extract<RunEvent, { type: "run.started" }>): EngineConfig {
  return {
    ...config,
    toolWaitMs: index.tool_wait_ms ?? config.toolWaitMs,
    approvalTtlMs: index.approval_ttl_ms ?? config.approvalTtlMs,
    defaults: { ...config.defaults, maxWallTimeMs: started.data.options.max_wall_time_ms, maxTokens: started.data.options.max_tokens },
  };
}

/** The recorded `run.started`, which a replay opens with; a log that does not begin with one cannot be replayed. */
export function recordedStart(log: RecordedLog): Extract<RunEvent, { type: "run.started" }> {
  const first = log.event(1);
  if (first?.type !== "run.started") throw new Error("a recorded run begins with run.started");
  return first;
}

/** The input layers' verdicts that followed the recorded `run.started` (its start commit). */
export function recordedScreen(log: RecordedLog): RecordedScreen {
  const screen: RecordedScreen = { verdicts: [], injection: null };
  for (let seq = 2; ; seq++) {
    const event = log.event(seq);
    if (event?.type === "injection.detected" && event.data.source === "message") screen.injection = { source_id: event.data.source_id, score: event.data.score, rule: event.data.rule };
    else if (event?.type === "guardrail.triggered" && event.data.layer === "input") screen.verdicts.push(event.data);
    else return screen;
  }
}

/** The start command that opens the replay as the recorded run was opened. */
export function replayStartInput(runId: string, started: Extract<RunEvent, { type: "run.started" }>, log: RecordedLog) {
  const { data } = started;
  return {
    run_id: runId,
    tenant_id: data.tenant_id,
    user_id: data.user_id,
    scopes: data.scopes,
    message: data.message,
    context: data.context,
    mode: data.mode,
    options: { approval: data.options.approval, max_tool_calls: data.options.max_tool_calls },
    fingerprint: `replay:${started.hash}`,
    recorded_screen: recordedScreen(log),
  };
}

export interface ReplayParts {
  deps: RuntimeDeps;
  driver: ReplayDriver;
}

export interface ReplaySetupOptions {
  log: RecordedLog;
  index: RecordingIndex;
  store: RunStore;
  config: EngineConfig;
  offline: ModelClient;
  ids: Ids;
  logger: Logger;
  /** Effects a replay still performs for real (the run index); tool dispatches go nowhere. */
  effects: Pick<EffectPort, "upsertIndex">;
  scheduler: Scheduler;
  background(task: Promise<unknown>): void;
  /** Hands appended events to live subscribers too. */
  publish?: RuntimeDeps["publish"];
  probe: Probe;
}

/** The runtime's deps for a replay, and its driver (attach it to the runtime built from the deps). */
export function replayParts(options: ReplaySetupOptions): ReplayParts {
  const { log, index, store } = options;
  const started = recordedStart(log);
  const world = new ReplayWorld({ log, index, position: () => store.lastSeq(), offline: options.offline, ids: options.ids });
  const driver = new ReplayDriver(log, index, store, world);
  const deps: RuntimeDeps = {
    store,
    clock: world.clock,
    ids: world.ids,
    logger: options.logger,
    model: world.model,
    retriever: world.retriever,
    catalog: world.catalog,
    effects: {
      dispatchTool: async () => {},
      insertFeedback: async () => {},
      // A replay counts against no tenant's admission and is no turn of the recording's thread; its
      // final index row, which the notice carries, is written all the same.
      runEnded: (notice) => options.effects.upsertIndex(notice.index),
      // A recorded settlement is in the log as the outcome it gave: the world delivers it.
      settleTool: async () => null,
      upsertIndex: (row) => options.effects.upsertIndex(row),
    },
    scheduler: options.scheduler,
    publish: (events) => {
      options.publish?.(events);
      driver.observe(events);
    },
    background: options.background,
    probe: options.probe,
    config: recordedConfig(options.config, index, started),
  };
  return { deps, driver };
}
